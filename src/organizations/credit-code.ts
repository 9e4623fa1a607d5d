/** The unified social credit code (统一社会信用代码, GB 32100-2015). */
/** The 31 characters a credit code is written in (0-9 and A-Y without I, O, S, V, Z). */
export const CREDIT_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function checkCharacter(first17: string): string {
  const sum = [...first17].reduce((acc, ch, i) => acc + CREDIT_CODE_CHARSET.indexOf(ch) * WEIGHTS[i], 0);
  return CREDIT_CODE_CHARSET[(31 - (sum % 31)) % 31];
}

/** Why a code is invalid, or null when it is valid. */
export function creditCodeProblem(code: unknown): string | null {
  if (typeof code !== 'string') return 'must be a string';
  if (code.length !== 18) return 'must be exactly 18 characters';
  const bad = [...code].find((ch) => !CREDIT_CODE_CHARSET.includes(ch));
  if (bad !== undefined) return `contains '${bad}', outside 0-9 and A-Y without I, O, S, V, Z (upper case)`;
  if (!/^\d{6}$/.test(code.slice(2, 8))) return 'characters 3–8 must be the 6-digit region code of registration';
  if (checkCharacter(code.slice(0, 17)) !== code[17]) return 'check character does not match (GB 32100)';
  return null;
}

export const registrationRegionOf = (code: string): string => code.slice(2, 8);

/** A valid code for a region: for seeds and tests. `body` is 9 characters of the charset. */
export function makeCreditCode(regionCode: string, body: string, registrar = '91'): string {
  const first17 = `${registrar}${regionCode}${body}`;
  return first17 + checkCharacter(first17);
}
