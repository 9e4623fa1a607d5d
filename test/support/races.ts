import { isMaria } from './test-app';

const REASON =
  'SQLite runs one transaction at a time, so a race can never be lost there and these tests would pass with every lock removed; they run on MariaDB (DB_TYPE=mariadb), where .ci/run requires that none is skipped';

/**
 * A suite of races: many requests at once against one row. Only a database that runs transactions concurrently can
 * lose such a race, so on SQLite the suite is skipped, saying why.
 */
export function describeRaces(name: string, body: () => void): void {
  const suite = isMaria() ? describe : describe.skip;
  if (!isMaria()) console.info(`skipped "${name}": ${REASON}`);
  suite(name, body);
}
