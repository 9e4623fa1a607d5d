import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { beijingDate, beijingYear } from '../../common/clock';
import { catalogued } from '../../common/errors/domain-error';
import { newId } from '../../common/ids';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { LedgerService } from '../../ledger/ledger.service';
import { Organization } from '../../organizations/organization.entity';
import { Policy } from '../../policies/policy.entity';
import { addDays } from '../../policies/policy.rules';
import { provinceOfRegion, SERIAL_PREFIX } from '../../regions/regions.data';
import { AnnualGrantRepository } from '../annual-grant.repository';
import { Voucher, VoucherApplication } from '../voucher.entity';
import { VoucherRepository } from '../voucher.repository';
import { SerialNumbers } from '../serial-numbers';
import { annualCapFor, cappedSubjects, formatSerial, grantSubjects, recordedCapSubject } from '../voucher.rules';

/**
 * Issues the voucher of an approved application, inside the caller's unit of work, after the caller has locked the
 * enterprise's annual-grant row and the budget row and checked the rules on them: counts the grant against the
 * annual cap, numbers the voucher, commits its face value from the budget and pins the policy version in force.
 * The voucher takes the id the application names, when it names one.
 */
@Injectable()
export class VoucherIssuer {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly vouchers: VoucherRepository,
    private readonly grants: AnnualGrantRepository,
    private readonly serials: SerialNumbers,
    private readonly ledger: LedgerService,
  ) {}

  /** `now` is the caller's one reading of the clock, the one its checks ran at: createdAt, validFrom, the serial's year and the budget year agree with them at midnight. */
  async issue(application: VoucherApplication, enterprise: Organization, policy: Policy, amountFen: number, now: string): Promise<Voucher> {
    const today = beijingDate(now);
    const year = beijingYear(now);
    const subjects = grantSubjects(enterprise);
    const capped = cappedSubjects(policy.terms, subjects);
    const capFen = annualCapFor(policy.terms, enterprise.kind);
    for (const subject of subjects) {
      // Counted toward every subject; only the capped ones may refuse it.
      if (
        !(await this.grants.add(policy.regionCode, year, subject, amountFen, capped.includes(subject) ? capFen : Number.MAX_SAFE_INTEGER))
      ) {
        throw catalogued('ANNUAL_CAP_EXCEEDED', 'vouchers.annualCapExceeded', { amountFen, capFen });
      }
    }
    const province = provinceOfRegion(policy.regionCode);
    const prefix = SERIAL_PREFIX[province] ?? province.slice(0, 2);
    const voucher: Voucher = {
      id: application.voucherId ?? newId(),
      serial: formatSerial(prefix, year, await this.serials.next(prefix, year)),
      verificationCode: randomBytes(16).toString('base64url'), // 128 random bits: unguessable
      issuingRegionCode: policy.regionCode,
      budgetYear: year,
      enterpriseId: enterprise.id,
      applicationId: application.id,
      policyId: policy.id,
      capSubject: recordedCapSubject(subjects),
      faceValueFen: 0,
      availableFen: 0,
      heldFen: 0,
      spentFen: 0,
      releasedFen: 0,
      status: 'active',
      validFrom: today,
      validUntil: addDays(today, policy.terms.voucherValidityDays - 1),
      statusReason: null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    await this.vouchers.insert(voucher);
    await this.ledger.fundVoucher(voucher, amountFen);
    this.uow.record({
      action: 'voucher.issued',
      entityType: 'voucher',
      entityId: voucher.id,
      regionCode: voucher.issuingRegionCode,
      organizationId: enterprise.id,
      summary: {
        serial: voucher.serial,
        voucherApplicationId: voucher.applicationId,
        faceValueFen: amountFen,
        budgetYear: voucher.budgetYear,
        validUntil: voucher.validUntil,
        policyId: policy.id,
        policyVersion: policy.version,
      },
    });
    return { ...voucher, faceValueFen: amountFen, availableFen: amountFen };
  }
}
