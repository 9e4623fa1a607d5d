import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';
import { ref, str } from './columns';

/**
 * The kinds of notification a user has asked to be told in the app only (PUT /api/notifications/preferences): one row
 * a user and kind; none, as for every user before it, is mail of every kind. Re-runnable: the table is made if missing.
 */
export class NotificationMailOff1767100000000 implements MigrationInterface {
  name = 'NotificationMailOff1767100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'notification_mail_off',
        columns: [
          { ...ref('user_id'), isPrimary: true },
          { ...str('kind', 40), isPrimary: true },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_notification_mail_off_user',
            columnNames: ['user_id'],
            referencedTableName: 'app_user',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('notification_mail_off', true);
  }
}
