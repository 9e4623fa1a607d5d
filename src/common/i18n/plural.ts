const english = new Intl.PluralRules('en');

/**
 * A count with its English noun in the form the count takes: 1 hour, 2 hours, 0 hours; `plural` for nouns that add
 * more than an s (entry → entries, hour’s → hours’). English answers are built in code or taken from class-validator,
 * so this is where their counts are written; the catalogues' counted messages are shown only in Chinese (one form).
 */
export const counted = (n: number | bigint, singular: string, plural = `${singular}s`): string =>
  `${n} ${english.select(Number(n)) === 'one' ? singular : plural}`;
