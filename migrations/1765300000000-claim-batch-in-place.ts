import { MigrationInterface, QueryRunner } from 'typeorm';

const mariadb = (queryRunner: QueryRunner) => queryRunner.connection.options.type !== 'better-sqlite3';

/**
 * A claim's batch is written in place (issue 18). Settlement sets settlement_id on every claim of the batch, from NULL
 * to an id: as a VARCHAR each row grew by 36 bytes and InnoDB moved it within or out of its page. That was 1.6 s of
 * marking 100,000 claims at a year's volume. In ROW_FORMAT=REDUNDANT a fixed-length column keeps its bytes while NULL,
 * so the update is in place: with a one-byte character set, CHAR(36) is fixed-length, 36 bytes. Ids are ASCII. The
 * table grows by about 12 %. Marking 100,000 claims at a year took 2.8–3.4 s instead of 5.8 s on copies of the claim
 * table, and 1.5–1.8 s instead of 3.6–3.9 s through the service (docs/performance.md). SQLite keeps the column as
 * it is (see InPlaceRefColumn).
 */
export class ClaimBatchInPlace1765300000000 implements MigrationInterface {
  name = 'ClaimBatchInPlace1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One rebuild for both: at a year's volume it copies the claim table once.
    if (mariadb(queryRunner))
      await queryRunner.query(
        'ALTER TABLE claim ROW_FORMAT=REDUNDANT, MODIFY settlement_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL',
      );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (mariadb(queryRunner)) await queryRunner.query('ALTER TABLE claim ROW_FORMAT=DEFAULT, MODIFY settlement_id VARCHAR(36) NULL');
  }
}
