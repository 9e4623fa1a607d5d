import type { VoucherApplication } from './voucher.entity';

/** An application's audit entry (and so its event): submitted, decided at once by the rules, or by its bureau. */
export const applicationEntry = (
  a: Pick<VoucherApplication, 'id' | 'issuingRegionCode' | 'enterpriseId'>,
  action: string,
  summary: Record<string, unknown>,
) => ({
  action,
  entityType: 'voucher_application',
  entityId: a.id,
  regionCode: a.issuingRegionCode,
  organizationId: a.enterpriseId,
  summary,
});
