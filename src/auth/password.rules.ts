import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import { counted } from '../common/i18n/plural';

export const MIN_PASSWORD_LENGTH = 10;
/** zxcvbn's scale 0–4: 3 is "safely unguessable" against offline attacks on a slow hash. */
const MIN_STRENGTH = 3;

/** zxcvbn with the common-password and common-word dictionaries (loaded once, ~6 MB, ~2 ms a check). */
let estimator: ZxcvbnFactory | undefined;
const strength = (password: string, userInputs: string[]) =>
  (estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs })).check(password, userInputs)
    .score;

const CLASSES: [RegExp, string][] = [
  [/[a-z]/, 'lower-case letters'],
  [/[A-Z]/, 'upper-case letters'],
  [/[0-9]/, 'digits'],
  [/[^A-Za-z0-9]/, 'symbols'],
];

/**
 * Why a password may not be used, or null (API.md: at least 10 characters, 3 of the 4 classes, not containing the
 * username, not a common password). The common-password check is zxcvbn's, not a hand-made list.
 */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `password must be at least ${counted(MIN_PASSWORD_LENGTH, 'character')}`;
  const present = CLASSES.filter(([pattern]) => pattern.test(password)).length;
  if (present < 3) return `password must mix at least 3 of: ${CLASSES.map(([, name]) => name).join(', ')}`;
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) return 'password must not contain the username';
  if (strength(password, [username]) < MIN_STRENGTH) return 'password is too common or too easy to guess';
  return null;
}
