import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import type { DatabaseConfig } from '../../src/config/configuration';
import { SerialNumbers } from '../../src/vouchers/serial-numbers';
import { VoucherRepository } from '../../src/vouchers/voucher.repository';
import { TestApp } from '../support/test-app';

/** Voucher serial numbers handed out from blocks that each process reserves in the database. */
describe('serial numbers in blocks', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  /** What one API process would be: its own SerialNumbers, reserving `blockSize` numbers at a time. */
  const apiProcess = (blockSize: number) =>
    new SerialNumbers(t.get(UnitOfWork), t.get(VoucherRepository), { type: 'mariadb', serialBlockSize: blockSize } as DatabaseConfig);
  const next = (serials: SerialNumbers) => t.get(UnitOfWork).run(() => serials.next('AH', 2031));

  it('gives two processes numbers from blocks that never overlap, increasing within each, with gaps where a block is not used up', async () => {
    const [x, y] = [apiProcess(3), apiProcess(3)];
    const taken = [];
    for (const serials of [x, y, x, x, x, y]) taken.push(await next(serials));
    expect(taken).toEqual([1, 4, 2, 3, 7, 5]); // x: 1–3 then 7–9; y: 4–6
    // Another prefix or year has a counter of its own.
    expect(await t.get(UnitOfWork).run(() => x.next('SH', 2031))).toBe(1);
  });

  it('takes them one at a time from the counter row with a block of one: no gaps', async () => {
    const one = apiProcess(1);
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await t.get(UnitOfWork).run(() => one.next('JS', 2031)));
    expect(taken).toEqual([1, 2, 3, 4]);
  });
});
