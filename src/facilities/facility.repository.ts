import { Injectable } from '@nestjs/common';
import { Page } from '../common/http/paging';
import { Database, Row } from '../common/persistence/database';
import { empty, join, raw, sql, Sql } from '../common/persistence/sql';
import { Organization } from '../organizations/organization.entity';
import { organizationActive } from '../organizations/organization.time-rules';
import { recordedCodes, recordedRelationColumns } from '../oversight/party-relation.repository';
import { providerListedSql, sanctionedSql, sanctionInForce } from '../oversight/sanction.time-rules';
import { Facility, FacilityGram, FacilityRating } from './facility.entity';
import { exactGram, gramsOf, searchGrams } from './facility-grams';

/** `!` escapes LIKE wildcards: a backslash means different things in SQLite and MariaDB string literals. */
const likePattern = (text: string) => `%${text.replace(/[!%_]/g, '!$&')}%`;

/** The facilities a comparison across provinces ranks. */
export interface ComparisonScope {
  category: string;
  maxPriceFen: number;
  now: string;
  /** The Beijing day sanctions are judged on. */
  today: string;
}

/**
 * The facility (f) is self-operated under a calendar that requires qualification, and its provider has not qualified
 * `enterprise`: by the calendar's and the qualification's primary keys.
 */
const unqualifiedSql = (enterprise: Sql): Sql =>
  sql`EXISTS (SELECT 1 FROM facility_calendar c WHERE c.facility_id = f.id AND c.requires_qualification <> 0
    AND NOT EXISTS (SELECT 1 FROM facility_qualification q WHERE q.facility_id = f.id AND q.enterprise_id = ${enterprise}))`;

/** What a comparison prices without refusal beyond its scope (comparisonRuns, and the per-provider rules). */
export interface Priceable {
  runs: { provincePrefixes: string[]; minUnitPriceFen: number }[];
  /** The enterprise comparing: a facility whose calendar requires qualification it lacks is refused. */
  enterpriseId: string;
  /** Where the policy bans related parties: the enterprise's group (itself and its controller) and those plus its related codes. */
  relatedTo: { group: string[]; codes: string[] } | null;
}

/** A facility of a comparison, its provider, and whether the comparing enterprise lacks the qualification it asks. */
export interface Comparable {
  facility: Facility;
  provider: Organization;
  unqualified: boolean;
}

/** A provider as its facilities' public reads show it: its name, and whether it is listed (providerListedSql). */
export interface ProviderStanding {
  name: string;
  listed: boolean;
}

/** A facility with what pricing an order there needs to know about both parties. */
export interface FacilityParties {
  facility: Facility;
  provider: Organization;
  enterprise: Organization;
  providerSanctioned: boolean;
  enterpriseSanctioned: boolean;
  /** The codes bureaus recorded as related to the enterprise or its controller. */
  enterpriseRecordedRelations: string[];
  /** The facility's calendar requires qualification and its provider has not qualified the enterprise. */
  enterpriseUnqualified: boolean;
}

@Injectable()
export class FacilityRepository {
  constructor(private readonly db: Database) {}

  /** Every write of a name or description goes through here or reindex, in the writer's unit of work. */
  async insert(facility: Facility): Promise<void> {
    await this.db.insert(Facility, [facility]);
    await this.db.insert(FacilityGram, this.gramsOf(facility));
  }

  private gramsOf(f: Facility): FacilityGram[] {
    return gramsOf(f.name, f.description).map((gram) => ({ gram, category: f.category, provinceCode: f.provinceCode, facilityId: f.id }));
  }

  /** Replaces the facility's search grams with those of its name and description (and category) as they are now. */
  private async reindex(id: string): Promise<void> {
    await this.db.execute(sql`DELETE FROM facility_gram WHERE facility_id = ${id}`);
    const facility = await this.get(id);
    if (facility) await this.db.insert(FacilityGram, this.gramsOf(facility));
  }

  async get(id: string): Promise<Facility | undefined> {
    return (await this.db.select(Facility, 'f', sql`WHERE f.id = ${id}`))[0];
  }

