import { Inject, Injectable } from '@nestjs/common';
import { canRead, listScope } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { notFound } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { appConfig, AppConfig } from '../config/configuration';
import { DocumentsService } from '../documents/documents.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { PoliciesService } from '../policies/policies.service';
import { bureauName, regionName } from '../regions/regions.data';
import { Names, NamesRepository } from '../organizations/names.repository';
import { SanctionRepository } from '../oversight/sanction.repository';
import { AnnualGrantRepository, grantKey } from './annual-grant.repository';
import { ApplicationRepository } from './application.repository';
import { maskHolderName } from './holder-name';
import { VerificationView, VersionedVoucher } from './voucher.dto';
import { Voucher, VoucherApplication } from './voucher.entity';
import { enterpriseSubject } from './voucher.rules';
import { VoucherRepository } from './voucher.repository';
import { effectiveVoucherStatus } from './voucher.time-rules';

/** Verification codes are 128 random bits in base64url (VoucherIssuer); anything else is no code of ours. */
const VERIFICATION_CODE = /^[A-Za-z0-9_-]{16,64}$/;

/** When a revoked voucher was revoked: not its `updatedAt`, which a claim decided since moves. */
const revokedAt = (voucher: Voucher): string => voucher.closedAt ?? voucher.updatedAt;

