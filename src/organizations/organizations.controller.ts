import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { regionNotFound } from '../common/errors/domain-error';
import { csvRecords } from '../common/http/csv';
import { validationPipe } from '../common/http/validation';
import { CallerLanguage, Language } from '../common/i18n/messages';
import { isKnownRegion } from '../regions/regions.data';
import { Refuses } from '../common/http/answers';
import { IsIn } from 'class-validator';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { PageQuery } from '../common/http/paging';
import { unwrap } from '../common/use-case';
import {
  AdmitProviderInput,
  DeclineEnterpriseInput,
  OrganizationView,
  QualifiedImportView,
  QualifiedListInput,
  RejectBankChangeInput,
  SuspendProviderInput,
  UpdateProfileInput,
  VerifyEnterpriseInput,
} from './organization.dto';
import { ORGANIZATION_STATUSES } from './organization.entity';
import { OrganizationsService, QualifiedRow } from './organizations.service';
import { ApiBodyExample, ApiPageResponse, Explained, NO_MONEY, READ_ONLY } from '../common/http/explained';
import { HttpRequest } from '../common/http/http-neutral';
import { IsOmittable } from '../common/http/validators';

class OrganizationQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['enterprise', 'provider'] }) @IsOmittable() @IsIn(['enterprise', 'provider']) type?:
    'enterprise' | 'provider';
  @ApiPropertyOptional({ enum: ORGANIZATION_STATUSES })
  @IsOmittable()
  @IsIn(ORGANIZATION_STATUSES)
  status?: string;
  @ApiPropertyOptional({ enum: ['pending'], description: 'only those whose change of bank account waits for a bureau' })
  @IsOmittable()
  @IsIn(['pending'])
  bankAccountChange?: 'pending';
}

