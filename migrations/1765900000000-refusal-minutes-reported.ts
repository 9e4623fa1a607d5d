import { MigrationInterface, QueryRunner } from 'typeorm';
import { idx } from './columns';

/**
 * A minute of refused logins that ended with more than its first refusal is reported by a sweep (an attack that stops
 * has no next minute to report it); the index finds those rows (refusals > 1) without reading every throttle row.
 */
export class RefusalMinutesReported1765900000000 implements MigrationInterface {
  name = 'RefusalMinutesReported1765900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('throttle', idx(['refusals', 'refused_since']));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const index = (await queryRunner.getTable('throttle'))!.indices.find((i) => i.columnNames.join() === 'refusals,refused_since');
    if (index) await queryRunner.dropIndex('throttle', index);
  }
}
