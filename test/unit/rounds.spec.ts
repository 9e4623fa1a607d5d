import fc from 'fast-check';
import { Rounds } from '../../src/common/rounds';

/** A round that ends when the test says so, counting how many ran and how many ran at once. */
function gatedWork() {
  const state = { started: 0, inside: 0, mostInside: 0, release: [] as (() => void)[] };
  const work = async () => {
    state.started++;
    state.inside++;
    state.mostInside = Math.max(state.mostInside, state.inside);
    await new Promise<void>((r) => state.release.push(r));
    state.inside--;
  };
  return { state, work };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('Rounds', () => {
  it('runs one round at a time, and a burst of requests while one runs makes exactly one more', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), async (burst) => {
        const { state, work } = gatedWork();
        const rounds = new Rounds(work, () => undefined);
        rounds.request();
        for (let i = 0; i < burst; i++) rounds.request();
        expect(state.started).toBe(1);
        state.release.shift()!();
        await settle();
        expect(state.started).toBe(2);
        state.release.shift()!();
        await settle();
        expect(state.started).toBe(2);
        expect(state.mostInside).toBe(1);
      }),
    );
  });

  it('reports a failed round and goes on with the next', async () => {
    const failures: string[] = [];
    let calls = 0;
    const rounds = new Rounds(
      async () => {
        if (++calls === 1) throw new Error('database gone');
      },
      (e) => failures.push(e.message),
    );
    rounds.request();
    await settle();
    rounds.request();
    await settle();
    expect(failures).toEqual(['database gone']);
    expect(calls).toBe(2);
  });

  it('starts nothing once stopped and waits for the round under way', async () => {
    const { state, work } = gatedWork();
    const rounds = new Rounds(work, () => undefined);
    rounds.request();
    rounds.request(); // asked again while running: must not run after the stop
    let stopped = false;
    const stopping = rounds.stop().then(() => (stopped = true));
    expect(rounds.stopped).toBe(true);
    await settle();
    expect(stopped).toBe(false);
    state.release.shift()!();
    await stopping;
    rounds.request();
    await settle();
    expect(state.started).toBe(1);
  });
});
