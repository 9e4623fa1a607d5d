import { ValidateBy, ValidationOptions } from 'class-validator';
import { counted } from '../i18n/plural';

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

/**
 * C0 controls but TAB, LF and CR, DEL, and C1 controls (U+0080–U+009F): no text of ours holds them, and raw in an
 * iCalendar feed, a PDF, a CSV or a page they end a line (NEL, VT, FF), ring, or drive a terminal (ESC). Refused in any
 * string of a request (illFormedText) and in every CSV cell.
 */
// eslint-disable-next-line no-control-regex -- the control characters are what it finds
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export const hasControlCharacters = (text: string): boolean => CONTROL_CHARACTERS.test(text);

/** What ends a line or jumps to a tab stop: in a name, a number or a reference they split a CSV row, a PDF line or a page's table. */
const LINE_BREAKS = /[\t\n\r\u2028\u2029]/;

/** The implicit directional marks (LRM, RLM, ALM): no name, number or reference of ours needs one to read right. */
const DIRECTIONAL_MARKS = /[\u200E\u200F\u061C]/;

/**
 * One line of plain text that shows something: no line break or tab, no control character, no bidirectional control
 * or mark, and at least one visible character.
 */
export const isOneLine = (text: string): boolean => !disturbsLine(text) && visibleCount(text) > 0;

/** A line break or tab, a control character, or a bidirectional control or mark: what a line of text must not hold. */
const disturbsLine = (text: string): boolean =>
  LINE_BREAKS.test(text) || hasControlCharacters(text) || hasBidiControls(text) || DIRECTIONAL_MARKS.test(text);

/** For names, numbers and references (an organization's name, an invoice number, a payment reference): one line of text. */
export const OneLine = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'oneLine',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || isOneLine(value),
        defaultMessage: (a) => `${a?.property} must be one line of visible text: no line break, tab, control or bidirectional character`,
      },
    },
    options,
  );

/**
 * What shows nothing on its own: white space, what Unicode says to ignore when it cannot be shown (U+200B, U+00AD,
 * U+FEFF…), combining marks (they show on a character), the braille blank, and code points with no agreed glyph
 * (private use, unassigned, noncharacters).
 */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{M}\u2800\p{Co}\p{Cn}]/u;

/** How many characters of `text` can be seen (code points, not UTF-16 units). */
export const visibleCount = (text: string): number => [...text].filter((c) => !INVISIBLE.test(c)).length;

/** At least `min` visible characters: a name of blanks or zero-width spaces passes a length check and names nothing. */
export const HasVisibleText = (min: number, options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'hasVisibleText',
      constraints: [min],
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || visibleCount(value) >= min,
        defaultMessage: (a) => `${a?.property} must contain at least ${counted(min, 'visible character')}`,
      },
    },
    options,
  );

/**
 * Text a client sent outside the body (its User-Agent) as it may be stored and shown: every control, line break and
 * bidirectional control becomes U+FFFD, and it is cut at `max` code points. Refusing it would refuse a login over a
 * header the person cannot see.
 */
export const printable = (text: string, max: number): string =>
  [...text]
    .slice(0, max)
    .map((c) => (disturbsLine(c) ? '\uFFFD' : c))
    .join('');
