import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { instant, str } from './columns';

/**
 * Organization profiles: contact person, phone, e-mail and address, and for payees the bank they are paid into. A
 * settlement line keeps the bank details its payee had when the batch was prepared: a later change of account does
 * not redirect a batch already prepared (the classic fraud), and the statement shows what the treasury pays.
 */
export class Profiles1764700000000 implements MigrationInterface {
  name = 'Profiles1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('organization', [
      new TableColumn(str('contact_person', 100, true)),
      new TableColumn(str('contact_phone', 32, true)),
      new TableColumn(str('contact_email', 254, true)),
      new TableColumn(str('address', 300, true)),
      new TableColumn(str('bank_name', 100, true)),
      new TableColumn(str('bank_account', 34, true)),
      new TableColumn(instant('profile_updated_at', true)),
    ]);
    await queryRunner.addColumns('settlement_line', [
      new TableColumn(str('payee_bank_name', 100, true)),
      new TableColumn(str('payee_bank_account', 34, true)),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const c of ['payee_bank_account', 'payee_bank_name']) await queryRunner.dropColumn('settlement_line', c);
    for (const c of ['profile_updated_at', 'bank_account', 'bank_name', 'address', 'contact_email', 'contact_phone', 'contact_person']) {
      await queryRunner.dropColumn('organization', c);
    }
  }
}
