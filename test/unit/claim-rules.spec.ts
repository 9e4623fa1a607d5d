import fc from 'fast-check';
import { allocateApproval, invoiceKey, isInvoiceKey } from '../../src/claims/claim.rules';

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

  it('is at most 64 code points however upper-casing grows a letter (ß is SS)', () => {
    expect(invoiceKey('ß'.repeat(64))).toBe('S'.repeat(64));
    expect(invoiceKey(`${'A'.repeat(63)}ß`)).toBe(`${'A'.repeat(63)}S`);
  });

  it('keeps different invoice numbers apart', () => {
    expect(invoiceKey('31002613702')).not.toBe(invoiceKey('31002613703'));
  });

  it('drops every separator, mark and invisible character a second claim could slip in', () => {
    const key = invoiceKey('31002613702');
    const hidden = [
      ...['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u3000', '\u1680', '\u00a0'], // spaces, joiners
      ...['\u2212', '\u2e3a', '\u301c', '\ufe63', '\uff0d', '\u2500', '\u02d7', '\u2796', '\u2043'], // dashes and look-alikes
      ...['\ufe0f', '\u{e0100}', '\u180b', '\u034f', '\u0301', '\u17b4', '\u{1d173}', '\u{e0041}'], // variation selectors, marks, tags
      ...['\u3164', '\u115f', '\u1160', '\uffa0', '\u2800'], // Hangul fillers, braille blank
      ...['\u0000', '\u007f', '\u0008', '_', '.', '/', '\u00b7'], // controls and visible separators
    ];
    for (const ch of hidden) expect({ ch, key: invoiceKey(`3100${ch}2613702`) }).toEqual({ ch, key });
  });

  it('reads any script’s digits, and O, o, I and l, as the digits they look like', () => {
    const key = invoiceKey('31002613702');
    expect(invoiceKey('٣١٠٠٢٦١٣٧٠٢')).toBe(key); // Arabic-Indic
    expect(invoiceKey('३१००२६१३७०२')).toBe(key); // Devanagari
    expect(invoiceKey('𝟑𝟏𝟎𝟎𝟐𝟔𝟏𝟑𝟕𝟎𝟐')).toBe(key); // mathematical bold (NFKC)
    expect(invoiceKey('31OO2613702')).toBe(key);
    expect(invoiceKey('3lOo26I3702')).toBe(key);
  });

  it('folds case before reading letters as digits: one number in upper and lower case is one invoice (property)', () => {
    expect(invoiceKey('inv-2274')).toBe(invoiceKey('INV-2274'));
    expect(invoiceKey('fp-o1')).toBe(invoiceKey('FP-O1'));
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Za-z -]{1,30}$/), (number) => {
        expect(invoiceKey(number.toLowerCase())).toBe(invoiceKey(number.toUpperCase()));
      }),
    );
  });

  it('keeps a letter outside A–Z in the key, so that such a number is refused rather than told apart', () => {
    expect(isInvoiceKey(invoiceKey('31\u041e02613702'))).toBe(false); // Cyrillic О
    expect(isInvoiceKey(invoiceKey('发票31002613702'))).toBe(false);
    expect(isInvoiceKey(invoiceKey('3100\u30fc2613702'))).toBe(false); // katakana ー, a letter
    expect(isInvoiceKey(invoiceKey('fp-2026-001'))).toBe(true);
  });

  it('cuts a long key between characters, never inside one', () => {
    expect(invoiceKey(`${'A'.repeat(63)}\u{20000}`)).toBe(`${'A'.repeat(63)}\u{20000}`);
    expect(invoiceKey(`${'A'.repeat(64)}\u{20000}`)).toBe('A'.repeat(64));
  });

  it('a number with separators and invisible characters inserted anywhere is the same invoice (property)', () => {
    const noise = fc.constantFrom(
      ' ',
      '-',
      '_',
      '.',
      '\u2010',
      '\u2014',
      '\u2212',
      '\u200b',
      '\u2060',
      '\u00ad',
      '\u3000',
      '\ufeff',
      '\ufe0f',
      '\u3164',
      '\u0301',
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9A-HJKMNP-Z]{1,20}$/), // keys have no O, I or L: they read as 0 and 1
        fc.array(fc.tuple(fc.nat(), noise), { maxLength: 8 }),
        (number, inserts) => {
          const chars = [...number];
          for (const [at, ch] of inserts) chars.splice(at % (chars.length + 1), 0, ch);
          expect(invoiceKey(chars.join(''))).toBe(number);
        },
      ),
    );
  });

  it('leaves nothing of a number made only of spaces, dashes and invisible characters (refused at the door)', () => {
    expect(invoiceKey('  - \u3000')).toBe('');
    expect(invoiceKey('\u200b\u00ad\u2212')).toBe('');
  });
});
