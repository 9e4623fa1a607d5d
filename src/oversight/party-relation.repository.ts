import { Injectable } from '@nestjs/common';
import { Page } from '../common/http/paging';
import { Database } from '../common/persistence/database';
import { isUniqueViolation } from '../common/persistence/db-errors';
import { empty, join, raw, Sql, sql } from '../common/persistence/sql';
import { PartyRelation } from './party-relation.entity';

/**
 * Two columns for a select list that already reads the organization `alias`: the codes recorded as related to it or
 * its controller, from either side of a pair, each side a comma-separated list (credit codes hold no comma) or null.
 * `recordedCodes` reads them back. Lets one statement read an organization and its recorded relations (a hold's).
 */
export function recordedRelationColumns(alias: string): Sql {
  const group = raw(`${alias}.credit_code, ${alias}.controller_credit_code`);
  return sql`(SELECT GROUP_CONCAT(r.code_b) FROM party_relation r WHERE r.code_a IN (${group})) AS ${raw(`${alias}_related_b`)},
    (SELECT GROUP_CONCAT(r.code_a) FROM party_relation r WHERE r.code_b IN (${group})) AS ${raw(`${alias}_related_a`)}`;
}

/** The codes of a row selected with `recordedRelationColumns(alias)`, each once. */
export function recordedCodes(row: Record<string, unknown>, alias: string): string[] {
  const lists = [row[`${alias}_related_b`], row[`${alias}_related_a`]].filter((l): l is string => typeof l === 'string' && l !== '');
  return [...new Set(lists.flatMap((l) => l.split(',')))];
}

@Injectable()
export class PartyRelationRepository {
  constructor(private readonly db: Database) {}

  /** Records the pair once; false when it is recorded already (the unique pair decides between two bureaus at once). */
  async insert(relation: PartyRelation): Promise<boolean> {
    try {
      await this.db.insert(PartyRelation, [relation]);
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async between(codeA: string, codeB: string): Promise<PartyRelation | undefined> {
    return (await this.db.select(PartyRelation, 'r', sql`WHERE r.code_a = ${codeA} AND r.code_b = ${codeB}`))[0];
  }

  /** Every credit code a recorded relation ties to one of `codes`. */
  async relatedTo(codes: string[]): Promise<string[]> {
    if (codes.length === 0) return [];
    const rows = await this.db.rows<{ code: string }>(
      sql`SELECT code_b AS code FROM party_relation WHERE code_a IN (${join(codes)})
          UNION SELECT code_a AS code FROM party_relation WHERE code_b IN (${join(codes)})`,
    );
    return rows.map((r) => r.code);
  }

  async list(q: { creditCode?: string; limit: number; offset: number }): Promise<Page<PartyRelation>> {
    const where = q.creditCode ? sql`WHERE r.code_a = ${q.creditCode} OR r.code_b = ${q.creditCode}` : empty;
    return this.db.page(PartyRelation, 'r', where, sql`r.created_at DESC, r.id`, q);
  }
}
