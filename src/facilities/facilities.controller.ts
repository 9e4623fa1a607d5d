import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Refuses } from '../common/http/answers';
import { Authenticated, CurrentActor, Public } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { IdPipe } from '../common/http/id.pipe';
import { unwrap } from '../common/use-case';
import { CreateFacilityInput, FacilityPage, FacilityQuery, FacilityView, RatingPage, UpdateFacilityInput } from './facility.dto';
import { PageQuery } from '../common/http/paging';
import { FacilitiesService } from './facilities.service';
import { csvRecords } from '../common/http/csv';
import { validationPipe } from '../common/http/validation';
import { csvRow, FacilityImport } from './facility-import';
import { FacilityImportView, ImportFacilitiesInput, ImportQuery } from './facility-import.dto';

@ApiTags('facilities')
@Controller('facilities')
export class FacilitiesController {
  constructor(
    private readonly facilities: FacilitiesService,
    private readonly importer: FacilityImport,
  ) {}

  @Post('import')
  @HttpCode(200)
  @Authenticated('provider')
  @ApiOperation({
    summary: 'Import the caller’s facilities in bulk (CSV or JSON), idempotent by externalRef',
    description:
      'text/csv with the header `externalRef,name,category,unit,unitPriceFen,description` (UTF-8, BOM and Excel quoting accepted), ' +
      'or JSON `{rows:[…]}`. A row whose externalRef the provider imported before updates that facility. In a CSV file a bad row is ' +
      'reported with its line (the header is line 1) and the others load; a JSON body is validated whole (400 naming the field). ' +
      '`dryRun=true` reports the same and changes nothing.',
  })
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({ type: ImportFacilitiesInput })
  @ApiOkResponse({ type: FacilityImportView, description: 'what each row did (or would do), and the rows refused' })
  @Refuses(FacilityImport.refusals)
  async import(@CurrentActor() actor: Actor, @Query() q: ImportQuery, @Req() req: Request): Promise<FacilityImportView> {
    const dryRun = q.dryRun === 'true';
    if (typeof req.body === 'string') {
      const rows = csvRecords(req.body, ['externalRef', 'name', 'category', 'unit', 'unitPriceFen']).map(csvRow);
      return unwrap(await this.importer.run(actor, rows, dryRun, 2));
    }
    const input = (await validationPipe.transform(req.body, { type: 'body', metatype: ImportFacilitiesInput })) as ImportFacilitiesInput;
    return unwrap(
      await this.importer.run(
        actor,
        input.rows.map((r) => ({ ...r })),
        dryRun,
      ),
    );
  }

  @Post()
  @Authenticated('provider')
  @ApiOperation({ summary: 'List a facility or service with its unit price (active providers only)' })
  @ApiCreatedResponse({ type: FacilityView })
  @Refuses(FacilitiesService.createRefusals)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateFacilityInput): Promise<FacilityView> {
    return unwrap(await this.facilities.create(actor, body));
  }

  @Get()
  @Public()
  @ApiOperation({ summary: 'Search active facilities of active providers, cheapest first' })
  @ApiOkResponse({ type: FacilityPage })
  search(@Query() query: FacilityQuery): Promise<FacilityPage> {
    return this.facilities.search(query);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ summary: 'One facility, in any status' })
  @ApiOkResponse({ type: FacilityView })
  get(@Param('id', IdPipe) id: string): Promise<FacilityView> {
    return this.facilities.get(id);
  }

  @Get(':id/ratings')
  @Public()
  @ApiOperation({ summary: 'Ratings enterprises gave after confirmed usage, newest first' })
  @ApiOkResponse({ type: RatingPage })
  ratings(@Param('id', IdPipe) id: string, @Query() q: PageQuery): Promise<RatingPage> {
    return this.facilities.ratings(id, q);
  }

  @Patch(':id')
  @Authenticated('provider')
  @ApiOperation({ summary: 'Change the name, unit price or description of one of your facilities' })
  @ApiOkResponse({ type: FacilityView })
  @Refuses(FacilitiesService.changeRefusals)
  async update(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Body() body: UpdateFacilityInput): Promise<FacilityView> {
    return unwrap(await this.facilities.update(actor, id, body));
  }

  @Post(':id/retire')
  @HttpCode(200)
  @Authenticated('provider')
  @ApiOperation({ summary: 'Take one of your facilities off the market for good' })
  @ApiOkResponse({ type: FacilityView })
  @Refuses(FacilitiesService.changeRefusals)
  async retire(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<FacilityView> {
    return unwrap(await this.facilities.retire(actor, id));
  }
}
