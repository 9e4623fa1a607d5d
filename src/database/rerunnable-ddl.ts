import { Logger } from '@nestjs/common';
import { QueryResult, QueryRunner, TableColumn } from 'typeorm';

const logger = new Logger('Migrations');

/**
 * The QueryRunner a migration is given, made safe to run again after a crash on MySQL and MariaDB.
 *
 * There every DDL statement commits on its own (an implicit commit), so a migration's transaction does not hold its
 * DDL: a process that dies between two statements leaves the migration half applied and not recorded, and running it
 * again fails on the first table, column, index or constraint that is already there. Here each DDL statement the
 * migration issues (raw, or emitted by TypeORM's Table API, which may emit several for one call) is checked against
 * information_schema first and left out, wholly or clause by clause, when what it would do is done already; renames
 * and drops found done are skipped at the API level, where TypeORM would refuse them before any SQL. After each DDL
 * statement the migration's transaction is opened again, so the rows a migration writes after its last DDL commit
 * together with its record in `migrations`. Written by hand: TypeORM has nothing for it and we know of no library that
 * does it for TypeORM's migrations (MariaDB's `IF NOT EXISTS` forms would cover some statements, and not MySQL 8).
 *
 * Not covered (no migration here does it): ADD/DROP PRIMARY KEY, and rows written before a later DDL statement of the
 * same migration, which that statement commits: such a migration must write them idempotently itself.
 *
 * SQLite's DDL is transactional, so a migration cut off there rolls back whole: it gets its runner as it is.
 */
