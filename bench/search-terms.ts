/**
 * Issue 18: what each search term costs, one request at a time, through the repository on a kept volume
 * (BENCH_KEEP_DATABASE=1): every (term, province, category) of the bench's search mix, the median of 5 runs each,
 * averaged per term. Shows which terms the 32-connection search rate pays for.
 *   node dist/bench/search-terms.js vbench_…
 */
import { DataSource } from 'typeorm';
import { beijingDate } from '../src/common/clock';
import { Database } from '../src/common/persistence/database';
import { databaseConfig } from '../src/config/configuration';
import { dataSourceOptions } from '../src/database/data-source-options';
import { FacilityRepository } from '../src/facilities/facility.repository';
import { SEARCH_TERMS } from './lib/volume';
import { CATEGORIES, PROVINCES } from './lib/volume-bench';
const RUNS = 5;
const combinations = PROVINCES.length * CATEGORIES.length;

async function main() {
  const name = process.argv[2];
  const ds = await new DataSource({
    ...dataSourceOptions({ ...databaseConfig(), type: 'mariadb', name }),
    poolSize: 1,
  } as never).initialize();
  const repo = new FacilityRepository(new Database(ds));
  const now = new Date().toISOString();
  let all = 0;
  for (const q of SEARCH_TERMS) {
    let sum = 0;
    let worst = 0;
    let totals = 0;
    for (const provinceCode of PROVINCES)
      for (const category of CATEGORIES) {
        const ms: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const start = process.hrtime.bigint();
          const page = await repo.search({ q, category, provinceCode, limit: 20, offset: 0 }, now, beijingDate(now));
          ms.push(Number(process.hrtime.bigint() - start) / 1e6);
          totals = Math.max(totals, page.total);
        }
        ms.sort((a, b) => a - b);
        sum += ms[RUNS >> 1];
        worst = Math.max(worst, ms[RUNS >> 1]);
      }
    all += sum;
    console.log(
      `${q}\t${(sum / combinations).toFixed(2)} ms a search (mean of ${combinations} medians), slowest ${worst.toFixed(1)} ms, largest total ${totals}`,
    );
  }
  console.log(`all\t${(all / (combinations * SEARCH_TERMS.length)).toFixed(2)} ms a search`);
  await ds.destroy();
}

void main();
