import { applyDecorators, Controller, Get, Header, Param, Query, Redirect, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CalendarsService } from '../bookings/calendars.service';
import { Public } from '../common/auth/decorators';
import { clock } from '../common/clock';
import { IdPipe } from '../common/http/id.pipe';
import { FacilitiesService } from '../facilities/facilities.service';
import { RECENT_ADMISSION_DAYS } from '../organizations/organization.time-rules';
import { OrganizationsService } from '../organizations/organizations.service';
import { VouchersQueries } from '../vouchers/vouchers.queries';
import { parseCatalogueQuery, parseNoticesQuery, UnreadableQuery } from './catalogue-query';
import { PageErrorFilter } from './page-error.filter';
import { HTML, PAGE_CSP, PageRenderer } from './page-renderer';
import { CatalogueFilter, cataloguePage, facilityPage, noticesPage, verifyPage } from './page-views';

const CATALOGUE_PAGE_SIZE = 20;
/** Providers in notice a page lists (the rest on the next pages), and admitted ones it lists (the latest). */
const NOTICES_PAGE_SIZE = 100;
/** Free slots shown on a facility's page: enough to pick from, short enough for a phone. */
const FREE_SLOTS_SHOWN = 5;

/**
 * A public HTML page. A verification answers the voucher's state now (revoked means revoked at once): caches must ask
 * again every time, and the ETag keeps that cheap. Notices and the catalogue may be a minute old.
 */
const PublicPage = (cacheControl: 'no-cache' | 'public, max-age=60') =>
  applyDecorators(
    Public(),
    Header('Content-Type', HTML),
    Header('Cache-Control', cacheControl),
    Header('Content-Security-Policy', PAGE_CSP),
  );

/**
 * A link pasted into a message often takes the sentence's stop or bracket with it ("…/verify/CODE。"); a code is
 * base64url, which never ends in one, so the page reads the code without it. (The JSON verification stays exact.)
 */
const withoutTrailingPunctuation = (code: string): string =>
  code.replace(/[\s.,;:!?'"()<>[\]{}。，、；：！？“”‘’（）【】《》「」『』]+$/u, '');

/**
 * The search a facility was found by, which its link from the catalogue carries, for its way back to those results. A
 * search that no longer reads (a link edited by hand) only loses that way back: the facility's page is what was asked for.
 */
const foundBy = (raw: Record<string, unknown>): CatalogueFilter => {
  try {
    return parseCatalogueQuery(raw);
  } catch (e) {
    if (e instanceof UnreadableQuery) return { page: 1 };
    throw e;
  }
};

/** Server-rendered pages in Chinese, for people with a phone: outside /api and out of the OpenAPI document. */
@ApiExcludeController()
@Controller()
@UseFilters(PageErrorFilter)
export class PagesController {
  constructor(
    private readonly vouchers: VouchersQueries,
    private readonly organizations: OrganizationsService,
    private readonly facilities: FacilitiesService,
    private readonly calendars: CalendarsService,
    private readonly pages: PageRenderer,
  ) {}

  /** The site's address alone opens the catalogue: what most visitors came for. */
  @Get()
  @Public()
  @Redirect('/facilities', 302)
  home(): void {}

  /** What the QR code on a certificate opens. */
  @Get('verify/:verificationCode')
  @PublicPage('no-cache')
  async verify(@Param('verificationCode') code: string): Promise<string> {
    const { verification, maskedHolderName } = await this.vouchers.verifyWithHolder(withoutTrailingPunctuation(code));
    return this.pages.render('verify', verifyPage(verification, maskedHolderName, clock.iso()));
  }

  @Get('notices')
  @PublicPage('public, max-age=60')
  async notices(@Query() raw: Record<string, unknown>): Promise<string> {
    const { page } = parseNoticesQuery(raw);
    const notices = await this.organizations.publicNotices({ limit: NOTICES_PAGE_SIZE, offset: (page - 1) * NOTICES_PAGE_SIZE });
    return this.pages.render('notices', noticesPage(notices, { page, pageSize: NOTICES_PAGE_SIZE }, RECENT_ADMISSION_DAYS));
  }

  // Typed as a plain record, so the API's global pipe leaves the query to parseCatalogueQuery.
  @Get('facilities')
  @PublicPage('public, max-age=60')
  async catalogue(@Query() raw: Record<string, unknown>): Promise<string> {
    const { page, ...filter } = parseCatalogueQuery(raw);
    const result = await this.facilities.search({ ...filter, limit: CATALOGUE_PAGE_SIZE, offset: (page - 1) * CATALOGUE_PAGE_SIZE });
    return this.pages.render('facilities', cataloguePage({ ...filter, page }, result, CATALOGUE_PAGE_SIZE));
  }

  @Get('facilities/:id')
  @PublicPage('public, max-age=60')
  async facility(@Param('id', new IdPipe('facility')) id: string, @Query() raw: Record<string, unknown>): Promise<string> {
    const facility = await this.facilities.get(id);
    // a facility that takes no bookings (retired, or its provider suspended or sanctioned) shows no slots to pick
    const schedule = facility.unit === 'hour' && facility.bookable ? await this.calendars.nextFree(id, FREE_SLOTS_SHOWN) : null;
    return this.pages.render('facility', facilityPage(facility, schedule, clock.iso(), foundBy(raw)));
  }
}