  /** The facility with its provider's name and whether the provider is listed (providerListedSql) at `now` and on `today`. */
  async withStanding(id: string, now: string, today: string): Promise<{ facility: Facility; standing: ProviderStanding } | undefined> {
    const row = await this.db.row(
      sql`SELECT ${this.db.columns(Facility, 'f')}, o.name AS provider_name,
            CASE WHEN ${providerListedSql('o', now, today)} THEN 1 ELSE 0 END AS provider_listed
          FROM facility f JOIN organization o ON o.id = f.provider_id WHERE f.id = ${id}`,
    );
    if (!row) return undefined;
    return {
      facility: this.db.hydrate(Facility, row, 'f'),
      standing: { name: row.provider_name as string, listed: Number(row.provider_listed) === 1 },
    };
  }

  /** The provider's live (not retired) facilities: what the per-provider cap counts (the caller holds the provider's lock). */
  async liveCount(providerId: string): Promise<number> {
    return this.db.count(sql`facility WHERE provider_id = ${providerId} AND status = 'active'`);
  }

  /** A provider's facilities with these references of its own. */
  async byExternalRefs(providerId: string, refs: string[]): Promise<Facility[]> {
    if (refs.length === 0) return [];
    return this.db.select(Facility, 'f', sql`WHERE f.provider_id = ${providerId} AND f.external_ref IN (${join(refs)})`);
  }

  /** What an import changes of an active facility found by its reference (the unit holds its provider's row lock). */
  async replaceImported(
    id: string,
    row: Pick<Facility, 'name' | 'category' | 'unit' | 'unitPriceFen' | 'description'> & Partial<Pick<Facility, 'contact'>>,
    updatedAt: string,
  ): Promise<boolean> {
    // a row that leaves the contact out (a file without the column) keeps the one stored
    const contact = row.contact === undefined ? empty : sql`, contact = ${row.contact}`;
    const replaced =
      (await this.db.execute(
        sql`UPDATE facility SET name = ${row.name}, category = ${row.category}, unit = ${row.unit}, unit_price_fen = ${row.unitPriceFen},
              description = ${row.description}${contact}, updated_at = ${updatedAt}
            WHERE id = ${id} AND status = 'active'`,
      )) === 1;
    if (replaced) await this.reindex(id);
    return replaced;
  }

  lock(id: string): Promise<Facility | null> {
    return this.db.lock(Facility, { id });
  }

  /**
   * The facility under a shared lock for the rest of the unit of work: a retirement or change in flight is waited for
   * and then read as committed, and none starts until the unit ends.
   */
  async share(id: string): Promise<Facility | undefined> {
    return (await this.db.select(Facility, 'f', sql`WHERE f.id = ${id}${this.db.forShare}`))[0];
  }

  /** The provider's own facility, locked for the rest of the unit of work; null for another provider's, as for none. */
  async lockOwnedBy(providerId: string | null, id: string): Promise<Facility | null> {
    const facility = await this.lock(id);
    return facility?.providerId === providerId ? facility : null;
  }

  async update(
    id: string,
    changes: Partial<Pick<Facility, 'name' | 'unitPriceFen' | 'description' | 'contact' | 'status'>>,
    updatedAt: string,
  ): Promise<void> {
    const sets: Sql[] = [sql`updated_at = ${updatedAt}`];
    if (changes.name !== undefined) sets.push(sql`name = ${changes.name}`);
    if (changes.unitPriceFen !== undefined) sets.push(sql`unit_price_fen = ${changes.unitPriceFen}`);
    if (changes.description !== undefined) sets.push(sql`description = ${changes.description}`);
    if (changes.contact !== undefined) sets.push(sql`contact = ${changes.contact}`);
    if (changes.status !== undefined) sets.push(sql`status = ${changes.status}`);
    await this.db.execute(sql`UPDATE facility SET ${join(sets, ', ')} WHERE id = ${id}`);
    if (changes.name !== undefined || changes.description !== undefined) await this.reindex(id);
  }

