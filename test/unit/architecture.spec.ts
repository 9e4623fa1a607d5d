import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The layering the lint rule enforces, proved by reading the code: only the persistence layer reaches the database
 * and builds SQL, and money moves only in the ledger.
 */
const root = join(__dirname, '..', '..');
const files = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const source = files('src').map((path) => ({ path: relative(root, join(root, path)), text: readFileSync(join(root, path), 'utf8') }));

const persistence = (path: string) =>
  /\.repository\.ts$|\.time-rules\.ts$/.test(path) ||
  path.startsWith('src/common/persistence/') ||
  path.startsWith('src/common/time/') ||
  path.startsWith('src/database/');
/** Code without comments, so a comment saying "a guarded UPDATE" is not mistaken for SQL. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

describe('architecture', () => {
  it('has repositories, use cases and the persistence layer to check', () => {
    expect(source.filter((f) => f.path.endsWith('.repository.ts')).length).toBeGreaterThanOrEqual(12);
    expect(source.filter((f) => f.path.includes('/use-cases/')).length).toBeGreaterThanOrEqual(10);
  });

  it('no service, use case or controller holds a DataSource or EntityManager or imports the SQL builder', () => {
    const offenders = source
      .filter((f) => !persistence(f.path) && f.path !== 'src/app.module.ts')
      .filter((f) =>
        /\b(DataSource|EntityManager|QueryRunner)\b|@nestjs\/typeorm|persistence\/(sql|database|scope\.sql)'/.test(code(f.text)),
      )
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('no SQL text outside the persistence layer', () => {
    const offenders = source
      .filter((f) => !persistence(f.path))
      .filter((f) => /['`"]\s*(SELECT|UPDATE|INSERT INTO|DELETE FROM)\s/i.test(code(f.text)))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('balances move only in the ledger: the balance methods of vouchers and budgets have no other caller', () => {
    const moves = ['fund', 'reserve', 'spendHeld', 'releaseHeld', 'releaseAvailable', 'unspend', 'commit', 'uncommit', 'setTotal'];
    const call = new RegExp(`\\.(vouchers|budgets)\\.(${moves.join('|')})\\(`);
    const callers = source.filter((f) => call.test(code(f.text))).map((f) => f.path);
    expect(callers).toEqual(['src/ledger/ledger.service.ts']);
  });
});