@ApiTags('organizations')
@Controller()
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get('organizations')
  @Explained({
    summary: 'Organizations (enterprises and providers) within the caller’s scope',
    who: 'Any signed-in user: an organization sees itself, a bureau the organizations of its region and the cities below it, the platform all.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'Filter by type and status, or bankAccountChange=pending for the changes of account waiting for a bureau; paged.',
  })
  @ApiPageResponse(OrganizationView, 'organizations in the caller’s scope')
  @Authenticated()
  list(@CurrentActor() actor: Actor, @Query() q: OrganizationQuery) {
    return this.organizations.list(actor, q).then((p) => ({ items: p.items.map(OrganizationView.of), total: p.total }));
  }

  @Get('organizations/:id')
  @Explained({
    summary: 'One organization, its profile with the bank account masked',
    who: 'The organization itself, the bureau of its region (or province) and the platform; anyone else gets 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: OrganizationView })
  async get(@CurrentActor() actor: Actor, @Param('id', new IdPipe('organization')) id: string): Promise<OrganizationView> {
    return OrganizationView.of(await this.organizations.get(actor, id));
  }

  @Patch('organizations/:id')
  @Explained({
    summary: 'Change your organization’s profile: contact, address, bank account and related parties (the bureau: the controller too)',
    who: 'An admin of the organization: another organization’s id is 404, a user who is not an admin 403. The controller is declared or changed, and a declared related party removed, only by the bureau of the organization’s region (or province), which changes nothing else (403: a controller’s group shares its annual cap, so a declaration is the bureau’s to check); another bureau gets 404.',
    changes:
      'Changes the fields given (relatedCreditCodes replaces the list); every change is an audit entry (organization.profile_updated) with old and new values that the bureau of the region reads.',
    money: NO_MONEY,
    details:
      'A payee’s bank account (8–30 digits, with bankName) is shown masked everywhere but on settlement lines and statements for the paying bureau; a batch already prepared pays the account it was prepared with while it is still the one on file. An account is on file for one organization only: one another organization has is 409 BANK_ACCOUNT_IN_USE (which organization is not said). An account goes on file once the bureau has verified the enterprise or admitted the lab (before: 409 INVALID_STATE), so that no one registering can hold a payee’s account or try which are on file. Once one is on file, a change of bank or account waits for the bureau of the organization’s region (pendingBankAccount; POST /api/organizations/:id/bank-account/confirm or /reject): the account on file stays, the payee is held by settlement until the bureau decides, and the organization’s users are told (always mailed); an account waiting for a bureau counts for BANK_ACCOUNT_IN_USE too, and a second change while one waits is 409 INVALID_STATE. Clearing the account (null) takes effect and withdraws a change waiting.',
  })
  @ApiBodyExample(UpdateProfileInput, {
    contactPerson: '王敏',
    contactPhone: '0551-65123456',
    contactEmail: 'finance@micronano.example.cn',
    address: '安徽省合肥市蜀山区望江西路 800 号',
    bankName: '中国工商银行合肥科技支行',
    bankAccount: '1302 0108 0920 0054 321',
    relatedCreditCodes: ['91320500MA1N7K5L2P'],
  })
  @Authenticated('enterprise', 'provider', 'bureau')
  @ApiOkResponse({ type: OrganizationView, description: 'the organization as changed (bank account masked)' })
  @Refuses(OrganizationsService.profileRefusals)
  async updateProfile(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('organization')) id: string,
    @Body() body: UpdateProfileInput,
  ): Promise<OrganizationView> {
    return OrganizationView.of(await this.organizations.updateProfile(actor, id, body));
  }

  @Post('organizations/:id/bank-account/confirm')
  @Explained({
    summary: 'Confirm an organization’s change of bank account (收款账户变更确认)',
    who: 'A bureau user of the organization’s region (or its province), not the person who asked for the change (403 DUAL_CONTROL_REQUIRED); other bureaus are 403.',
    changes:
      'The account waiting (pendingBankAccount) goes on file: batches prepared from now on pay it, and a batch prepared with the old one holds the payee back at payment. None waiting, or decided meanwhile: 409 INVALID_STATE. The organization’s users are told (always mailed); audited (organization.bank_account_change_confirmed).',
    money: NO_MONEY,
    details:
      'Once an account is on file, a change of it (PATCH /api/organizations/:id with bankAccount or bankName) waits for this: the account on file stays, and settlement holds the payee (leaves it out of a batch, and holds it back at payment) until the bureau confirms or rejects the change.',
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: OrganizationView, description: 'the organization, its new account on file (masked)' })
  @Refuses(OrganizationsService.bankChangeRefusals)
  async confirmBankChange(@CurrentActor() actor: Actor, @Param('id', new IdPipe('organization')) id: string): Promise<OrganizationView> {
    return OrganizationView.of(await this.organizations.decideBankChange(actor, id, { confirm: true }));
  }

  @Post('organizations/:id/bank-account/reject')
  @Explained({
    summary: 'Reject an organization’s change of bank account, with a reason',
    who: 'A bureau user of the organization’s region (or its province), not the person who asked for the change (403 DUAL_CONTROL_REQUIRED); other bureaus are 403.',
    changes:
      'The change waiting is dropped; the account on file stays and is paid again. None waiting, or decided meanwhile: 409 INVALID_STATE. The organization’s users are told, with the reason (always mailed); audited (organization.bank_account_change_rejected).',
    money: NO_MONEY,
  })
  @ApiBodyExample(RejectBankChangeInput, { reason: '开户许可证与所填账户不符' })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: OrganizationView, description: 'the organization, its account on file as it was' })
  @Refuses(OrganizationsService.bankChangeRefusals)
  async rejectBankChange(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('organization')) id: string,
    @Body() body: RejectBankChangeInput,
  ): Promise<OrganizationView> {
    return OrganizationView.of(await this.organizations.decideBankChange(actor, id, { confirm: false, reason: body.reason.trim() }));
  }

  @Post('providers/:id/admit')
  @Explained({
    summary: 'Admit a provider (服务机构入库): it enters public notice (公示)',
    who: 'A bureau user of the provider’s province; other bureaus are 403.',
    changes:
      'Enters public notice (公示) for `noticeDays` (default 7; 0 activates at once), after which it is active and may list facilities and take holds; a suspended provider’s users are notified of it; audited.',
    money: NO_MONEY,
  })
  @ApiBodyExample(AdmitProviderInput, { noticeDays: 7 })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: OrganizationView })
  @Refuses(OrganizationsService.admitRefusals)
  async admit(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('provider')) id: string,
    @Body() body: AdmitProviderInput,
  ): Promise<OrganizationView> {
    return OrganizationView.of(unwrap(await this.organizations.admit(actor, id, body.noticeDays)));
  }

  @Post('providers/:id/suspend')
  @Explained({
    summary: 'Suspend a provider, with a reason',
    who: 'A bureau user of the provider’s province; other bureaus are 403.',
    changes: 'active → suspended: its facilities take no new holds or bookings; its users are notified; audited.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: OrganizationView })
  @Refuses(OrganizationsService.suspendRefusals)
  async suspend(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('provider')) id: string,
    @Body() body: SuspendProviderInput,
  ): Promise<OrganizationView> {
    return OrganizationView.of(unwrap(await this.organizations.suspend(actor, id, body.reason)));
  }

  @Post('organizations/:id/verify')
  @Explained({
    summary: 'Verify an enterprise on the certificate of its qualification',
    who: 'A bureau user of the enterprise’s region (or its province).',
    changes:
      'pending_verification (or declined) → active; until then its applications are rejected ENTERPRISE_NOT_VERIFIED; audited. Of an active enterprise, with a `reason`, corrects its certificate number and nothing else (audited as enterprise.certificate_corrected with the number it was); without one, 409.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: OrganizationView })
  @Refuses(OrganizationsService.verifyRefusals)
  async verify(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('enterprise')) id: string,
    @Body() body: VerifyEnterpriseInput,
  ): Promise<OrganizationView> {
    return OrganizationView.of(unwrap(await this.organizations.verify(actor, id, body.certificateNo, body.reason)));
  }

  @Post('organizations/:id/decline')
  @Explained({
    summary: 'Decline an enterprise’s verification, with a reason',
    who: 'A bureau user of the enterprise’s region (or its province).',
    changes: 'pending_verification → declined; audited.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: OrganizationView })
  @Refuses(OrganizationsService.verifyRefusals)
  async decline(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('enterprise')) id: string,
    @Body() body: DeclineEnterpriseInput,
  ): Promise<OrganizationView> {
    return OrganizationView.of(unwrap(await this.organizations.decline(actor, id, body.reason)));
  }

  @Put('qualified-enterprises/:regionCode')
  @Explained({
    summary: 'Load a region’s list of qualified enterprises (科技型中小企业名单)',
    who: 'A bureau user of the region (or its province).',
    changes:
      'Adds or updates rows, never removes; listed enterprises register active, and those already waiting for verification whose codes are listed become active.',
    money: NO_MONEY,
    details:
      'text/csv with the header `creditCode,certificateNo` (UTF-8, BOM and Excel quoting accepted), or JSON `{rows:[…]}`. A bad row is reported with its line (in a CSV the header is line 1) and the rest load.',
  })
  @ApiBodyExample(
    QualifiedListInput,
    { rows: [{ creditCode: '91340100MA2T8XQ21W', certificateNo: '202634010400123' }] },
    'creditCode,certificateNo\r\n91340100MA2T8XQ21W,202634010400123\r\n',
  )
  @Authenticated('bureau')
  @ApiConsumes('application/json', 'text/csv')
  @ApiOkResponse({ type: QualifiedImportView })
  async importQualified(
    @CurrentActor() actor: Actor,
    @Param('regionCode') regionCode: string,
    @Req() req: HttpRequest,
    @CallerLanguage() lng: Language,
  ): Promise<QualifiedImportView> {
    if (!isKnownRegion(regionCode)) throw regionNotFound(regionCode);
    // A CSV row is named by its line in the file, as a spreadsheet shows it (the header is line 1); a JSON row by its place.
    if (typeof req.body === 'string') {
      const records = csvRecords(req.body, ['creditCode', 'certificateNo']);
      const rows = records.map((r) => r.cells as unknown as QualifiedRow);
      return this.organizations.importQualified(
        actor,
        regionCode,
        rows,
        records.map((r) => r.line),
        lng,
      );
    }
    return this.organizations.importQualified(actor, regionCode, await qualifiedRows(req.body), undefined, lng);
  }
}

/** A JSON list, validated like any body. */
async function qualifiedRows(body: unknown): Promise<QualifiedRow[]> {
  const input = (await validationPipe.transform(body, { type: 'body', metatype: QualifiedListInput })) as QualifiedListInput;
  return input.rows;
}