  /**
   * The facility, its provider, the ordering enterprise, whether a sanction in force on `today` binds either, and the
   * enterprise's recorded relations, in one query: every hold reads them, and each statement is a round trip.
   */
  async withParties(facilityId: string, enterpriseId: string, today: string): Promise<FacilityParties | undefined> {
    const row = await this.db.row(
      sql`SELECT ${this.db.columns(Facility, 'f')}, ${this.db.columns(Organization, 'p')}, ${this.db.columns(Organization, 'e')},
        ${sanctionedSql('p', today)} AS provider_sanctioned,
        ${sanctionedSql('e', today)} AS enterprise_sanctioned,
        ${recordedRelationColumns('e')},
        ${unqualifiedSql(sql`e.id`)} AS enterprise_unqualified
        FROM facility f JOIN organization p ON p.id = f.provider_id JOIN organization e ON e.id = ${enterpriseId} WHERE f.id = ${facilityId}`,
    );
    if (!row) return undefined;
    return {
      facility: this.db.hydrate(Facility, row, 'f'),
      provider: this.db.hydrate(Organization, row, 'p'),
      enterprise: this.db.hydrate(Organization, row, 'e'),
      providerSanctioned: Number(row.provider_sanctioned) === 1,
      enterpriseSanctioned: Number(row.enterprise_sanctioned) === 1,
      enterpriseRecordedRelations: recordedCodes(row, 'e'),
      enterpriseUnqualified: Number(row.enterprise_unqualified) === 1,
    };
  }

  /** Whether the redemption was rated (the caller holds its lock; the primary key is the last line of defence). */
  async rated(redemptionId: string): Promise<boolean> {
    return (await this.db.row(sql`SELECT 1 AS one FROM facility_rating WHERE redemption_id = ${redemptionId}`)) !== undefined;
  }

  /** Records a rating and counts it into the facility's average in the same unit. */
  async rate(rating: FacilityRating): Promise<void> {
    await this.db.insert(FacilityRating, [rating]);
    await this.db.execute(
      sql`UPDATE facility SET rating_count = rating_count + 1, rating_sum = rating_sum + ${rating.score} WHERE id = ${rating.facilityId}`,
    );
  }

  /** A facility's ratings, newest first. */
  async ratings(facilityId: string, page: { limit: number; offset: number }): Promise<Page<FacilityRating>> {
    return this.db.page(FacilityRating, 'fr', sql`WHERE fr.facility_id = ${facilityId}`, sql`fr.created_at DESC, fr.redemption_id`, page);
  }

  /** Active facilities of one category, priced at most `maxPriceFen`, whose providers are listed (active, not sanctioned). */
  private inCategory(scope: ComparisonScope): Sql {
    return sql`FROM facility f JOIN organization o ON o.id = f.provider_id
      WHERE f.category = ${scope.category} AND f.status = 'active' AND f.unit_price_fen <= ${scope.maxPriceFen}
        AND ${providerListedSql('o', scope.now, scope.today)}`;
  }

  /**
   * Whether the facility (f) of provider (o) lies in a run and its provider is not related (see comparisonRuns); a
   * sanctioned provider is not listed at all (inCategory).
   */
  private priceable(p: Priceable): Sql {
    if (p.runs.length === 0) return sql`1 = 0`;
    const runs = join(
      p.runs.map((r) => sql`(SUBSTR(f.province_code, 1, 2) IN (${join(r.provincePrefixes)}) AND f.unit_price_fen >= ${r.minUnitPriceFen})`),
      ' OR ',
    );
    const inRun = sql`(${runs}) AND NOT ${unqualifiedSql(sql`${p.enterpriseId}`)}`;
    // areRelated in SQL: the provider or its controller among the enterprise's group and related codes, or the
    // provider's declared codes (a JSON array of strings) naming the enterprise's group. No term can be NULL.
    if (!p.relatedTo) return sql`(${inRun})`;
    const related = sql`o.credit_code IN (${join(p.relatedTo.codes)})
      OR (o.controller_credit_code IS NOT NULL AND o.controller_credit_code IN (${join(p.relatedTo.codes)}))
      OR ${join(
        p.relatedTo.group.map((code) => sql`o.related_credit_codes LIKE ${likePattern(JSON.stringify(code))} ESCAPE '!'`),
        ' OR ',
      )}`;
    return sql`((${inRun}) AND NOT (${related}))`;
  }

