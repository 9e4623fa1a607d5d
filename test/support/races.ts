import { isMaria } from './test-app';

const RACES = 'SQLite runs one transaction at a time, so a race can never be lost there and these tests would pass with every lock removed';

/** A suite that can only fail on a database server, so on SQLite it is skipped, saying why. .ci/run requires none skipped on MariaDB. */
export function describeOnServer(name: string, reason: string, body: () => void): void {
  const suite = isMaria() ? describe : describe.skip;
  if (!isMaria()) console.info(`skipped "${name}" on SQLite: ${reason}; it runs on MariaDB (DB_TYPE=mariadb)`);
  suite(name, body);
}

/** A suite of races: many requests at once against one row, which only a database running transactions concurrently can lose. */
export const describeRaces = (name: string, body: () => void) => describeOnServer(name, RACES, body);
