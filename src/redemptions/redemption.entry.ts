import type { Redemption } from './redemption.entity';

/** A redemption's audit entry (and so its event), naming its voucher, so that a follower of the events alone can book it. */
export const redemptionEntry = (
  r: Pick<Redemption, 'id' | 'voucherId' | 'issuingRegionCode' | 'enterpriseId' | 'providerId'>,
  action: string,
  summary: Record<string, unknown>,
) => ({
  action,
  entityType: 'redemption',
  entityId: r.id,
  regionCode: r.issuingRegionCode,
  organizationId: r.enterpriseId,
  counterpartyId: r.providerId,
  summary: { voucherId: r.voucherId, ...summary },
});
