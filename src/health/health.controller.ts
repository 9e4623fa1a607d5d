import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../common/auth/decorators';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @Public()
  @ApiOkResponse({ schema: { example: { status: 'ok', database: { type: 'better-sqlite3', status: 'up' } } } })
  @ApiServiceUnavailableResponse({ description: 'the database does not answer' })
  async check() {
    const database = { type: this.dataSource.options.type, status: 'up' };
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException({ message: 'database unreachable' });
    }
    return { status: 'ok', database };
  }
}
