import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators';
import { DomainError } from '../common/errors/domain-error';
import { Database } from '../common/persistence/database';
import { sql } from '../common/persistence/sql';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly db: Database) {}

  @Get()
  @Public()
  @ApiOkResponse({ schema: { example: { status: 'ok', database: { type: 'sqlite', status: 'up' } } } })
  @ApiServiceUnavailableResponse({ description: 'DATABASE_UNAVAILABLE: the database does not answer' })
  async check() {
    try {
      await this.db.rows(sql`SELECT 1 AS one`);
    } catch {
      throw new DomainError('DATABASE_UNAVAILABLE', 'the database does not answer', { retryAfterSec: 5 });
    }
    return { status: 'ok', database: { type: this.db.dialect, status: 'up' } };
  }
}
