import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beijingYear } from '../../src/common/clock';
import { projectRoot } from '../../src/common/paths';
import { SeedService } from '../../src/seed/seed.service';
import { RunningApp, startApp } from '../support/app-under-test';
import { isMaria } from '../support/test-app';

/** The ```sh blocks of a README.md section, as a reader would paste them. */
function shellBlocks(heading: string): string[] {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const section = readme.split(new RegExp(`^## ${heading}$`, 'm'))[1]?.split(/^## /m)[0] ?? '';
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  if (blocks.length === 0) throw new Error(`README.md has no "## ${heading}" section with a \`\`\`sh block`);
  return blocks;
}

const tourFromReadme = (): string => shellBlocks('A short tour with curl')[0];

/** Runs `script` with bash, stopping at the first failed command, and names that command on failure. */
function runBash(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The service answers in this very process, so the shell runs asynchronously (a blocking exec would starve it).
    const child = spawn('bash', ['-eo', 'pipefail', '-c', `trap 'echo "tour step failed: $BASH_COMMAND" >&2' ERR\n${script}`], {
      cwd,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the README tour runs as written, against a started service with the demo world', () => {
  let service: RunningApp;
  let work: string;
  const tour = tourFromReadme();

  beforeAll(async () => {
    service = await startApp({ db: isMaria() ? 'mariadb' : 'sqlite', prefix: isMaria() ? 'vt_tour' : 'vouchers-tour' });
    await service.app.get(SeedService).seed();
    work = mkdtempSync(join(tmpdir(), 'readme-tour-'));
  });
  afterAll(async () => {
    await service?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('follows the real flow to the end: verification, confirmed usage, approval, dual-control payment, clearing, audit', () => {
    for (const step of [
      '/confirm',
      '/claims/$CLAIM/approve',
      'Bearer $AH2',
      '/settlements/$SETTLEMENT/pay',
      '/clearing?',
      '/ledger/check',
      '/audit/verify',
    ]) {
      expect(tour).toContain(step);
    }
    expect(tour.trim().split('\n').pop()).toContain('/audit/');
  });

  it('every command succeeds, twice in a row, and the documents and answers are what the text says', async () => {
    for (const run of [1, 2]) {
      const result = await runBash(tour, work, { BASE: service.baseUrl });
      if (result.code !== 0)
        throw new Error(`tour run ${run} failed (exit ${result.code}):\n${result.stderr}\n${result.stdout.slice(-2000)}`);
      expect(result.stderr).toBe('');
      const answers = result.stdout.split('\n').filter((line) => line.startsWith('{'));
      const clearing = answers.map((line) => JSON.parse(line)).find((a) => 'transfers' in a && 'net' in a);
      // Anhui's Hefei voucher paid a Nanjing lab: Anhui owes Jiangsu the sample's subsidy (run 2 adds a second sample).
      expect(clearing.transfers).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '320000', amountFen: 15_000 * run }]);
      expect(readFileSync(join(work, 'statement.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
      expect(readFileSync(join(work, 'voucher.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
      expect(readFileSync(join(work, 'verify.html'), 'utf8')).toContain(`AH-${beijingYear(Date.now())}-`);
    }
  });

  it('the example of "Instrument booking" runs after the tour: the Suzhou SME books a free hour of the TEM on its own voucher', async () => {
    const result = await runBash([tour, ...shellBlocks('Instrument booking')].join('\n'), work, { BASE: service.baseUrl });
    if (result.code !== 0)
      throw new Error(`section examples failed (exit ${result.code}):\n${result.stderr}\n${result.stdout.slice(-2000)}`);
    const answers = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(answers.filter((a) => 'hours' in a).map((a) => [a.status, a.hours])).toEqual([
      ['booked', 1],
      ['cancelled', 1],
    ]);
    expect(answers.find((a) => 'url' in a).url).toMatch(/\/api\/calendar\/[\w-]+\.ics$/);
  });

  // After the tour's two runs above: the section's examples use the tour's variables.
  it('the examples of "Languages, profiles and clearing runs" run after the tour and answer what the text says', async () => {
    const result = await runBash([tour, ...shellBlocks('Languages, profiles and clearing runs')].join('\n'), work, {
      BASE: service.baseUrl,
    });
    if (result.code !== 0)
      throw new Error(`section examples failed (exit ${result.code}):\n${result.stderr}\n${result.stdout.slice(-2000)}`);
    expect(result.stdout).toContain('{"statusCode":404,"code":"NOT_FOUND","message":"未找到创新券"}');
    expect(result.stdout).toContain(
      '{"statusCode":400,"code":"VALIDATION_FAILED","message":"colour：不是可接受的字段；amountFen：须为整数（单位：分）"}',
    );
    const position = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{"id"'))
      .map((line) => JSON.parse(line))
      .find((a) => 'pays' in a);
    expect(position).toMatchObject({
      provinceCode: '340000',
      netFen: expect.any(Number),
      pays: [expect.objectContaining({ toProvinceCode: '320000' })],
    });
    expect(position.netFen).toBeLessThan(0);
    expect(result.stdout).toMatch(/\r?\n?.*,transfer,340000,320000,,\d+,/);
  });
});
