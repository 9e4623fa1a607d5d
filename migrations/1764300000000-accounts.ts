import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey } from 'typeorm';
import { id, idx, instant, int, ref, str, text } from './columns';

/**
 * Accounts as GB/T 22239 level 3 asks: sessions that can be ended (rotating refresh tokens, stored hashed), staff
 * accounts with an admin and a disabled state, two-factor secrets (encrypted), and the counters behind lockout and
 * per-address limits.
 */
export class Accounts1764300000000 implements MigrationInterface {
  name = 'Accounts1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('app_user', [
      new TableColumn({ name: 'admin', type: 'boolean', default: 0 }),
      new TableColumn(str('email', 200, true)),
      new TableColumn(instant('disabled_at', true)),
      new TableColumn(str('mfa_secret', 200, true)),
      new TableColumn(instant('mfa_enabled_at', true)),
      new TableColumn(int('mfa_last_step', true)),
      new TableColumn(instant('password_changed_at', true)),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'session',
        columns: [
          id(),
          ref('user_id'),
          str('refresh_hash', 64),
          instant('created_at'),
          instant('refreshed_at'),
          instant('expires_at'),
          instant('revoked_at', true),
          str('revoked_reason', 40, true),
          str('client_ip', 64, true),
          str('user_agent', 200, true),
        ],
        indices: [idx(['user_id'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_session_user',
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
    await queryRunner.createTable(
      new Table({
        name: 'throttle',
        columns: [
          { ...str('throttle_key', 120), isPrimary: true },
          instant('window_start', true),
          { ...int('hits'), default: 0 },
          text('recent', true),
          instant('locked_until', true),
          instant('updated_at'),
        ],
        indices: [idx(['updated_at'])],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('throttle', true);
    await queryRunner.dropTable('session', true);
    for (const column of ['password_changed_at', 'mfa_last_step', 'mfa_enabled_at', 'mfa_secret', 'disabled_at', 'email', 'admin']) {
      await queryRunner.dropColumn('app_user', column);
    }
  }
}
