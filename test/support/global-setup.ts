import { randomBytes } from 'node:crypto';

/**
 * Names the run's migrated template (createMigratedDatabase), made by the first suite that needs one. Set here, in
 * jest's own process, so that every suite of the run sees it. `vt_` like the suites' databases: CI sweeps any left.
 */
export default function globalSetup(): void {
  process.env.TEST_DB_TEMPLATE ??= `vt_tpl_${process.pid}_${randomBytes(3).toString('hex')}`;
}
