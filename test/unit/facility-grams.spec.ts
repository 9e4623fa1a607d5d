import fc from 'fast-check';
import { COLLATION_CLASSES } from '../../src/facilities/collation-folds';
import { exactGram, gramsOf, searchGrams } from '../../src/facilities/facility-grams';

const pair = (a: string, b: string) => a.codePointAt(0)! * 2 ** 21 + b.codePointAt(0)!;
const sorted = (grams: number[] | undefined) => [...(grams ?? [])].sort((a, b) => a - b);

describe('the character pairs behind facility search', () => {
  it('takes each pair of adjacent Han characters, Latin letters or digits once, from name and description, none across other characters', () => {
    expect(sorted(gramsOf('气相色谱', 'GC 色谱仪'))).toEqual(
      sorted([pair('气', '相'), pair('相', '色'), pair('色', '谱'), pair('g', 'c'), pair('谱', '仪')]),
    );
    expect(sorted(gramsOf('X射线'))).toEqual(sorted([pair('x', '射'), pair('射', '线')]));
    expect(gramsOf('色 谱', 'a-b', '1/2', null, undefined, '')).toEqual([]);
  });

  it('folds each character the way the collation compares it: case, full width, accents, digits of other forms, radicals', () => {
    const cnas = gramsOf('cnas');
    for (const same of ['CNAS', 'ＣＮＡＳ', 'Cñås', 'ⒸⓃⒶⓈ']) expect(gramsOf(same)).toEqual(cnas);
    expect(gramsOf('二〇二四')).toEqual(gramsOf('二0二四'));
    expect(gramsOf('⼀二')).toEqual(gramsOf('一二'));
    expect(gramsOf('①②')).toEqual(gramsOf('12'));
  });

  it('leaves Latin letters, digits and unified ideographs as they are: only their other forms fold to them', () => {
    for (const group of COLLATION_CLASSES)
      for (const c of [...group].filter((m) => /^[a-z0-9]$|\p{Unified_Ideograph}/u.test(m))) expect(gramsOf(c + c)).toEqual([pair(c, c)]);
    expect(gramsOf('测试中心')).toEqual([pair('测', '试'), pair('试', '中'), pair('中', '心')]); // 心 shares its class with two radicals
  });

  it('keeps characters beyond U+FFFF apart (one key per pair, where the collation would fold them)', () => {
    expect(gramsOf('𠀀𠀁', '𠀀𠀂')).toEqual([pair('𠀀', '𠀁'), pair('𠀀', '𠀂')]);
    expect(new Set([pair('𠀀', '𠀁'), pair('𠀁', '𠀀')]).size).toBe(2);
  });

  it('searches by pairs wherever q has one; one character, or none side by side, scans', () => {
    expect(searchGrams('色谱')).toEqual([pair('色', '谱')]);
    expect(searchGrams('色谱色谱')).toEqual([pair('色', '谱'), pair('谱', '色')]); // distinct pairs: one join each
    expect(sorted(searchGrams('色谱 GC'))).toEqual(sorted([pair('色', '谱'), pair('g', 'c')]));
    expect(searchGrams('TEM')).toEqual([pair('t', 'e'), pair('e', 'm')]);
    expect(searchGrams('色')).toBeUndefined();
    expect(searchGrams('a b/c')).toBeUndefined();
  });

  it('needs no confirmation only for two Han characters', () => {
    expect(exactGram('色谱')).toBe(true);
    expect(exactGram('⼀二')).toBe(true); // the radical compares as 一
    for (const q of ['色谱仪', '色', 'gc', '二〇', 'X射']) expect(exactGram(q)).toBe(false);
  });

  it('every text containing q, with any character swapped for one the collation compares equal, holds all of q’s pairs', () => {
    const classes = COLLATION_CLASSES.map((group) => [...group]);
    const equal = new Map(classes.flatMap((members) => members.map((c) => [c, members] as const)));
    const char = fc.oneof(
      fc.integer({ min: 0x4e00, max: 0x4e20 }).map((c) => String.fromCodePoint(c)),
      fc.constantFrom(...'abcXYZ019 -，/ＡＢ〇ü'),
      fc.constantFrom(...classes).chain((members) => fc.constantFrom(...members)),
    );
    const text = fc.array(char, { maxLength: 30 });
    fc.assert(
      fc.property(text, fc.array(char, { minLength: 2, maxLength: 6 }), text, fc.integer(), (before, q, after, seed) => {
        // The text holds q as the collation sees it: each of q's characters may be any of its class.
        const inText = q.map((c, i) => {
          const members = equal.get(c) ?? [c];
          return members[Math.abs(seed + i) % members.length];
        });
        const held = new Set(gramsOf([...before, ...inText, ...after].join('')));
        for (const gram of searchGrams(q.join('')) ?? []) expect(held.has(gram)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
