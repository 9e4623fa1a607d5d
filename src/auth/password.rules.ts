import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 10;
/** zxcvbn's scale 0–4: 3 is "safely unguessable" against offline attacks on a slow hash. */
const MIN_STRENGTH = 3;

/** zxcvbn with the common-password and common-word dictionaries (loaded once, ~6 MB, ~2 ms a check). */
let estimator: ZxcvbnFactory | undefined;
const strength = (password: string, userInputs: string[]) =>
  (estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs })).check(password, userInputs)
    .score;

const CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/];

/** Why a password may not be used: the catalogue's `passwords.*` says it in the caller's language. */
export type PasswordProblem = 'tooShort' | 'tooFewClasses' | 'containsUsername' | 'tooCommon';

/**
 * Why a password may not be used, or null (API.md: at least 10 characters, 3 of the 4 classes, not containing the
 * username, not a common password). The common-password check is zxcvbn's, not a hand-made list.
 */
export function passwordProblem(password: string, username: string): PasswordProblem | null {
  if (password.length < MIN_PASSWORD_LENGTH) return 'tooShort';
  if (CLASSES.filter((pattern) => pattern.test(password)).length < 3) return 'tooFewClasses';
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) return 'containsUsername';
  if (strength(password, [username]) < MIN_STRENGTH) return 'tooCommon';
  return null;
}
