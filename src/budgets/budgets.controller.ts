import { Body, Controller, Get, Param, ParseIntPipe, Put } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { DomainError, notFound } from '../common/errors/domain-error';
import { IsFen } from '../common/http/validators';
import { isKnownRegion } from '../regions/regions.data';
import { Budget } from './budget.entity';
import { BudgetsService } from './budgets.service';

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

const year = new ParseIntPipe({ exceptionFactory: () => new DomainError('VALIDATION_FAILED', 'year must be a whole number') });

function checkKey(regionCode: string, y: number) {
  if (!isKnownRegion(regionCode)) throw notFound(`region ${regionCode}`);
  if (y < 2000 || y > 2100) throw new DomainError('VALIDATION_FAILED', 'year must be between 2000 and 2100');
}

@ApiTags('budgets')
@Controller('budgets')
export class BudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  @Put(':regionCode/:year')
  @Authenticated('bureau')
  @ApiOkResponse({ type: BudgetView })
  @ApiUnprocessableEntityResponse({ description: 'BUDGET_BELOW_COMMITTED' })
  async set(
    @CurrentActor() actor: Actor,
    @Param('regionCode') regionCode: string,
    @Param('year', year) y: number,
    @Body() body: SetBudgetInput,
  ) {
    checkKey(regionCode, y);
    return BudgetView.of(await this.budgets.setTotal(actor, regionCode, y, body.totalFen));
  }

  /** Budgets are public figures: any signed-in user may read them. */
  @Get(':regionCode/:year')
  @Authenticated()
  @ApiOkResponse({ type: BudgetView })
  async get(@Param('regionCode') regionCode: string, @Param('year', year) y: number) {
    checkKey(regionCode, y);
    return BudgetView.of(await this.budgets.get(regionCode, y));
  }
}
