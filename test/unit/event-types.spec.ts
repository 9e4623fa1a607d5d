import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EventCursors } from '../../src/events/event-cursor';
import { EVENT_TYPES, eventsOf, eventTypeOf, EVERY_BUREAU_TYPES, NOT_EVENTS } from '../../src/events/event-types';

const root = join(__dirname, '..', '..');
const files = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const source = files('src').map((path) => ({ path: relative(root, join(root, path)), text: readFileSync(join(root, path), 'utf8') }));

/** The text of the argument at `index` of the call whose parenthesis opens at `open`, or undefined. */
function argument(text: string, open: number, index: number): string | undefined {
  let depth = 0;
  let start = open + 1;
  let n = 0;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      if (depth === 0) return n === index ? text.slice(start, i) : undefined;
      depth--;
    } else if (c === ',' && depth === 0) {
      if (n === index) return text.slice(start, i);
      n++;
      start = i + 1;
    }
  }
  return undefined;
}

/** Builders of audit drafts that take the action as their second parameter (bookingEntry, redemptionEntry, entry, …). */
const HELPER = /(?:const|function|private|public)\s+(\w+)\s*=?\s*\(\s*\w+\s*:\s*[^,()]+,\s*action\s*:\s*string/g;
const exported = new Set(
  source.flatMap((f) => [...f.text.matchAll(HELPER)].filter((m) => f.text.slice(0, m.index).endsWith('export ')).map((m) => m[1])),
);

/**
 * Every audit action the source records, as written: `action: '…'` in a draft, or the second argument of a draft
 * builder (every string literal in it, so both sides of a ternary). Templates are returned as written.
 */
function recordedActions(): { literals: Map<string, string>; templates: Map<string, string> } {
  const literals = new Map<string, string>();
  const templates = new Map<string, string>();
  for (const f of source) {
    const helpers = [...f.text.matchAll(HELPER)].map((m) => m[1]);
    const imported = [...exported].filter((name) => new RegExp(`import\\s*{[^}]*\\b${name}\\b[^}]*}`).test(f.text));
    const found: string[] = [];
    for (const m of f.text.matchAll(/\baction:\s*('[^']*'|`[^`]*`)/g)) found.push(m[1]);
    for (const name of [...helpers, ...imported]) {
      for (const m of f.text.matchAll(new RegExp(`\\b${name}\\(`, 'g'))) {
        const arg = argument(f.text, m.index + name.length, 1);
        if (arg) found.push(...(arg.match(/'[^']*'|`[^`]*`/g) ?? []));
      }
    }
    for (const quoted of found) {
      const text = quoted.slice(1, -1);
      if (quoted.startsWith('`') && text.includes('${')) templates.set(text, f.path);
      else if (/^[a-z_]+\.[a-z_]+$/.test(text)) literals.set(text, f.path);
    }
  }
  return { literals, templates };
}

const subscribable = (action: string) => NOT_EVENTS.some((p) => action.startsWith(p)) || EVENT_TYPES.includes(eventTypeOf(action));

describe('event types', () => {
  it('every audit action the service records is published under a type a subscription can name, or is no event', () => {
    const { literals, templates } = recordedActions();
    // the scan finds what it should: the contract's and the others'
    expect(literals.size).toBeGreaterThan(50);
    for (const action of ['booking.created', 'booking.cancelled', 'booking.no_show', 'facility.qualified', 'claim.approved', 'auth.login'])
      expect([action, literals.has(action)]).toEqual([action, true]);
    const unsubscribable = [...literals].filter(([action]) => !subscribable(action)).map(([action, path]) => `${action} (${path})`);
    expect(unsubscribable).toEqual([]);
    // An action built from a template is checked by its expansions, listed here: a new template must be added.
    const expansions: Record<string, string[]> = { 'voucher.${status}': ['voucher.expired', 'voucher.revoked'] };
    expect([...templates.keys()].sort()).toEqual(Object.keys(expansions).sort());
    for (const action of Object.values(expansions).flat()) expect([action, subscribable(action)]).toEqual([action, true]);
  });

  it('the credit list every bureau reads is made of subscribable types', () => {
    for (const type of EVERY_BUREAU_TYPES) expect(EVENT_TYPES).toContain(type);
  });

  it('never carries a person’s id to the parties: the first approver and the provider user who recorded stay in the audit log', () => {
    const [event] = eventsOf({
      action: 'claim.approved',
      entityType: 'claim',
      entityId: 'c-1',
      regionCode: '330000',
      organizationId: 'lab-1',
      summary: { approvedFen: 40_000, firstApprovedBy: 'user-zj-1' },
    });
    expect(event.type).toBe('claim.decided');
    expect(event.data).toEqual({
      claimId: 'c-1',
      decision: 'approved',
      regionCode: '330000',
      organizationId: 'lab-1',
      approvedFen: 40_000,
    });
    const [qualified] = eventsOf({
      action: 'facility.qualified',
      entityType: 'facility',
      entityId: 'f-1',
      organizationId: 'e-1',
      summary: { enterpriseId: 'e-1', recordedBy: 'user-lab-1' },
    });
    expect(qualified.data).not.toHaveProperty('recordedBy');
  });

  it('gives each recipient an event of its own with its own data and no region; the region’s event keeps the summary', () => {
    const events = eventsOf({
      action: 'settlement.paid',
      entityType: 'settlement',
      entityId: 's-1',
      regionCode: '340000',
      summary: { totalFen: 300, payees: 2 },
      recipients: [
        { organizationId: 'lab-a', summary: { amountFen: 100 } },
        { organizationId: 'lab-b', summary: { amountFen: 200 } },
      ],
    });
    expect(events.map((e) => [e.type, e.regionCode, e.organizationId, e.counterpartyId, e.data])).toEqual([
      ['settlement.paid', '340000', null, null, { settlementId: 's-1', regionCode: '340000', totalFen: 300, payees: 2 }],
      ['settlement.paid', null, 'lab-a', null, { settlementId: 's-1', organizationId: 'lab-a', amountFen: 100 }],
      ['settlement.paid', null, 'lab-b', null, { settlementId: 's-1', organizationId: 'lab-b', amountFen: 200 }],
    ]);
    expect(eventsOf({ action: 'api_key.created', entityType: 'api_key', entityId: 'k', summary: {} })).toEqual([]);
    expect(eventsOf({ action: 'calendar.feed_made', entityType: 'user', entityId: 'u', summary: {} })).toEqual([]);
  });
});

describe('the feed’s cursor', () => {
  const cursors = new EventCursors(randomBytes(32));

  it('round-trips every sequence number the feed can hand out, and the same number always gives the same cursor (property)', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (seq) => {
        expect(cursors.decode(cursors.encode(seq))).toBe(seq);
        expect(cursors.encode(seq)).toBe(cursors.encode(seq));
      }),
    );
  });

  it('takes a text only when it is the cursor of its number, so an empty page answers the very cursor it was asked with (property)', () => {
    const answered = (text: string) => {
      try {
        return cursors.encode(cursors.decode(text));
      } catch {
        return null;
      }
    };
    // any text, the feed's own cursors with a character changed (base64url's spare bits spell one block many ways),
    // and any 16 bytes: none is taken unless it is a cursor the feed made
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const changed = fc.tuple(fc.maxSafeNat(), fc.nat(21), fc.constantFrom(...chars)).map(([seq, at, c]) => {
      const cursor = cursors.encode(seq);
      return cursor.slice(0, at) + c + cursor.slice(at + 1);
    });
    const blocks = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1 }), changed, blocks), (text) => expect([null, text]).toContain(answered(text))),
    );
    fc.assert(fc.property(blocks, (text) => expect(answered(text)).toBeNull()));
  });

  it('says nothing of its number: neighbours look unrelated, the readable cursors of before are refused, and another key reads none', () => {
    const [a, b] = [cursors.encode(41), cursors.encode(42)];
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect([...a].filter((c, i) => c === b[i]).length).toBeLessThan(8);
    expect(() => cursors.decode(Buffer.from('e1:42').toString('base64url'))).toThrow(/^after: /);
    expect(() => new EventCursors(randomBytes(32)).decode(b)).toThrow(/^after: /);
    // a number past 2^53 − 1 would come back rounded: refused, not read as another
    expect(cursors.decode(cursors.encode(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => cursors.decode(cursors.encode(2 ** 53))).toThrow(/^after: /);
    expect(new EventCursors(Buffer.alloc(32, 7)).encode(42)).toBe(new EventCursors(Buffer.alloc(32, 7)).encode(42));
  });
});
