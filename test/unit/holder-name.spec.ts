import fc from 'fast-check';
import { MASK, maskHolderName, SHOWN_LEADING, SHOWN_TRAILING } from '../../src/vouchers/holder-name';

const graphemes = (s: string) => Array.from(new Intl.Segmenter('zh-CN', { granularity: 'grapheme' }).segment(s), (g) => g.segment);
const shownCount = (masked: string) => graphemes(masked).filter((g) => g !== MASK).length;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const hanzi = fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCodePoint(c));
/** Chinese names, ASCII names, and anything Unicode has (accents, emoji, other scripts). */
const names = fc.oneof(
  fc.array(hanzi, { minLength: 0, maxLength: 40 }).map((cs) => cs.join('')),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
);

describe('maskHolderName: the holder as the public verification page shows it', () => {
  it('keeps four leading characters and the last two of a company name', () => {
    expect(maskHolderName('合肥微纳新材料科技有限公司')).toBe('合肥微纳*******公司');
    expect(maskHolderName('上海微观表征公共服务平台有限公司')).toBe('上海微观**********公司');
  });

  it('hides most of a short name, all of a one-character one', () => {
    expect(maskHolderName('华为公司')).toBe('华**司');
    expect(maskHolderName('张三丰')).toBe('张**');
    expect(maskHolderName('张三')).toBe('张*');
    expect(maskHolderName('张')).toBe('*');
    expect(maskHolderName('')).toBe('');
  });

  it('masks the spaces of a Latin name too, so its words do not show through', () => {
    expect(maskHolderName('Hefei Micro-Nano Materials Co., Ltd.')).toBe(`Hefe${'*'.repeat(30)}d.`);
  });

  it('counts what a reader sees as one character: accents and emoji are never cut in half', () => {
    expect(maskHolderName('Socie\u0301te\u0301 Ge\u0301ne\u0301rale')).toBe(`Soci${'*'.repeat(10)}le`); // é as e + U+0301
    expect(maskHolderName('👩‍🔬实验室科技有限公司')).toBe('👩‍🔬实验*****公司');
  });

  it('ignores surrounding whitespace', () => {
    expect(maskHolderName('  合肥微纳新材料科技有限公司 ')).toBe('合肥微纳*******公司');
  });

  it('never shows more than 4 + 2 characters, nor more than half of the name', () => {
    fc.assert(
      fc.property(names, (name) => {
        const n = graphemes(name.trim()).length;
        const shown = shownCount(maskHolderName(name));
        expect(shown).toBeLessThanOrEqual(SHOWN_LEADING + SHOWN_TRAILING);
        expect(shown).toBeLessThanOrEqual(Math.floor(n / 2));
      }),
    );
  });

  it('has the shape of the name: as many characters, each the original or the mask, shown ones only at the ends', () => {
    fc.assert(
      fc.property(names, (name) => {
        const original = graphemes(name.trim());
        const masked = graphemes(maskHolderName(name));
        expect(masked).toHaveLength(original.length);
        masked.forEach((g, i) => {
          expect([MASK, original[i]]).toContain(g);
          if (i >= SHOWN_LEADING && i < original.length - SHOWN_TRAILING) expect(g).toBe(MASK);
        });
      }),
    );
  });

  it('shows exactly 4 leading and 2 trailing characters of a name of 12 or more', () => {
    fc.assert(
      fc.property(
        fc.array(hanzi, { minLength: 12, maxLength: 60 }).map((cs) => cs.join('')),
        (name) => {
          const cs = graphemes(name);
          expect(maskHolderName(name)).toBe(cs.slice(0, 4).join('') + MASK.repeat(cs.length - 6) + cs.slice(-2).join(''));
        },
      ),
    );
  });

  it('always answers well-formed text', () => {
    fc.assert(fc.property(names, (name) => expect(LONE_SURROGATE.test(maskHolderName(name))).toBe(false)));
  });
});
