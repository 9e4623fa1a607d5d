import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { int, str } from './columns';

/**
 * One row per group `npm run first-admin` makes admins for (the platform, each province's bureau). Each run writes its
 * group's row first, in its transaction, so that two runs for one group take turns and the second counts the first's
 * admin: without it, both counted the admins before either and a group could get more than two (README, first admins).
 * Re-runnable: the table is made if missing and its rows written again.
 */
export class FirstAdminGroups1767400000000 implements MigrationInterface {
  name = 'FirstAdminGroups1767400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'first_admin_group',
        columns: [
          { ...str('group_code', 8), isPrimary: true },
          { ...int('made'), default: 0 },
        ],
      }),
      true,
    );
    await queryRunner.query('DELETE FROM first_admin_group');
    for (const group of ['platform', '310000', '320000', '330000', '340000']) {
      await queryRunner.query('INSERT INTO first_admin_group (group_code, made) VALUES (?, 0)', [group]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('first_admin_group', true);
  }
}
