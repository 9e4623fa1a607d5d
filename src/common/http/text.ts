import { ValidateBy, ValidationOptions } from 'class-validator';

/**
 * Unicode's bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) make text display
 * in another order than it is stored: in a name printed on a certificate, a statement or a CSV for the treasury they
 * could disguise a payee ("Trojan Source", CVE-2021-42574). Refused wherever such text is accepted.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

export const hasBidiControls = (text: string): boolean => BIDI_CONTROLS.test(text);

export const NoBidiControls = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'noBidiControls',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !hasBidiControls(value),
        defaultMessage: (a) => `${a?.property} must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)`,
      },
    },
    options,
  );