  private async comparable(p: Priceable, where: Sql): Promise<Comparable[]> {
    const rows = await this.db.rows(
      sql`SELECT ${this.db.columns(Facility, 'f')}, ${this.db.columns(Organization, 'o')},
            ${unqualifiedSql(sql`${p.enterpriseId}`)} AS unqualified ${where}`,
    );
    return rows.map((row) => ({
      facility: this.db.hydrate(Facility, row, 'f'),
      provider: this.db.hydrate(Organization, row, 'o'),
      unqualified: Number(row.unqualified) === 1,
    }));
  }

  /**
   * How many facilities (f) match `facilities` and have a listed provider (providerListedSql): counted in a facility index
   * alone, less those of providers not active, found from the few such providers, and less those of active providers
   * bound by a sanction in force, found from the few sanctions: on their own code, then on their controller's and not
   * their own (the sets are disjoint: CASE counts an unknown as not active, the others take only those surely active,
   * and the last leaves out the second's). Each starts from the sanctions and reads its providers through an index;
   * an OR of the two codes made MariaDB give that up and read every organization or facility (20–40 ms → 320–530 ms
   * with 200,000 of each). A join to every facility's provider costs a row lookup per facility (19 ms for a comparison
   * at a tenth of a year's volume).
   */
  private async countWithListedProvider(facilities: Sql, now: string, today: string): Promise<number> {
    const inForce = sql`SELECT s.credit_code FROM sanction s WHERE ${sanctionInForce.sql('s', today)}`;
    const row = await this.db.row<{ n: unknown }>(
      sql`SELECT (SELECT COUNT(*) FROM facility f WHERE ${facilities})
        - (SELECT COUNT(*) FROM organization o JOIN facility f ON f.provider_id = o.id
            WHERE o.status <> 'active' AND (CASE WHEN ${organizationActive.sql('o', now)} THEN 0 ELSE 1 END) = 1 AND ${facilities})
        - (SELECT COUNT(*) FROM organization o JOIN facility f ON f.provider_id = o.id
            WHERE o.credit_code IN (${inForce}) AND ${organizationActive.sql('o', now)} AND ${facilities})
        - (SELECT COUNT(*) FROM organization o JOIN facility f ON f.provider_id = o.id
            WHERE o.controller_credit_code IN (${inForce}) AND o.credit_code NOT IN (${inForce})
              AND ${organizationActive.sql('o', now)} AND ${facilities}) AS n`,
    );
    return Number(row?.n ?? 0);
  }

  /** How many facilities a comparison ranks, from the (category, status, unit price) index. */
  countInCategory(scope: ComparisonScope): Promise<number> {
    return this.countWithListedProvider(
      sql`f.category = ${scope.category} AND f.status = 'active' AND f.unit_price_fen <= ${scope.maxPriceFen}`,
      scope.now,
      scope.today,
    );
  }

  /** The cheapest `limit` priceable facilities of one run, by (unit price, id): the index order, no sort. */
  priceableInRun(scope: ComparisonScope, p: Priceable, run: number, limit: number): Promise<Comparable[]> {
    return this.comparable(
      p,
      sql`${this.inCategory(scope)} AND ${this.priceable({ ...p, runs: [p.runs[run]] })} ORDER BY f.unit_price_fen, f.id LIMIT ${limit}`,
    );
  }

  /** The facilities a comparison would refuse, by (unit price, id), which is their ranking: a refusal pays the fee. */
  refusedInCategory(scope: ComparisonScope, p: Priceable, page: { limit: number; offset: number }): Promise<Comparable[]> {
    // CASE, not NOT: whatever the predicate, each facility lands on exactly one side.
    return this.comparable(
      p,
      sql`${this.inCategory(scope)} AND (CASE WHEN ${this.priceable(p)} THEN 0 ELSE 1 END) = 1
          ORDER BY f.unit_price_fen, f.id LIMIT ${page.limit} OFFSET ${page.offset}`,
    );
  }

