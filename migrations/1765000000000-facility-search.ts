import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { gramsOf } from '../src/facilities/facility-grams';
import { fen, idx, ref, region, str } from './columns';

const BY_PROVINCE = ['province_code', 'category'];
// Search by province and category, and the comparison by category, walk these in (unit price, id) order: no sort.
const BY_PROVINCE_PRICED = ['province_code', 'category', 'status', 'unit_price_fen', 'id'];
const BY_CATEGORY_PRICED = ['category', 'status', 'unit_price_fen', 'id'];
const BATCH = 500;

const named = (indices: TableIndex[], columns: string[]) => indices.find((i) => i.columnNames.join() === columns.join());

/**
 * Writes the search pairs of every facility already there (facility-grams.ts), in batches keyset by id: a deployment
 * upgrades with its facilities in place.
 */
export async function indexFacilities(queryRunner: QueryRunner): Promise<void> {
  let after = '';
  for (;;) {
    const rows: { id: string; name: string; description: string | null; category: string; province_code: string }[] =
      await queryRunner.query('SELECT id, name, description, category, province_code FROM facility WHERE id > ? ORDER BY id LIMIT ?', [
        after,
        BATCH,
      ]);
    if (rows.length === 0) break;
    const grams = rows.flatMap((r) => gramsOf(r.name, r.description).map((gram) => [gram, r.category, r.province_code, r.id]));
    for (let i = 0; i < grams.length; i += BATCH) {
      const chunk = grams.slice(i, i + BATCH);
      await queryRunner.query(
        `INSERT INTO facility_gram (gram, category, province_code, facility_id) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
        chunk.flat(),
      );
    }
    after = rows[rows.length - 1].id;
  }
}

/**
 * Facility search at a year's volume (issue 18): the Han character pairs of every facility's name and description
 * (facility-grams.ts) keyed with its category and province, filled from the facilities already there, and indexes that serve search and comparison in
 * price order.
 */
export class FacilitySearch1765000000000 implements MigrationInterface {
  name = 'FacilitySearch1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'facility_gram',
        columns: [
          { ...fen('gram'), isPrimary: true },
          { ...str('category', 32), isPrimary: true },
          { ...region('province_code'), isPrimary: true },
          { ...ref('facility_id'), isPrimary: true },
        ],
        indices: [idx(['facility_id'])],
      }),
    );
    // The index below commits these rows on MySQL/MariaDB: a run cut off after it and run again finds them (src/database/rerunnable-ddl.ts).
    await queryRunner.query('DELETE FROM facility_gram');
    await indexFacilities(queryRunner);

    await queryRunner.createIndex('facility', idx(BY_PROVINCE_PRICED));
    await queryRunner.createIndex('facility', idx(BY_CATEGORY_PRICED));
    const old = named((await queryRunner.getTable('facility'))!.indices, BY_PROVINCE);
    if (old) await queryRunner.dropIndex('facility', old);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('facility', idx(BY_PROVINCE));
    for (const columns of [BY_CATEGORY_PRICED, BY_PROVINCE_PRICED]) {
      const index = named((await queryRunner.getTable('facility'))!.indices, columns);
      if (index) await queryRunner.dropIndex('facility', index);
    }
    await queryRunner.dropTable('facility_gram');
  }
}
