import fc from 'fast-check';
import { fenToYuanDecimal, formatYuan, MAX_CAPITAL_FEN, toChineseCapitalAmount } from '../../src/documents/chinese-amount';

const DIGIT: Record<string, number> = { 零: 0, 壹: 1, 贰: 2, 叁: 3, 肆: 4, 伍: 5, 陆: 6, 柒: 7, 捌: 8, 玖: 9 };
const PLACE: Record<string, number> = { 拾: 10, 佰: 100, 仟: 1000 };

/** Reads a 大写 amount back into fen, the way a clerk would: an independent check of the writer. */
function readCapital(text: string): number {
  let fen = 0;
  let total = 0; // whole 亿 spans already closed
  let section = 0; // the current span below 亿
  let digit = 0;
  for (const ch of text) {
    if (ch in DIGIT) digit = DIGIT[ch];
    else if (ch in PLACE) {
      section += digit * PLACE[ch];
      digit = 0;
    } else if (ch === '万') {
      section = (section + digit) * 10_000;
      digit = 0;
    } else if (ch === '亿') {
      total = (total + section + digit) * 100_000_000;
      section = digit = 0;
    } else if (ch === '元') {
      fen += (total + section + digit) * 100;
      total = section = digit = 0;
    } else if (ch === '角') {
      fen += digit * 10;
      digit = 0;
    } else if (ch === '分') {
      fen += digit;
      digit = 0;
    } else if (ch !== '整') throw new Error(`unexpected ${ch} in ${text}`);
  }
  return fen;
}

describe('toChineseCapitalAmount: 大写 amounts as on invoices and cheques', () => {
  it.each([
    // the examples of the brief
    [8_000_000, '捌万元整'],
    [10_000_550, '壹拾万零伍元伍角'],
    [5, '伍分'],
    [100_000_001, '壹佰万元零壹分'],
    [1_030, '壹拾元叁角'],
    [0, '零元整'],
    [10_001_000_000, '壹亿零壹万元整'],
    [10_000_000_000, '壹亿元整'],
    [100_000_100, '壹佰万零壹元整'],
    // examples of the People's Bank rules (正确填写票据和结算凭证的基本规定)
    [140_950, '壹仟肆佰零玖元伍角'],
    [600_714, '陆仟零柒元壹角肆分'],
    [1_640_902, '壹万陆仟肆佰零玖元零贰分'],
    [32_504, '叁佰贰拾伍元零肆分'],
    [168_032, '壹仟陆佰捌拾元叁角贰分'],
    [10_700_053, '壹拾万柒仟元伍角叁分'],
  ])('%i fen → %s', (fen, expected) => {
    expect(toChineseCapitalAmount(fen)).toBe(expected);
  });

  it.each([
    [100_100, '壹仟零壹元整'],
    [101_000, '壹仟零壹拾元整'],
    [1_000, '壹拾元整'],
    [1_100, '壹拾壹元整'],
    [100, '壹元整'],
    [50, '伍角'],
    [55, '伍角伍分'],
    [101, '壹元零壹分'],
    [1_001_000_000, '壹仟零壹万元整'],
    [1_000_100_000, '壹仟万壹仟元整'],
    [100_010_000_000, '壹拾亿零壹拾万元整'],
    [10_000_000_100, '壹亿零壹元整'],
    [11_000_000_000, '壹亿壹仟万元整'],
    [100_000_000_000_000, '壹万亿元整'],
    [100_010_000_000_000, '壹万零壹亿元整'],
    [100_000_001_000_000, '壹万亿零壹万元整'],
  ])('zeros: %i fen → %s', (fen, expected) => {
    expect(toChineseCapitalAmount(fen)).toBe(expected);
  });

  it('writes the largest amount, ¥9,999,999,999,999.99', () => {
    expect(toChineseCapitalAmount(MAX_CAPITAL_FEN)).toBe('玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分');
  });

  it.each([[-1], [0.5], [12.3], [NaN], [Infinity], [MAX_CAPITAL_FEN + 1], [Number.MAX_SAFE_INTEGER + 2]])('refuses %p', (fen) => {
    expect(() => toChineseCapitalAmount(fen)).toThrow(RangeError);
  });

  it('reads back to the same amount, for any amount in range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_CAPITAL_FEN }), (fen) => {
        expect(readCapital(toChineseCapitalAmount(fen))).toBe(fen);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads back for amounts full of zeros, where the 零 rules matter', () => {
    const sparse = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 1, max: 9 })), { maxLength: 4 })
      .map((digits) => digits.reduce((fen, [place, d]) => fen + d * 10 ** place, 0))
      .filter((fen) => fen <= MAX_CAPITAL_FEN);
    fc.assert(
      fc.property(sparse, (fen) => {
        const text = toChineseCapitalAmount(fen);
        expect(readCapital(text)).toBe(fen);
        if (fen > 0) expect(text).not.toMatch(/零零|零[万亿元]|^零/);
        expect(text).toMatch(/(元整|角|分)$/);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('formatYuan and fenToYuanDecimal: integer arithmetic only', () => {
  it.each([
    [8_000_000, '¥80,000.00', '80000.00'],
    [123_456, '¥1,234.56', '1234.56'],
    [5, '¥0.05', '0.05'],
    [0, '¥0.00', '0.00'],
    [99_999, '¥999.99', '999.99'],
    [100_000_001, '¥1,000,000.01', '1000000.01'],
    [MAX_CAPITAL_FEN, '¥9,999,999,999,999.99', '9999999999999.99'],
    [-1_230, '-¥12.30', '-12.30'],
  ])('%i fen → %s / %s', (fen, formatted, decimal) => {
    expect(formatYuan(fen)).toBe(formatted);
    expect(fenToYuanDecimal(fen)).toBe(decimal);
  });

  it('refuses fractions of a fen', () => {
    expect(() => formatYuan(1.5)).toThrow(RangeError);
    expect(() => fenToYuanDecimal(0.1)).toThrow(RangeError);
  });

  it('agrees with decimal arithmetic on strings for any amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (fen) => {
        const digits = String(fen).padStart(3, '0');
        expect(fenToYuanDecimal(fen)).toBe(`${digits.slice(0, -2)}.${digits.slice(-2)}`);
        expect(formatYuan(fen).replace(/[¥,]/g, '')).toBe(fenToYuanDecimal(fen));
      }),
    );
  });
});
