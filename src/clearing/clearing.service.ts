import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { addDays } from '../policies/policy.rules';
import { SettlementLine } from '../settlement/settlement.entity';
import { clear, Clearing } from './netting';

/** Cross-province clearing over paid settlement lines: the database sums per province pair, netting does the rest. */
@Injectable()
export class ClearingService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Lines paid from `from` to `to` inclusive (UTC days, like every date of the service). A line paid within
   * its own province moves nothing between provinces, so it is left out.
   */
  async clear(from: string, to: string): Promise<Clearing> {
    if (from > to) throw new DomainError('VALIDATION_FAILED', `from: must not be after to (${from} > ${to})`);
    const flows = await this.dataSource
      .getRepository(SettlementLine)
      .createQueryBuilder('l')
      .select('l.issuingProvinceCode', 'fromProvinceCode')
      .addSelect('l.payeeProvinceCode', 'toProvinceCode')
      .addSelect('SUM(l.amountFen)', 'amountFen')
      .where('l.paidAt >= :from AND l.paidAt < :end', { from, end: addDays(to, 1) })
      .andWhere('l.issuingProvinceCode <> l.payeeProvinceCode')
      .groupBy('l.issuingProvinceCode')
      .addGroupBy('l.payeeProvinceCode')
      .getRawMany<{ fromProvinceCode: string; toProvinceCode: string; amountFen: string | number }>();
    return clear(
      flows.map((f) => ({ fromProvinceCode: f.fromProvinceCode, toProvinceCode: f.toProvinceCode, amountFen: Number(f.amountFen) })),
    );
  }
}