  /**
   * Public search: active facilities of providers listed at `now` and on `today` (active, not sanctioned), cheapest
   * first: one provider per facility, so plain LIMIT/OFFSET pages correctly over the join.
   */
  async search(
    q: { provinceCode?: string; category?: string; q?: string; limit: number; offset: number },
    now: string,
    today: string,
  ): Promise<Page<{ facility: Facility; providerName: string }>> {
    const pattern = q.q ? likePattern(q.q) : undefined;
    // Each of q's pairs joined by its key: the database starts from the rarest (its index statistics say which) and
    // reads only facilities holding every pair; without a pair (one character, say) it scans as before.
    const grams = q.q ? searchGrams(q.q) : undefined;
    // The filters go into each join too: the candidates are then found in the gram index alone. The key columns
    // equal the facility's own (category and province copied), which also lets a join driven from f use the key.
    const withGrams = grams
      ? join(
          grams.map((gram, i) => {
            const g = raw(`g${i}`);
            return sql` JOIN facility_gram ${g} ON ${g}.gram = ${gram} AND ${g}.facility_id = f.id AND ${g}.category = ${
              q.category ?? raw('f.category')
            } AND ${g}.province_code = ${q.provinceCode ?? raw('f.province_code')}`;
          }),
          '',
        )
      : empty;
    const filters = sql`f.status = 'active'${q.provinceCode ? sql` AND f.province_code = ${q.provinceCode}` : empty}${
      q.category ? sql` AND f.category = ${q.category}` : empty
    }`;
    const from = (text: Sql) =>
      sql`FROM facility f${withGrams} JOIN organization o ON o.id = f.provider_id WHERE ${filters} AND ${providerListedSql('o', now, today)}${text}`;
    const columns = sql`${this.db.columns(Facility, 'f')}, o.name AS provider_name`;
    const page = sql`ORDER BY f.unit_price_fen, f.id LIMIT ${q.limit} OFFSET ${q.offset}`;
    let rows: Row[];
    let total: unknown;
    if (pattern) {
      // LOWER on both sides: the database folds case the same way for column and pattern. Every candidate is read to
      // confirm it, so the window count gives the total with the page; only a page past the end needs a count of its own.
      // Two Han characters are one pair, kept per field: the facilities holding it are exactly those whose name or
      // description contains q, so there is nothing to confirm.
      const exact = grams !== undefined && exactGram(q.q!);
      const matching = from(
        exact
          ? empty
          : sql` AND (LOWER(f.name) LIKE LOWER(${pattern}) ESCAPE '!' OR LOWER(f.description) LIKE LOWER(${pattern}) ESCAPE '!')`,
      );
      // The page is chosen on ids and prices alone, then only its rows are read whole: sorting every candidate's whole
      // row (a TEXT description among them) in a temporary table took half as long again (docs/performance.md, 2026-12-01).
      rows = await this.db.rows(
        sql`SELECT ${columns}, page.total FROM (SELECT f.id, COUNT(*) OVER () AS total ${matching} ${page}) page
            JOIN facility f ON f.id = page.id JOIN organization o ON o.id = f.provider_id ORDER BY f.unit_price_fen, f.id`,
      );
      total =
        rows.length > 0
          ? rows[0].total
          : q.offset > 0
            ? (await this.db.row<{ total: unknown }>(sql`SELECT COUNT(*) AS total ${matching}`))?.total
            : 0;
    } else {
      // Without q the (province, category, status, unit price, id) index is the order: the page reads its own rows,
      // no sort of every match (a window count would read and sort them all), and the count reads the index.
      rows = await this.db.rows(sql`SELECT ${columns} ${from(empty)} ${page}`);
      total = await this.countWithListedProvider(filters, now, today);
    }
    return {
      items: rows.map((row) => ({ facility: this.db.hydrate(Facility, row, 'f'), providerName: row.provider_name as string })),
      total: Number(total ?? 0),
    };
  }
}
