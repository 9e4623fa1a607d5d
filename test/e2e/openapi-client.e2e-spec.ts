import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, clientDir, generateClient } from '../../tools/client/generate-client';
import { TestApp } from '../support/test-app';

/** The first line where two texts part, to say where a committed file went stale without printing 400 kB. */
function firstDifference(committed: string, generated: string): string | undefined {
  if (committed === generated) return undefined;
  const a = committed.split('\n');
  const b = generated.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i === -1 ? a.length : i;
  return `line ${at + 1}: committed ${JSON.stringify(a[at])}, generated ${JSON.stringify(b[at])}`;
}

/*
 * `npm run client` builds the document from tsc's output, this test from swc's: both must give the same document. They
 * disagree on a property typed only by a type alias of a union (tsc's metadata says String, swc's Object), so such a
 * property names its type or enum in @ApiProperty.
 */
describe('the published TypeScript client (npm run client)', () => {
  it('is committed as generated from the service’s OpenAPI document now: when this fails, run `npm run client` and commit client/', async () => {
    const files = await generateClient(await buildOpenApiDocument());
    const stale = Object.entries(files)
      .map(([name, text]) => [name, firstDifference(readFileSync(join(clientDir, name), 'utf8'), text)])
      .filter(([, difference]) => difference !== undefined);
    expect(stale).toEqual([]);
  });

  it('is made from the very document the running service serves at /docs-json', async () => {
    const t = await TestApp.start();
    try {
      const served = (await t.http.get('/docs-json').expect(200)).body;
      expect(served).toEqual(JSON.parse(readFileSync(join(clientDir, 'openapi.json'), 'utf8')));
    } finally {
      await t.close();
    }
  });
});
