import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { catalogued } from '../common/errors/domain-error';
import { describeViolations, illFormedText, validatedWhole } from '../common/http/validation';
import { Language, translate } from '../common/i18n/messages';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { appConfig, AppConfig } from '../config/configuration';
import { OrganizationRepository } from '../organizations/organization.repository';
import { OrganizationsService } from '../organizations/organizations.service';
import { Facility } from './facility.entity';
import { FacilityImportView, ImportedRowView, ImportFacilityRow, MAX_IMPORT_ROWS } from './facility-import.dto';
import { FacilityRepository } from './facility.repository';
import { blankToNull, withinFacilityCap } from './facility.rules';

/**
 * A CSV cell is text: a price written as a whole number (signed too, so that `-5` is named out of range as in a JSON
 * body, not as a fraction) is a number, anything else stays text for the validator to name.
 */
export function csvRow(record: Record<string, string>): Record<string, unknown> {
  const row: Record<string, unknown> = { ...record };
  if (typeof record.unitPriceFen === 'string' && /^-?\d{1,15}$/.test(record.unitPriceFen)) row.unitPriceFen = Number(record.unitPriceFen);
  if (record.description === '') delete row.description;
  if (record.contact === '') row.contact = null; // an empty cell under the column clears it; no column keeps it
  return row;
}

/**
 * Bulk import of a provider's facilities (a lab with 300 instruments): each row validated like POST /api/facilities,
 * a bad row reported with its line while the others load, idempotent by the provider's own `externalRef` (importing
 * again updates that facility, never duplicates it), and a dry run that reports what would happen and writes nothing.
 * The unit takes the provider's row lock first, so two imports of one provider run one after the other (and after its
 * single creates); the unique key (provider, externalRef) stands behind it. An import whose new facilities would take
 * the provider past MAX_FACILITIES_PER_PROVIDER live ones is refused whole (422 LIMIT_REACHED), dry run or not.
 */
