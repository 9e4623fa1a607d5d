import { Body, Controller, Get, Param, ParseIntPipe, Put } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { catalogued } from '../common/errors/domain-error';
import { unwrap } from '../common/use-case';
import { IsFen } from '../common/http/validators';
import { Budget } from './budget.entity';
import { BudgetsService } from './budgets.service';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

class SetBudgetInput {
  @ApiProperty({ example: 2_000_000_000, description: 'the year’s total in fen' }) @IsFen(0) totalFen: number;
}

class BudgetView {
  @ApiProperty() regionCode: string;
  @ApiProperty() year: number;
  @ApiProperty() totalFen: number;
  @ApiProperty() availableFen: number;
  @ApiProperty() committedFen: number;

  static of(b: Budget): BudgetView {
    return { regionCode: b.regionCode, year: b.year, totalFen: b.totalFen, availableFen: b.availableFen, committedFen: b.committedFen };
  }
}

const year = new ParseIntPipe({ exceptionFactory: () => catalogued('VALIDATION_FAILED', 'budgets.yearWhole') });

@ApiTags('budgets')
@Controller('budgets')
export class BudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  @Put(':regionCode/:year')
  @Explained({
    summary: 'Set a region’s yearly budget (预算) total',
    who: 'The bureau of the region (or of its province); other roles are 403, another region’s bureau 403.',
    changes: 'Creates or changes the year’s budget; audited. A total below what is already committed to vouchers is refused.',
    money:
      'The difference between the old and the new total moves between the region’s appropriation and its available budget in the ledger.',
  })
  @Authenticated('bureau')
  @ApiOkResponse({ type: BudgetView })
  @Refuses(BudgetsService.setBudgetRefusals)
  async set(
    @CurrentActor() actor: Actor,
    @Param('regionCode') regionCode: string,
    @Param('year', year) y: number,
    @Body() body: SetBudgetInput,
  ) {
    return BudgetView.of(unwrap(await this.budgets.setBudget(actor, regionCode, y, body.totalFen)));
  }

  /** Budgets are public figures: any signed-in user may read them. */
  @Get(':regionCode/:year')
  @Explained({
    summary: 'A region’s yearly budget: total, available and committed',
    who: 'Any signed-in user: budgets are public figures.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Authenticated()
  @ApiOkResponse({ type: BudgetView })
  async get(@Param('regionCode') regionCode: string, @Param('year', year) y: number) {
    return BudgetView.of(await this.budgets.get(regionCode, y));
  }
}