export function rerunnable(runner: QueryRunner): QueryRunner {
  const type = runner.connection.options.type;
  if (type !== 'mysql' && type !== 'mariadb') return runner;
  const methods = guardedMethods(runner, new DdlGuard(runner));
  return new Proxy(runner, {
    get(target, property, receiver) {
      if (typeof property === 'string' && Object.hasOwn(methods, property)) return methods[property].bind(receiver);
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

type Name = string;
type Method = (this: QueryRunner, ...args: never[]) => Promise<unknown>;
const IDENT = String.raw`(?:\x60[^\x60]+\x60|\w+)`;
const TABLE = String.raw`((?:${IDENT}\.)?${IDENT})`;
const unquote = (ident: string) => ident.split('.').pop()!.replace(/`/g, '');
const nameOf = (x: string | { name: string }) => (typeof x === 'string' ? x : x.name);
const isDdl = (sql: string) => /^\s*(CREATE|ALTER|DROP|RENAME|TRUNCATE)\b/i.test(sql);
const KEYWORDS = /^(CONSTRAINT|INDEX|KEY|UNIQUE|PRIMARY|FOREIGN|FULLTEXT|SPATIAL|CHECK|PARTITION|IF|COLUMN)$/i;

/** Replacements of the runner's methods, called on the proxy: TypeORM's own calls inside them pass the guard too. */
function guardedMethods(target: QueryRunner, guard: DdlGuard): Record<string, Method> {
  return {
    async query(sql: string, parameters?: unknown[], structured?: boolean): Promise<unknown> {
      if (!isDdl(sql)) return target.query(sql, parameters, structured as true);
      const left = await guard.notYetDone(sql);
      if (left === null) {
        logger.log(`already applied, skipped: ${sql.replace(/\s+/g, ' ').slice(0, 160)}`);
        return structured ? new QueryResult() : [];
      }
      const result: unknown = await target.query(left, parameters, structured as true);
      // The DDL committed the migration's transaction: open it again, so that what follows commits with its record.
      if (target.isTransactionActive) await target.query('START TRANSACTION');
      return result;
    },
    async renameColumn(table: Name | { name: string }, from: Name | TableColumn, to: Name | TableColumn) {
      if (await guard.renamed(nameOf(table), nameOf(from), nameOf(to))) return;
      return target.renameColumn.call(this, table as never, from as never, to as never);
    },
    async changeColumn(table: Name | { name: string }, from: Name | TableColumn, to: TableColumn) {
      if (await guard.renamed(nameOf(table), nameOf(from), to.name)) return;
      return target.changeColumn.call(this, table as never, from as never, to);
    },
    // What a half-applied migration dropped already is gone: its drops pass over what they no longer find.
    dropTable(table: Name, _ifExists?: boolean, dropForeignKeys?: boolean) {
      return target.dropTable.call(this, table, true, dropForeignKeys);
    },
    dropColumn(table: Name, column: Name) {
      return target.dropColumn.call(this, table, column, true);
    },
    dropColumns(table: Name, columns: Name[]) {
      return target.dropColumns.call(this, table, columns, true);
    },
    dropIndex(table: Name, index: Name) {
      return target.dropIndex.call(this, table, index, true);
    },
    dropIndices(table: Name, indices: never[]) {
      return target.dropIndices.call(this, table, indices, true);
    },
    dropForeignKey(table: Name, key: Name) {
      return target.dropForeignKey.call(this, table, key, true);
    },
    dropForeignKeys(table: Name, keys: never[]) {
      return target.dropForeignKeys.call(this, table, keys, true);
    },
  };
}

class DdlGuard {
  constructor(private readonly target: QueryRunner) {}

  /** The statement with what is done already left out, or null when nothing of it is left to do. */
  async notYetDone(sql: string): Promise<string | null> {
    let m = new RegExp(String.raw`^\s*CREATE\s+TABLE\s+(?!IF\s)${TABLE}`, 'i').exec(sql);
    if (m) return (await this.hasTable(unquote(m[1]))) ? null : sql;
    m = new RegExp(String.raw`^\s*CREATE\s+(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+(?!IF\s)(${IDENT})\s+ON\s+${TABLE}`, 'i').exec(sql);
    if (m) return (await this.hasIndex(unquote(m[2]), unquote(m[1]))) ? null : sql;
    m = new RegExp(String.raw`^\s*DROP\s+INDEX\s+(?!IF\s)(${IDENT})\s+ON\s+${TABLE}`, 'i').exec(sql);
    if (m) return (await this.hasIndex(unquote(m[2]), unquote(m[1]))) ? sql : null;
    m = new RegExp(String.raw`^\s*DROP\s+TABLE\s+(?!IF\s)${TABLE}\s*$`, 'i').exec(sql);
    if (m) return (await this.hasTable(unquote(m[1]))) ? sql : null;
    m = new RegExp(String.raw`^\s*ALTER\s+TABLE\s+${TABLE}\s+([\s\S]*)$`, 'i').exec(sql);
    if (!m) return sql;
    const table = unquote(m[1]);
    const clauses = splitTopLevel(m[2]);
    const left: string[] = [];
    for (const clause of clauses) if (!(await this.clauseDone(table, clause))) left.push(clause);
    if (left.length === 0) return null;
    return left.length === clauses.length ? sql : `ALTER TABLE ${m[1]} ${left.join(', ')}`;
  }

  /** Whether one clause of an ALTER TABLE is done already; clauses it cannot tell (MODIFY, options) are run again. */
  private async clauseDone(table: string, clause: string): Promise<boolean> {
    const c = clause.trim();
    if (/^\w+(\s+\w+)?\s+IF\s+(NOT\s+)?EXISTS\b/i.test(c)) return false;
    let m = new RegExp(String.raw`^ADD\s+CONSTRAINT\s+(${IDENT})`, 'i').exec(c);
    if (m) return this.hasConstraint(table, unquote(m[1]));
    m = new RegExp(String.raw`^ADD\s+(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?(?:INDEX|KEY)\s+(${IDENT})`, 'i').exec(c);
    if (m) return this.hasIndex(table, unquote(m[1]));
    m = new RegExp(String.raw`^ADD\s+(?:COLUMN\s+)?(${IDENT})\s`, 'i').exec(c);
    if (m && !KEYWORDS.test(m[1])) return this.hasColumn(table, unquote(m[1]));
    m = new RegExp(String.raw`^DROP\s+(?:INDEX|KEY)\s+(${IDENT})$`, 'i').exec(c);
    if (m) return !(await this.hasIndex(table, unquote(m[1])));
    m = new RegExp(String.raw`^DROP\s+(?:FOREIGN\s+KEY|CONSTRAINT|CHECK)\s+(${IDENT})$`, 'i').exec(c);
    if (m) return !(await this.hasConstraint(table, unquote(m[1])));
    m = new RegExp(String.raw`^DROP\s+(?:COLUMN\s+)?(${IDENT})$`, 'i').exec(c);
    if (m && !KEYWORDS.test(m[1])) return !(await this.hasColumn(table, unquote(m[1])));
    m = new RegExp(String.raw`^CHANGE\s+(?:COLUMN\s+)?(${IDENT})\s+(${IDENT})\s`, 'i').exec(c);
    if (m && unquote(m[1]) !== unquote(m[2])) return this.renamed(table, unquote(m[1]), unquote(m[2]));
    return false;
  }

  /** A rename found done: the old name gone and the new one there. */
  async renamed(table: string, from: string, to: string): Promise<boolean> {
    return from !== to && !(await this.hasColumn(table, from)) && (await this.hasColumn(table, to));
  }

  private hasTable(table: string) {
    return this.exists('TABLES', 'TABLE_NAME = ?', [table]);
  }
  private hasColumn(table: string, column: string) {
    return this.exists('COLUMNS', 'TABLE_NAME = ? AND COLUMN_NAME = ?', [table, column]);
  }
  private hasIndex(table: string, index: string) {
    return this.exists('STATISTICS', 'TABLE_NAME = ? AND INDEX_NAME = ?', [table, index]);
  }
  private hasConstraint(table: string, constraint: string) {
    return this.exists('TABLE_CONSTRAINTS', 'TABLE_NAME = ? AND CONSTRAINT_NAME = ?', [table, constraint]);
  }
  private async exists(view: string, where: string, parameters: string[]): Promise<boolean> {
    const rows: unknown[] = await this.target.query(
      `SELECT 1 FROM information_schema.${view} WHERE TABLE_SCHEMA = DATABASE() AND ${where} LIMIT 1`,
      parameters,
    );
    return rows.length > 0;
  }
}

/** `a, b(c, d), 'e,f'` → [`a`, `b(c, d)`, `'e,f'`]: the clauses of an ALTER TABLE. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(body.slice(start).trim());
  return parts;
}
