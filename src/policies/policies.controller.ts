import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { IdPipe } from '../common/http/id.pipe';
import { PageQuery } from '../common/http/paging';
import { unwrap } from '../common/use-case';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  getSchemaPath,
  IntersectionType,
} from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn } from 'class-validator';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import { clock } from '../common/clock';
import type { Actor } from '../common/context/request-context';
import { catalogued } from '../common/errors/domain-error';
import { IsCalendarDate, IsOmittable } from '../common/http/validators';
import { REGION_CODES } from '../regions/regions.data';
import { PoliciesService } from './policies.service';
import { CreatePolicyInput, PolicyView } from './policy.dto';
import { ApiBodyExample, ApiPageResponse, Explained, NO_MONEY, READ_ONLY } from '../common/http/explained';

class RegionQuery {
  @ApiProperty({ example: '340100' }) @IsIn(REGION_CODES, { message: 'regionCode must be a region of the list' }) regionCode: string;
}

class VersionsQuery extends IntersectionType(PageQuery, RegionQuery) {}

class CurrentQuery extends RegionQuery {
  @ApiPropertyOptional({ description: 'default today' }) @IsOmittable() @IsCalendarDate() date?: string;
}

class CompareQuery {
  @ApiProperty({ example: '310000,320000,330000,340000', description: 'comma-separated region codes' })
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value))
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(20)
  @IsIn(REGION_CODES, { each: true, message: 'regionCodes must be regions of the list' })
  regionCodes: string[];
  @ApiPropertyOptional({ description: 'default today' }) @IsOmittable() @IsCalendarDate() date?: string;
}

@ApiTags('policies')
@Controller('policies')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Post()
  @Explained({
    summary: 'Publish a new version of a region’s voucher policy (政策)',
    who: 'A bureau user of the region (or its province).',
    changes:
      'Adds a policy version that comes into force on its effectiveFrom (never backdated); earlier versions stay as they were; audited.',
    money: NO_MONEY,
    details:
      'Terms that contradict each other are 400 VALIDATION_FAILED naming the fields, every contradiction at once: autoApproveMaxFen, perRedemptionCapFen above maxVoucherFen; maxVoucherFen, teamAnnualCapFen above enterpriseAnnualCapFen; autoApproveMaxFen at or above a dualControlFen above 0 (an approval at or above dualControlFen takes two bureau users, an automatic one none); a category’s ratioBp plus localBonusBp above 10000.',
  })
  @ApiBodyExample(CreatePolicyInput, {
    regionCode: '310000',
    effectiveFrom: '2026-01-01',
    categories: [
      { category: 'testing', ratioBp: 5000 },
      { category: 'r_and_d', ratioBp: 3000 },
    ],
    acceptedProvinceCodes: ['310000', '320000', '330000', '340000'],
    localBonusBp: 1000,
    enterpriseAnnualCapFen: 50000000,
    maxVoucherFen: 30000000,
    perRedemptionCapFen: 5000000,
    capByController: true,
    voucherValidityDays: 365,
    holdExpiryDays: 30,
    autoApproveMaxFen: 5000000,
    redemptionModes: ['provider_redeemed', 'enterprise_reimbursed'],
    settlementCycle: 'monthly',
    relatedPartyBan: true,
    confirmDays: 7,
    dualControlFen: 20000000,
  })
  @Authenticated('bureau')
  @ApiCreatedResponse({ type: PolicyView })
  @Refuses(PoliciesService.publishRefusals)
  async publish(@CurrentActor() actor: Actor, @Body() body: CreatePolicyInput) {
    return PolicyView.of(unwrap(await this.policies.publish(actor, body)));
  }

  @Post(':id/withdraw')
  @Explained({
    summary: 'Withdraw a policy version before it takes effect',
    who: 'A bureau user of the policy’s region (or its province).',
    changes: 'The version is withdrawn and never comes into force; audited.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: PolicyView })
  @Refuses(PoliciesService.withdrawRefusals)
  async withdraw(@CurrentActor() actor: Actor, @Param('id', new IdPipe('policy')) id: string) {
    return PolicyView.of(unwrap(await this.policies.withdraw(actor, id)));
  }

  @Get()
  @Explained({ summary: 'Every policy version of a region, newest first', who: 'Any signed-in user.', changes: READ_ONLY, money: NO_MONEY })
  @ApiPageResponse(PolicyView, 'every version of the region, newest first')
  @Authenticated()
  async versions(@Query() q: VersionsQuery) {
    const { items, total } = await this.policies.versions(q.regionCode, q);
    return { items: items.map(PolicyView.of), total };
  }

  @Get('current')
  @Explained({
    summary: 'The policy of a region in force on a date (default today)',
    who: 'Any signed-in user.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      '404 when none is in force on that date; for a city without its own, the message names the province’s version that applies to its enterprises instead.',
  })
  @Authenticated()
  @ApiOkResponse({ type: PolicyView })
  async current(@Query() q: CurrentQuery) {
    const date = q.date ?? clock.today();
    // A city without a policy of its own issues nothing; its enterprises apply under the province's, so say which.
    const { regionCode, policy } = await this.policies.applicable(q.regionCode, date);
    if (policy && regionCode === q.regionCode) return PolicyView.of(policy);
    if (policy) {
      throw catalogued('NOT_FOUND', 'policies.noneInForceProvinceApplies', {
        regionCode: q.regionCode,
        date,
        provinceCode: regionCode,
        version: policy.version,
      });
    }
    throw catalogued('NOT_FOUND', 'policies.noneInForce', { regionCode: q.regionCode, date });
  }

  /** The regions' policies in force side by side, field by field: the bureaus' tool for keeping them consistent. */
  @Get('compare')
  @Explained({
    summary: 'Regions’ policies in force side by side, field by field',
    who: 'Any signed-in user: the bureaus’ tool for keeping their policies consistent.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @ApiOkResponse({
    description:
      'the policies in force on `date` by region (null where none is), and each compared field with its values and whether they agree',
    schema: {
      type: 'object',
      properties: {
        date: { type: 'string', example: '2026-06-01' },
        regionCodes: { type: 'array', items: { type: 'string' }, example: ['310000', '340000'] },
        policies: {
          type: 'object',
          // OpenAPI 3.0: `nullable` beside a bare allOf (no type) allows no null; a null of its own says "no policy"
          additionalProperties: {
            oneOf: [
              { $ref: getSchemaPath(PolicyView) },
              { type: 'object', nullable: true, enum: [null], description: 'no policy in force there' },
            ],
          },
        },
        fields: {
          type: 'array',
          items: {
            type: 'object',
            properties: { field: { type: 'string', example: 'maxVoucherFen' }, values: { type: 'object' }, same: { type: 'boolean' } },
          },
        },
      },
    },
  })
  @Authenticated()
  compare(@Query() q: CompareQuery) {
    return this.policies.compare(q.regionCodes, q.date ?? clock.today());
  }
}
