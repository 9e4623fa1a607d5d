import fc from 'fast-check';
import { gramsOf, searchGrams } from '../../src/facilities/facility-grams';

const pair = (a: string, b: string) => a.codePointAt(0)! * 2 ** 21 + b.codePointAt(0)!;

describe('the Han pairs behind facility search', () => {
  it('takes each pair of adjacent Han characters once, from name and description, and nothing across other characters', () => {
    expect(gramsOf('气相色谱', 'GC 色谱仪').sort()).toEqual(
      [pair('气', '相'), pair('相', '色'), pair('色', '谱'), pair('谱', '仪')].sort(),
    );
    expect(gramsOf('色 谱', 'TEM', null, undefined, '')).toEqual([]);
  });

  it('keeps characters beyond U+FFFF apart (one key per pair, where a collation would fold them)', () => {
    expect(gramsOf('𠀀𠀁', '𠀀𠀂')).toEqual([pair('𠀀', '𠀁'), pair('𠀀', '𠀂')]);
    expect(new Set([pair('𠀀', '𠀁'), pair('𠀁', '𠀀')]).size).toBe(2);
  });

  it('searches by pairs only for two Han characters or more; one character or any other text scans', () => {
    expect(searchGrams('色谱')).toEqual([pair('色', '谱')]);
    expect(searchGrams('色谱色谱')).toEqual([pair('色', '谱'), pair('谱', '色')]); // distinct pairs: one join each
    expect(searchGrams('色')).toBeUndefined();
    expect(searchGrams('色谱 GC')).toBeUndefined();
    expect(searchGrams('tem')).toBeUndefined();
  });

  it('every text containing q holds all of q’s pairs (the index never loses a match)', () => {
    const han = fc.integer({ min: 0x4e00, max: 0x4e20 }).map((c) => String.fromCodePoint(c));
    const text = fc.array(fc.oneof(han, fc.constantFrom(' ', 'a', '，')), { maxLength: 30 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, fc.array(han, { minLength: 2, maxLength: 5 }), text, (before, q, after) => {
        const held = new Set(gramsOf(`${before}${q.join('')}${after}`));
        for (const gram of searchGrams(q.join(''))!) expect(held.has(gram)).toBe(true);
      }),
    );
  });
});
