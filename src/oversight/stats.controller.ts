import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { stringify } from 'csv-stringify/sync';
import { QueryInt, IsOmittable } from '../common/http/validators';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import { clock } from '../common/clock';
import type { Actor } from '../common/context/request-context';
import { regionNotFound } from '../common/errors/domain-error';
import { isKnownRegion } from '../regions/regions.data';
import { StatsService } from './stats.service';
import { ApiJsonOrCsvResponse, Explained, NO_MONEY, READ_ONLY } from '../common/http/explained';
import { HttpReply } from '../common/http/http-neutral';

class StatsQuery {
  @ApiPropertyOptional({ description: 'budget year; default this year' })
  @IsOmittable()
  @QueryInt()
  @IsInt()
  @Min(2000)
  @Max(2100)
  year?: number;
  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' }) @IsOmittable() @IsIn(['json', 'csv']) format?: 'json' | 'csv';
}

/** JSON, or the same figures as CSV (UTF-8 with a BOM so spreadsheets read it). */
/** `columns` name the header, which an empty CSV still has. */
function send(res: HttpReply, format: string | undefined, body: object, rows: Record<string, unknown>[], name: string, columns?: string[]) {
  if (format !== 'csv') return body;
  res.header('Content-Type', 'text/csv; charset=utf-8');
  res.header('Content-Disposition', `attachment; filename="${name}.csv"`);
  return '\ufeff' + stringify(rows, { header: true, columns });
}

const FLOW_COLUMNS = ['fromProvinceCode', 'toProvinceCode', 'count', 'capturedFen'];

@ApiTags('oversight')
@Controller('stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('regions/:code')
  @Explained({
    summary: 'A region’s statistics (统计监测) for a budget year, as JSON or CSV',
    who: 'The bureau of the region (or its province) and the platform; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Budget split into available / committed (voucher available + held + captured + paid); vouchers issued and used; time from capture to payment. `format=csv` answers text/csv (UTF-8 with BOM).',
  })
  @Authenticated('bureau', 'platform')
  @ApiProduces('application/json', 'text/csv')
  @ApiJsonOrCsvResponse(
    'budget split into available / committed (voucher available + held + captured + paid); time from capture to payment',
    {
      type: 'object',
      properties: Object.fromEntries([
        ['regionCode', { type: 'string', example: '340000' }],
        ['year', { type: 'integer', example: 2026 }],
        ...['budgetFen', 'availableFen', 'committedFen', 'voucherAvailableFen', 'heldFen', 'capturedFen', 'paidFen', 'vouchers'].map(
          (k) => [k, { type: 'integer' }],
        ),
        [
          'captureToPaymentHours',
          {
            type: 'object',
            properties: { count: { type: 'integer' }, median: { type: 'number', nullable: true }, p90: { type: 'number', nullable: true } },
          },
        ],
      ]),
    },
  )
  async region(
    @CurrentActor() actor: Actor,
    @Param('code') code: string,
    @Query() q: StatsQuery,
    @Res({ passthrough: true }) res: HttpReply,
  ) {
    if (!isKnownRegion(code)) throw regionNotFound(code);
    const s = await this.stats.region(actor, code, q.year ?? clock.year());
    const { captureToPaymentHours: t, ...figures } = s;
    return send(
      res,
      q.format,
      s,
      [{ ...figures, paymentsCount: t.count, captureToPaymentMedianHours: t.median, captureToPaymentP90Hours: t.p90 }],
      `stats-${code}-${s.year}`,
    );
  }

  @Get('flows')
  @Explained({
    summary: 'Cross-province flows of captured subsidies for a year, as JSON or CSV',
    who: 'Bureaus and the platform; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Captured subsidies by issuing province × provider province (count and fen): a bureau’s region’s vouchers wherever spent and, for a province’s bureau, other provinces’ vouchers spent at its labs; the platform’s, every flow. `format=csv` answers text/csv (UTF-8 with BOM), with its header even when empty.',
  })
  @Authenticated('bureau', 'platform')
  @ApiProduces('application/json', 'text/csv')
  @ApiJsonOrCsvResponse('captured subsidies by issuer province × provider province (count and fen)', {
    type: 'object',
    properties: {
      year: { type: 'integer', example: 2026 },
      flows: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            fromProvinceCode: { type: 'string', example: '340000' },
            toProvinceCode: { type: 'string', example: '310000' },
            count: { type: 'integer' },
            capturedFen: { type: 'integer' },
          },
        },
      },
    },
  })
  async flows(@CurrentActor() actor: Actor, @Query() q: StatsQuery, @Res({ passthrough: true }) res: HttpReply) {
    const f = await this.stats.flows(actor, q.year ?? clock.year());
    return send(res, q.format, f, f.flows as unknown as Record<string, unknown>[], `flows-${f.year}`, FLOW_COLUMNS);
  }
}
