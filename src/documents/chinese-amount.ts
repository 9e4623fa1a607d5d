/**
 * Amounts as printed on Chinese financial documents. Everything works on integer fen: the yuan and
 * the decimals are split with integer division, never with floating point.
 */

const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const PLACES = ['', '拾', '佰', '仟'];

/** 9,999,999,999,999.99 yuan: the largest amount written with 万亿 as the top unit (and a safe integer). */
export const MAX_CAPITAL_FEN = 999_999_999_999_999;

function assertFen(fen: number, what: string): void {
  if (!Number.isSafeInteger(fen)) {
    throw new RangeError(`${what}: amount must be a safe integer number of fen, got ${fen}`);
  }
}

/** 1..9999 without leading zeros; zeros inside collapse into one 零 and trailing zeros are dropped. */
function group(n: number): string {
  let out = '';
  let pendingZero = false;
  for (let place = 3; place >= 0; place--) {
    const d = Math.floor(n / 10 ** place) % 10;
    if (d === 0) {
      pendingZero = out !== '';
    } else {
      out += (pendingZero ? '零' : '') + DIGITS[d] + PLACES[place];
      pendingZero = false;
    }
  }
  return out;
}

/**
 * A positive integer in capital numerals with 万 and 亿 as group units (10^12 reads 壹万亿).
 * A lower part whose leading digit is not in the top place of its span gets one 零, as in
 * 壹佰万零壹 (1,000,001) and 壹亿零壹万 (100,010,000); a lower part that fills its span does not,
 * as in 壹拾万柒仟 (107,000), which the payment rules allow.
 */
function integer(n: number): string {
  for (const [size, unit] of [
    [1e8, '亿'],
    [1e4, '万'],
  ] as const) {
    if (n >= size) {
      const rest = n % size;
      const head = integer(Math.floor(n / size)) + unit;
      if (rest === 0) return head;
      return head + (rest < size / 10 ? '零' : '') + integer(rest);
    }
  }
  return group(n);
}

/**
 * 大写 amount as on invoices and cheques (中国人民银行《正确填写票据和结算凭证的基本规定》):
 * 80000.00 → 捌万元整, 100005.50 → 壹拾万零伍元伍角, 0.05 → 伍分, 1000000.01 → 壹佰万元零壹分.
 * 整 follows 元 only when there are neither 角 nor 分; a zero 角 before a non-zero 分 is written 零.
 */
export function toChineseCapitalAmount(fen: number): string {
  assertFen(fen, 'toChineseCapitalAmount');
  if (fen < 0) throw new RangeError(`toChineseCapitalAmount: negative amount ${fen}`);
  if (fen > MAX_CAPITAL_FEN) throw new RangeError(`toChineseCapitalAmount: amount ${fen} fen is out of range`);

  const yuan = Math.floor(fen / 100);
  const jiao = Math.floor(fen / 10) % 10;
  const cents = fen % 10;

  if (jiao === 0 && cents === 0) return (yuan === 0 ? '零' : integer(yuan)) + '元整';

  let out = yuan === 0 ? '' : integer(yuan) + '元';
  if (jiao !== 0) out += DIGITS[jiao] + '角';
  else if (yuan !== 0) out += '零';
  if (cents !== 0) out += DIGITS[cents] + '分';
  return out;
}

/** '1234.56' for 123456 fen: plain decimal yuan, as a treasury import expects. */
export function fenToYuanDecimal(fen: number): string {
  assertFen(fen, 'fenToYuanDecimal');
  const abs = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** '¥80,000.00' for 8000000 fen; negative amounts read '-¥12.30'. */
export function formatYuan(fen: number): string {
  assertFen(fen, 'formatYuan');
  const abs = Math.abs(fen);
  const yuan = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${fen < 0 ? '-' : ''}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}
