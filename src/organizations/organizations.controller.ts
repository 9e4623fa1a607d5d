import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { IsIn, IsOptional } from 'class-validator';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { PageQuery } from '../common/http/paging';
import { unwrap } from '../common/use-case';
import { AdmitProviderInput, OrganizationView, SuspendProviderInput } from './organization.dto';
import { OrganizationsService } from './organizations.service';

class OrganizationQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['enterprise', 'provider'] }) @IsOptional() @IsIn(['enterprise', 'provider']) type?:
    'enterprise' | 'provider';
  @ApiPropertyOptional({ enum: ['active', 'applied', 'public_notice', 'suspended'] })
  @IsOptional()
  @IsIn(['active', 'applied', 'public_notice', 'suspended'])
  status?: string;
}

@ApiTags('organizations')
@Controller()
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get('organizations')
  @Authenticated()
  list(@CurrentActor() actor: Actor, @Query() q: OrganizationQuery) {
    return this.organizations.list(actor, q).then((p) => ({ items: p.items.map(OrganizationView.of), total: p.total }));
  }

  @Get('organizations/:id')
  @Authenticated()
  @ApiOkResponse({ type: OrganizationView })
  async get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<OrganizationView> {
    return OrganizationView.of(await this.organizations.get(actor, id));
  }

  @Post('providers/:id/admit')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: OrganizationView })
  @Refuses(OrganizationsService.admitRefusals)
  async admit(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: AdmitProviderInput): Promise<OrganizationView> {
    return OrganizationView.of(unwrap(await this.organizations.admit(actor, id, body.noticeDays)));
  }

  @Post('providers/:id/suspend')
  @HttpCode(200)
  @Authenticated('bureau')
  @ApiOkResponse({ type: OrganizationView })
  @Refuses(OrganizationsService.suspendRefusals)
  async suspend(
    @CurrentActor() actor: Actor,
    @Param('id', IdPipe) id: string,
    @Body() body: SuspendProviderInput,
  ): Promise<OrganizationView> {
    return OrganizationView.of(unwrap(await this.organizations.suspend(actor, id, body.reason)));
  }
}