/** Reading vouchers and applications within the caller's scope, public verification, and certificates. */
@Injectable()
export class VouchersQueries {
  constructor(
    private readonly vouchers: VoucherRepository,
    private readonly applications: ApplicationRepository,
    private readonly organizations: OrganizationsService,
    private readonly policies: PoliciesService,
    private readonly documents: DocumentsService,
    private readonly names: NamesRepository,
    private readonly grants: AnnualGrantRepository,
    private readonly sanctions: SanctionRepository,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  /** Enterprises see their own, bureaus their region's; providers have no vouchers to list. With the enterprises' names. */
  async listVouchers(
    actor: Actor,
    q: { status?: string; limit: number; offset: number },
  ): Promise<Page<VersionedVoucher> & { names: Names }> {
    const page = await this.vouchers.list(listScope(actor), q);
    return {
      items: await Promise.all(page.items.map((v) => this.versioned(v))),
      total: page.total,
      names: await this.names.of(page.items.map((v) => v.enterpriseId)),
    };
  }

  /** The voucher with its policy's version: the policies service keeps the versions it read (a few per region). */
  async versioned(voucher: Voucher): Promise<VersionedVoucher>;
  async versioned(voucher: Voucher | null): Promise<VersionedVoucher | null>;
  async versioned(voucher: Voucher | null): Promise<VersionedVoucher | null> {
    return voucher && { ...voucher, policyVersion: (await this.policies.load(voucher.policyId)).version };
  }

  async voucher(actor: Actor, id: string): Promise<VersionedVoucher> {
    const voucher = await this.vouchers.get(id);
    if (
      !voucher ||
      actor.role === 'provider' ||
      !canRead(actor, { organizationIds: [voucher.enterpriseId], regionCodes: [voucher.issuingRegionCode] })
    ) {
      throw notFound('voucher');
    }
    return this.versioned(voucher);
  }

  /**
   * With the enterprises' names and, for bureaus and the platform, each undecided application's enterprise total granted
   * this year by its issuing region (what the annual cap will count with it): a reviewer decides on it.
   */
  async listApplications(
    actor: Actor,
    q: { status?: string; issuingRegionCode?: string; limit: number; offset: number },
  ): Promise<Page<VoucherApplication> & { names: Names; granted: Map<string, number> }> {
    const page = await this.applications.list(listScope(actor), q);
    const granted = new Map<string, number>();
    if (actor.role === 'bureau' || actor.role === 'platform') {
      const undecided = page.items
        .filter((a) => (a.status === 'pending_review' || a.status === 'awaiting_second_approval') && a.issuingRegionCode)
        .map((a) => ({ id: a.id, regionCode: a.issuingRegionCode!, subject: enterpriseSubject(a.enterpriseId) }));
      const totals = await this.grants.grantedAmong(clock.year(), undecided);
      for (const a of undecided) granted.set(a.id, totals.get(grantKey(a.regionCode, a.subject)) ?? 0);
    }
    return { ...page, names: await this.names.of(page.items.map((a) => a.enterpriseId)), granted };
  }

  async application(actor: Actor, id: string): Promise<{ application: VoucherApplication; voucher: VersionedVoucher | null }> {
    const application = await this.applications.get(id);
    if (
      !application ||
      actor.role === 'provider' ||
      !canRead(actor, { organizationIds: [application.enterpriseId], regionCodes: [application.issuingRegionCode] })
    ) {
      throw notFound('application');
    }
    const voucher = application.voucherId ? ((await this.vouchers.get(application.voucherId)) ?? null) : null;
    return { application, voucher: await this.versioned(voucher) };
  }

  /** Public: what the QR code on a certificate opens. Reveals no private data. */
  async verify(code: string): Promise<VerificationView> {
    return (await this.verifyWithHolder(code)).verification;
  }

  /** Public, for the verification page: the same facts, and the holder's name masked (maskHolderName). */
  async verifyWithHolder(code: string): Promise<{ verification: VerificationView; maskedHolderName: string }> {
    const voucher = await this.byVerificationCode(code);
    const holder = await this.organizations.load(voucher.enterpriseId);
    // A lab checking a certificate learns that its holder cannot use it now (holds and captures are refused SANCTIONED),
    // before it books hours for nothing; the sanction list itself is readable by every signed-in user.
    const sanctioned = (await this.sanctions.boundAmong([holder], clock.today())).size > 0;
    return { verification: this.verificationOf(voucher, sanctioned), maskedHolderName: maskHolderName(holder.name) };
  }

  /** A malformed code is answered like an unknown one, without a query. */
  private async byVerificationCode(code: string): Promise<Voucher> {
    const voucher = VERIFICATION_CODE.test(code) ? await this.vouchers.byVerificationCode(code) : undefined;
    if (!voucher) throw notFound('voucher');
    return voucher;
  }

  private verificationOf(voucher: Voucher, holderSanctioned: boolean): VerificationView {
    const status = effectiveVoucherStatus(voucher, clock.today());
    return {
      valid: status === 'active',
      serial: voucher.serial,
      issuingRegionCode: voucher.issuingRegionCode,
      issuingBureau: bureauName(voucher.issuingRegionCode),
      status,
      faceValueFen: voucher.faceValueFen,
      validUntil: voucher.validUntil,
      ...(voucher.status === 'revoked' ? { revokedAt: revokedAt(voucher) } : {}),
      ...(holderSanctioned && status === 'active' ? { holderSanctioned: true } : {}),
    };
  }

  async certificate(actor: Actor, id: string): Promise<{ serial: string; pdf: Buffer }> {
    const voucher = await this.voucher(actor, id);
    const holder = await this.organizations.load(voucher.enterpriseId);
    const policy = await this.policies.load(voucher.policyId);
    const pdf = await this.documents.renderVoucherCertificate({
      serial: voucher.serial,
      issuingRegionName: regionName(voucher.issuingRegionCode),
      issuingBureauName: bureauName(voucher.issuingRegionCode),
      holderName: holder.name,
      holderCreditCode: holder.creditCode,
      faceValueFen: voucher.faceValueFen,
      validFrom: voucher.validFrom,
      validUntil: voucher.validUntil,
      policyVersion: policy.version,
      policyRegionCode: policy.regionCode,
      verifyUrl: `${this.config.publicBaseUrl}/verify/${voucher.verificationCode}`,
      issuedAt: voucher.createdAt,
      ...(voucher.status === 'revoked' ? { revoked: { at: revokedAt(voucher), reason: voucher.statusReason } } : {}),
    });
    return { serial: voucher.serial, pdf };
  }
}