@Injectable()
export class FacilityImport {
  static readonly refusals = ['PROVIDER_NOT_ACTIVE', 'LIMIT_REACHED'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly facilities: FacilityRepository,
    private readonly organizations: OrganizationRepository,
    private readonly organizationsService: OrganizationsService,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  /**
   * `lines`: the line of each row, in a CSV file where it starts (the header is line 1), by default its place from 1
   * (JSON); `lng`: the caller's language, which the rejected rows' reasons are written in.
   */
  async run(
    actor: Actor,
    rows: Record<string, unknown>[],
    dryRun: boolean,
    lines = rows.map((_, i) => i + 1),
    lng: Language = 'en',
  ): Promise<Outcome<FacilityImportView>> {
    if (rows.length > MAX_IMPORT_ROWS)
      throw catalogued('VALIDATION_FAILED', 'imports.tooManyRows', { max: MAX_IMPORT_ROWS, rows: rows.length });
    const rejected: { line: number; reason: string }[] = [];
    const accepted: { line: number; row: ImportFacilityRow }[] = [];
    const seen = new Map<string, number>();
    for (const [i, raw] of rows.entries()) {
      const line = lines[i];
      // a CSV file reaches no request pipe: its cells are held to what any text of a request is held to here
      const illFormed = illFormedText(raw);
      if (illFormed) {
        rejected.push({ line, reason: translate(lng, 'validation.wellFormed', { field: illFormed }) });
        continue;
      }
      const row = plainToInstance(ImportFacilityRow, raw);
      const errors = validatedWhole(await validate(row, { whitelist: true, forbidNonWhitelisted: true }), row);
      if (errors.length > 0) {
        rejected.push({ line, reason: describeViolations(errors, lng) });
        continue;
      }
      const earlier = seen.get(row.externalRef);
      if (earlier !== undefined) {
        rejected.push({ line, reason: translate(lng, 'imports.duplicateRef', { ref: row.externalRef, line: earlier }) });
        continue;
      }
      seen.set(row.externalRef, line);
      accepted.push({ line, row });
    }
    return this.uow.run(async () => {
      // the lock first, then the provider as it stands now (a notice that has ended makes it active)
      const locked = await this.organizations.lock(actor.organizationId ?? '-');
      const provider = locked ? await this.organizationsService.load(locked.id) : null;
      if (!provider || provider.type !== 'provider' || provider.status !== 'active') {
        return refusedBy(catalogued('PROVIDER_NOT_ACTIVE', 'facilities.providerNotActive', { status: provider?.status ?? 'unknown' }));
      }
      const existing = new Map(
        (
          await this.facilities.byExternalRefs(
            provider.id,
            accepted.map((a) => a.row.externalRef),
          )
        ).map((f) => [f.externalRef!, f]),
      );
      const adding = accepted.filter((a) => !existing.has(a.row.externalRef)).length;
      const live = await this.facilities.liveCount(provider.id);
      const max = this.config.maxFacilitiesPerProvider;
      if (!withinFacilityCap(live, adding, max)) return refusedBy(catalogued('LIMIT_REACHED', 'facilities.limit', { max, live, adding }));
      const now = clock.iso();
      const done: ImportedRowView[] = [];
      for (const { line, row } of accepted) {
        const fields = {
          name: row.name.trim(),
          category: row.category,
          unit: row.unit,
          unitPriceFen: row.unitPriceFen,
          description: blankToNull(row.description),
          ...(row.contact !== undefined ? { contact: blankToNull(row.contact) } : {}),
        };
        const found = existing.get(row.externalRef);
        if (found && found.status !== 'active') {
          rejected.push({ line, reason: translate(lng, 'imports.retiredRef', { ref: row.externalRef }) });
          continue;
        }
        // Its holds, bookings and calendar count in its unit, which PATCH cannot change either.
        if (found && found.unit !== fields.unit) {
          rejected.push({ line, reason: translate(lng, 'imports.unitFixed', { ref: row.externalRef, unit: found.unit }) });
          continue;
        }
        if (found) {
          const changed = (Object.keys(fields) as (keyof typeof fields)[]).filter((k) => found[k] !== fields[k]);
          if (changed.length === 0) {
            done.push({ line, externalRef: row.externalRef, action: 'unchanged', facilityId: found.id });
            continue;
          }
          if (!dryRun) {
            await this.facilities.replaceImported(found.id, fields, now);
            this.uow.record({
              action: 'facility.updated',
              entityType: 'facility',
              entityId: found.id,
              regionCode: found.regionCode,
              organizationId: found.providerId,
              summary: {
                before: Object.fromEntries(changed.map((k) => [k, found[k]])),
                after: Object.fromEntries(changed.map((k) => [k, fields[k]])),
                by: 'import',
              },
            });
          }
          done.push({ line, externalRef: row.externalRef, action: 'updated', facilityId: found.id });
          continue;
        }
        const facility: Facility = {
          id: newId(),
          providerId: provider.id,
          contact: null,
          ...fields,
          provinceCode: provider.provinceCode,
          regionCode: provider.regionCode,
          status: 'active',
          createdAt: now,
          updatedAt: now,
          ratingCount: 0,
          ratingSum: 0,
          externalRef: row.externalRef,
        };
        if (!dryRun) {
          await this.facilities.insert(facility);
          this.uow.record({
            action: 'facility.created',
            entityType: 'facility',
            entityId: facility.id,
            regionCode: facility.regionCode,
            organizationId: facility.providerId,
            summary: {
              name: facility.name,
              category: facility.category,
              unit: facility.unit,
              unitPriceFen: facility.unitPriceFen,
              externalRef: row.externalRef,
              by: 'import',
            },
          });
        }
        done.push({ line, externalRef: row.externalRef, action: 'created', facilityId: dryRun ? null : facility.id });
      }
      const count = (action: string) => done.filter((d) => d.action === action).length;
      rejected.sort((a, b) => a.line - b.line);
      return ok({ dryRun, created: count('created'), updated: count('updated'), unchanged: count('unchanged'), rows: done, rejected });
    });
  }
}
