import fc from 'fast-check';
import { allocateApproval, invoiceKey } from '../../src/claims/claim.rules';

describe('allocateApproval', () => {
  it('gives each redemption what it captured until the approval runs out', () => {
    expect(allocateApproval(100, [60, 30, 50])).toEqual([60, 30, 10]);
    expect(allocateApproval(0, [5, 5])).toEqual([0, 0]);
  });

  it('never gives a redemption more than it captured and hands out exactly what was approved', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 20 }), fc.nat(), (captured, seed) => {
        const total = captured.reduce((a, b) => a + b, 0);
        const approved = total === 0 ? 0 : seed % (total + 1);
        const shares = allocateApproval(approved, captured);
        shares.forEach((share, i) => expect(share).toBeLessThanOrEqual(captured[i]));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(approved);
      }),
    );
  });
});

describe('invoiceKey', () => {
  it('reads one invoice number written several ways as one invoice', () => {
    const key = invoiceKey('31002613702');
    expect(invoiceKey(' 3100-2613 702 ')).toBe(key);
    expect(invoiceKey('３１００２６１３７０２')).toBe(key); // full-width digits from a Chinese input method
    expect(invoiceKey('fp-2026-001')).toBe(invoiceKey('FP2026001'));
  });

  it('keeps different invoice numbers apart', () => {
    expect(invoiceKey('31002613702')).not.toBe(invoiceKey('31002613703'));
  });

  it('drops invisible format characters and every dash or minus, which a second claim could slip in', () => {
    const key = invoiceKey('31002613702');
    for (const hidden of [
      '\u200b',
      '\u200c',
      '\u200d',
      '\u2060',
      '\ufeff',
      '\u00ad',
      '\u2212',
      '\u2e3a',
      '\u301c',
      '\ufe63',
      '\uff0d',
      '\u3000',
    ])
      expect(invoiceKey(`3100${hidden}2613702`)).toBe(key);
  });

  it('a number with invisible characters, dashes and spaces inserted anywhere is the same invoice (property)', () => {
    const noise = fc.constantFrom(' ', '-', '\u2010', '\u2014', '\u2212', '\u200b', '\u2060', '\u00ad', '\u3000', '\ufeff');
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Z]{1,20}$/), fc.array(fc.tuple(fc.nat(), noise), { maxLength: 8 }), (number, inserts) => {
        const chars = [...number];
        for (const [at, ch] of inserts) chars.splice(at % (chars.length + 1), 0, ch);
        expect(invoiceKey(chars.join(''))).toBe(number);
      }),
    );
  });

  it('leaves nothing of a number made only of spaces, dashes and invisible characters (refused at the door)', () => {
    expect(invoiceKey('  - \u3000')).toBe('');
    expect(invoiceKey('\u200b\u00ad\u2212')).toBe('');
  });
});
