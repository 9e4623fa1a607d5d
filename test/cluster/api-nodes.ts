// API nodes of a cluster test: the service as deployed (`node dist/src/main.js`, built first), one process per node,
// each on its own database node.
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/paths';
import { freePort, stopProcess, waitUntilServing } from '../support/processes';

/** What /api/health reports of the process's units of work (src/common/persistence/unit-of-work.ts). */
export interface UnitOfWorkCounts {
  units: number;
  retries: number;
  busy: number;
  mostAttempts: number;
}

export interface ApiNode {
  name: string;
  baseUrl: string;
  pid: number;
  /** What the process wrote (warnings and errors at LOG_LEVEL=warn), for a failing test to show. */
  output: string[];
  /** The unit-of-work counts its /api/health reports. */
  counts(): Promise<UnitOfWorkCounts>;
  stop(): Promise<void>;
}

export interface ApiNodeSpec {
  name: string;
  dbHost: string;
  dbPort: number;
  /** The HTTP port; a free one unless told. */
  port?: number;
}

/** Starts every node at once (they migrate the database together if it is empty) and waits until all serve. */
export async function startApiNodes(specs: ApiNodeSpec[], env: NodeJS.ProcessEnv): Promise<ApiNode[]> {
  const nodes = await Promise.all(specs.map(async (spec) => ({ spec, port: spec.port ?? (await freePort()) })));
  const started: { node: ApiNode; child: ChildProcess }[] = nodes.map(({ spec, port }) => {
    const child = spawn(process.execPath, ['--max-old-space-size=256', join(projectRoot, 'dist', 'src', 'main.js')], {
      cwd: projectRoot,
      env: { ...process.env, ...env, API_WORKERS: '1', PORT: String(port), DB_HOST: spec.dbHost, DB_PORT: String(spec.dbPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => output.push(chunk.toString().trimEnd()));
    const baseUrl = `http://127.0.0.1:${port}`;
    const node: ApiNode = {
      name: spec.name,
      baseUrl,
      pid: child.pid!,
      output,
      counts: async () => ((await (await fetch(`${baseUrl}/api/health`)).json()) as { unitsOfWork: UnitOfWorkCounts }).unitsOfWork,
      stop: () => stopProcess(child),
    };
    return { node, child };
  });
  try {
    await Promise.all(started.map(({ node, child }) => waitUntilServing(node.baseUrl, child)));
  } catch (e) {
    await Promise.all(started.map(({ node }) => node.stop()));
    const output = started.map(({ node }) => `${node.name}:\n${node.output.join('\n')}`).join('\n');
    throw new Error(`${(e as Error).message}\n${output}`, { cause: e });
  }
  return started.map(({ node }) => node);
}
