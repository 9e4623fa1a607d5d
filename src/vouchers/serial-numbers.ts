import { Inject, Injectable } from '@nestjs/common';
import { PrepareFirst, UnitOfWork } from '../common/persistence/unit-of-work';
import { databaseConfig, DatabaseConfig } from '../config/configuration';
import { VoucherRepository } from './voucher.repository';

interface Block {
  next: number;
  last: number;
}

/**
 * Serial numbers of vouchers (the n of `AH-2026-000042`), per province prefix and year.
 *
 * With a block size of 1 (always on SQLite, which runs one process) each issuance takes the next number from the
 * counter row in its own transaction: no gaps, but every issuance of a province queues on that row, and on a
 * multi-primary cluster (Galera) the row is a certification conflict between nodes at every issuance.
 *
 * With a larger block (SERIAL_BLOCK_SIZE, 50 by default on MariaDB/MySQL) this process reserves that many numbers
 * at once in a short transaction of its own and hands them out from memory. Uniqueness still comes from the database
 * (reservations never overlap, and `voucher.serial` is UNIQUE); memory only decides which reserved number comes
 * next. Numbers are unique, increasing within a process, interleaved between processes, and have gaps: a block
 * that a process does not use up before it stops, and a number taken by a transaction that then rolled back, are
 * never issued.
 */
@Injectable()
export class SerialNumbers {
  private readonly blockSize: number;
  private readonly blocks = new Map<string, Block>();
  /** One reservation at a time per prefix and year: units that find the block empty together wait for the same one. */
  private readonly reserving = new Map<string, Promise<void>>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly vouchers: VoucherRepository,
    @Inject(databaseConfig.KEY) db: DatabaseConfig,
  ) {
    this.blockSize = db.type === 'sqlite' ? 1 : db.serialBlockSize;
  }

  /** The next serial number, inside the caller's unit of work. */
  async next(prefix: string, year: number): Promise<number> {
    if (this.blockSize === 1) return this.vouchers.reserveSerials(prefix, year, 1);
    const key = `${prefix}-${year}`;
    if (this.left(key)) return this.blocks.get(key)!.next++;
    throw new PrepareFirst(() => this.reserve(key, prefix, year));
  }

  private left(key: string): boolean {
    const block = this.blocks.get(key);
    return block !== undefined && block.next <= block.last;
  }

  private async reserve(key: string, prefix: string, year: number): Promise<void> {
    if (this.left(key)) return; // another unit's reservation came in meanwhile
    let reservation = this.reserving.get(key);
    if (!reservation) {
      reservation = this.uow
        .run(() => this.vouchers.reserveSerials(prefix, year, this.blockSize))
        .then((last) => void this.blocks.set(key, { next: last - this.blockSize + 1, last }))
        .finally(() => this.reserving.delete(key));
      this.reserving.set(key, reservation);
    }
    return reservation;
  }
}
