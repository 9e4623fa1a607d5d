import { Injectable } from '@nestjs/common';
import { invalidInput } from '../common/errors/domain-error';
import { addDays } from '../policies/policy.rules';
import { SettlementRepository } from '../settlement/settlement.repository';
import { clear, Clearing } from './netting';

/** Cross-province clearing over paid settlement lines: the database sums per province pair, netting does the rest. */
@Injectable()
export class ClearingService {
  constructor(private readonly settlements: SettlementRepository) {}

  /**
   * Lines paid from `from` to `to` inclusive (UTC days, like every date of the service). A line paid within its own
   * province moves nothing between provinces, so it is left out.
   */
  async clear(from: string, to: string): Promise<Clearing> {
    if (from > to) throw invalidInput(`from: must not be after to (${from} > ${to})`);
    return clear(await this.settlements.crossProvinceFlows(from, addDays(to, 1)));
  }
}
