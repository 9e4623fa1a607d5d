import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
import { CallerLanguage, Language } from '../common/i18n/messages';
import { csvRow, FacilityImport } from './facility-import';
import { FacilityImportView, ImportFacilitiesInput, ImportQuery } from './facility-import.dto';
import { ApiBodyExample, Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';
import { HttpRequest } from '../common/http/http-neutral';

@ApiTags('facilities')
@Controller('facilities')
export class FacilitiesController {
  constructor(
    private readonly facilities: FacilitiesService,
    private readonly importer: FacilityImport,
  ) {}

  @Post('import')
  @Explained({
    summary: 'Import the caller’s facilities in bulk (CSV or JSON), idempotent by externalRef',
    who: 'An active provider, for its own facilities.',
    changes: 'Creates or updates one facility per row (by externalRef); with `dryRun=true` changes nothing and reports the same.',
    money: NO_MONEY,
    details:
      'text/csv with the header `externalRef,name,category,unit,unitPriceFen,description` and, if it is to be set, `contact` (a file without that column keeps each facility’s contact; an empty cell clears it) (UTF-8, BOM and Excel quoting accepted), or JSON `{rows:[…]}`. In a CSV a bad row is reported with its line (the header is line 1) and the others load, but a row with more cells than the header refuses the file (400 naming the line: most often a comma left unquoted); a JSON body is validated whole (400 naming the field). An import whose new facilities would take the provider past MAX_FACILITIES_PER_PROVIDER live facilities (default 500) is refused whole: 422 LIMIT_REACHED.',
  })
  @ApiBodyExample(
    ImportFacilitiesInput,
    {
      rows: [
        {
          externalRef: 'SEM-02',
          name: '透射电子显微镜 (TEM) 机时',
          category: 'testing',
          unit: 'hour',
          unitPriceFen: 80000,
          description: 'JEOL JEM-F200 场发射透射电镜，含制样',
          contact: '张老师 021-6543 2100',
        },
      ],
    },
    'externalRef,name,category,unit,unitPriceFen,description,contact\r\nSEM-02,透射电子显微镜 (TEM) 机时,testing,hour,80000,JEOL JEM-F200 场发射透射电镜，含制样,张老师 021-6543 2100\r\n',
  )
  @HttpCode(200)
  @Authenticated('provider')
  @ApiConsumes('application/json', 'text/csv')
  @ApiOkResponse({ type: FacilityImportView, description: 'what each row did (or would do), and the rows refused' })
  @Refuses(FacilityImport)
  async import(
    @CurrentActor() actor: Actor,
    @Query() q: ImportQuery,
    @Req() req: HttpRequest,
    @CallerLanguage() lng: Language,
  ): Promise<FacilityImportView> {
    const dryRun = q.dryRun === 'true';
    if (typeof req.body === 'string') {
      const records = csvRecords(req.body, ['externalRef', 'name', 'category', 'unit', 'unitPriceFen'], ['contact']);
      const lines = records.map((r) => r.line);
      return unwrap(
        await this.importer.run(
          actor,
          records.map((r) => csvRow(r.cells)),
          dryRun,
          lines,
          lng,
        ),
      );
    }
    const input = (await validationPipe.transform(req.body, { type: 'body', metatype: ImportFacilitiesInput })) as ImportFacilitiesInput;
    return unwrap(
      await this.importer.run(
        actor,
        input.rows.map((r) => ({ ...r })),
        dryRun,
        undefined,
        lng,
      ),
    );
  }

  @Post()
  @Explained({
    summary: 'List a facility or service (仪器设施) with its unit price',
    who: 'An active provider user; a provider still in public notice or suspended is refused.',
    changes: 'Creates an active facility of the caller’s organization.',
    details:
      'A provider lists at most MAX_FACILITIES_PER_PROVIDER live (not retired) facilities, 500 by default: 422 LIMIT_REACHED beyond.',
    money: NO_MONEY,
  })
  @Authenticated('provider')
  @ApiCreatedResponse({ type: FacilityView })
  @Refuses(FacilitiesService.createRefusals)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateFacilityInput): Promise<FacilityView> {
    return unwrap(await this.facilities.create(actor, body));
  }

  @Get()
  @Explained({
    summary: 'Search active facilities of active providers under no credit sanction, cheapest first',
    who: 'Anyone, without a token.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'By category, province and text; paged.',
  })
  @Public()
  @ApiOkResponse({ type: FacilityPage })
  search(@Query() query: FacilityQuery): Promise<FacilityPage> {
    return this.facilities.search(query);
  }

  @Get(':id')
  @Explained({
    summary: 'One facility, in any status',
    who: 'Anyone, without a token.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'A facility whose provider is suspended or under a credit sanction in force reads `suspended` (bookable false), as search leaves it out.',
  })
  @Public()
  @ApiOkResponse({ type: FacilityView })
  get(@Param('id', new IdPipe('facility')) id: string): Promise<FacilityView> {
    return this.facilities.get(id);
  }

  @Get(':id/ratings')
  @Explained({
    summary: 'Ratings enterprises gave a facility after confirmed usage, newest first',
    who: 'Anyone, without a token.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Public()
  @ApiOkResponse({ type: RatingPage })
  ratings(@Param('id', new IdPipe('facility')) id: string, @Query() q: PageQuery): Promise<RatingPage> {
    return this.facilities.ratings(id, q);
  }

  @Patch(':id')
  @Explained({
    summary: 'Change the name, unit price, description or contact of one of your facilities',
    who: 'The provider that owns the facility; another provider’s facility is 404.',
    changes: 'Changes the facility’s listing; audited.',
    money: NO_MONEY,
  })
  @ApiBodyExample(UpdateFacilityInput, {
    name: '透射电子显微镜 (TEM) 机时',
    unitPriceFen: 85000,
    description: 'JEOL JEM-F200，含制样与能谱',
  })
  @Authenticated('provider')
  @ApiOkResponse({ type: FacilityView })
  @Refuses(FacilitiesService.changeRefusals)
  async update(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('facility')) id: string,
    @Body() body: UpdateFacilityInput,
  ): Promise<FacilityView> {
    return unwrap(await this.facilities.update(actor, id, body));
  }

  @Post(':id/retire')
  @Explained({
    summary: 'Take one of your facilities off the market for good',
    who: 'The provider that owns the facility.',
    changes: 'active → retired: it leaves search and takes no new holds or bookings.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated('provider')
  @ApiOkResponse({ type: FacilityView })
  @Refuses(FacilitiesService.changeRefusals)
  async retire(@CurrentActor() actor: Actor, @Param('id', new IdPipe('facility')) id: string): Promise<FacilityView> {
    return unwrap(await this.facilities.retire(actor, id));
  }
}
