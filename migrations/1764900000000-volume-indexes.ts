import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';
import { idx } from './columns';

/** [table, index the volume benchmark's queries need, the index it replaces (its leading columns), if any]. */
const INDEXES: [table: string, columns: string[], replaces?: string[]][] = [
  // The flows for a year (issuer × provider province over captured redemptions) read this index alone instead of
  // every row of the table, a full scan that grows with every redemption (1.2 s at a tenth of a year's data).
  ['redemption', ['budget_year', 'status', 'issuing_region_code', 'provider_province_code', 'captured_subsidy_fen'], undefined],
  // The ledger check sums every account's credits and debits: with the amount in the index, GROUP BY walks the index
  // in order without a row lookup per transfer. They replace the single-column indexes, which they serve as prefixes.
  ['ledger_transfer', ['debit_account', 'amount_fen'], ['debit_account']],
  ['ledger_transfer', ['credit_account', 'amount_fen'], ['credit_account']],
];

const named = (indices: TableIndex[], columns: string[]) => indices.find((i) => i.columnNames.join() === columns.join());

/** Indexes for a year's volume of data (issue 18): the statistics and the ledger check stop scanning whole tables row by row. */
export class VolumeIndexes1764900000000 implements MigrationInterface {
  name = 'VolumeIndexes1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, columns, replaces] of INDEXES) {
      await queryRunner.createIndex(table, idx(columns));
      if (replaces) {
        const old = named((await queryRunner.getTable(table))!.indices, replaces);
        if (old) await queryRunner.dropIndex(table, old);
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, columns, replaces] of [...INDEXES].reverse()) {
      if (replaces) await queryRunner.createIndex(table, idx(replaces));
      const index = named((await queryRunner.getTable(table))!.indices, columns);
      if (index) await queryRunner.dropIndex(table, index);
    }
  }
}
