import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { invoiceKey } from '../src/claims/claim.rules';

const PAGE = 5_000;

/**
 * Invoice numbers are folded more strictly (invoiceKey: every separator, mark and invisible character dropped, any
 * script's digits and O, I, L read as digits), so the keys of standing claims are folded again: a claim made before
 * must stop the same invoice written another way now. Two standing claims that turn out to name one invoice keep
 * their keys as they were (the unique key would refuse the second), and are named in the log for the bureau.
 */
export class InvoiceKeysRefolded1765500000000 implements MigrationInterface {
  name = 'InvoiceKeysRefolded1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const clashes: string[] = [];
    for (let after = ''; ;) {
      const rows: { id: string; claimant_id: string; evidence: string | { invoiceNo: string }; invoice_key: string }[] =
        await queryRunner.query(
          'SELECT id, claimant_id, evidence, invoice_key FROM claim WHERE invoice_key IS NOT NULL AND id > ? ORDER BY id LIMIT ?',
          [after, PAGE],
        );
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      for (const row of rows) {
        const evidence = typeof row.evidence === 'string' ? (JSON.parse(row.evidence) as { invoiceNo: string }) : row.evidence;
        const key = invoiceKey(evidence.invoiceNo);
        if (key === row.invoice_key) continue;
        const [taken] = await queryRunner.query('SELECT id FROM claim WHERE claimant_id = ? AND invoice_key = ?', [row.claimant_id, key]);
        if (taken) clashes.push(`${row.id} and ${(taken as { id: string }).id}`);
        else await queryRunner.query('UPDATE claim SET invoice_key = ? WHERE id = ?', [key, row.id]);
      }
    }
    if (clashes.length > 0)
      new Logger('Migrations').warn(`standing claims naming one invoice, keys left as they were: ${clashes.join('; ')}`);
  }

  // The keys folded again stay: the former folding cannot be recovered from them, and they are what it made or stricter.
  async down(): Promise<void> {}
}
