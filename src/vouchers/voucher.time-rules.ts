import { raw, sql } from '../common/persistence/sql';
import type { TimeRule } from '../common/time/time-rule';
import type { Voucher, VoucherStatus } from './voucher.entity';

/** An open voucher past its last day (`at` is a date): expired, whether or not the sweep has closed it yet. */
export const voucherPastValidity: TimeRule<Pick<Voucher, 'status' | 'validUntil'>> = {
  holds: (v, today) => (v.status === 'active' || v.status === 'exhausted') && v.validUntil < today,
  sql: (alias, today) => sql`(${raw(alias)}.status IN ('active', 'exhausted') AND ${raw(alias)}.valid_until < ${today})`,
};

/** The status a reader sees: past its last day an open voucher is expired before the sweep gets to it. */
export const effectiveVoucherStatus = (v: Pick<Voucher, 'status' | 'validUntil'>, today: string): VoucherStatus =>
  voucherPastValidity.holds(v, today) ? 'expired' : v.status;
