import fc from 'fast-check';
import { csvRecords } from '../../src/common/http/csv';
import { loggedPath } from '../../src/common/http/request-log';
import { hasControlCharacters, isOneLine, visibleCount } from '../../src/common/http/text';
import { illFormedText, prototypeKey } from '../../src/common/http/validation';
import { decimalInteger } from '../../src/common/http/validators';

const isControl = (cp: number) => (cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) || (cp >= 0x7f && cp <= 0x9f);
/** Text as people write it: any graphemes but the control characters and line breaks (Chinese, emoji, punctuation). */
const plainText = fc
  .string({ unit: 'grapheme', maxLength: 30 })
  .filter(
    (s) => ![...s].some((c) => isControl(c.codePointAt(0)!) || /[\t\n\r\u2028\u2029\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/.test(c)),
  );

describe('control characters', () => {
  it('are the C0 controls but TAB, LF and CR, DEL, and the C1 controls: every code point of the BMP checked', () => {
    const wrong: number[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      if ((cp < 0xd800 || cp > 0xdfff) && hasControlCharacters(`a${String.fromCodePoint(cp)}b`) !== isControl(cp)) wrong.push(cp);
    }
    expect(wrong).toEqual([]);
  });

  it('make a string of a body ill-formed wherever they are, in a value or a key; TAB, LF and CR do not', () => {
    expect(illFormedText({ organization: { name: '合肥\u0007科技' } })).toBe('organization.name');
    expect(illFormedText({ rows: [{ certificateNo: 'ok' }, { certificateNo: 'GR\u0085' }] })).toBe('rows.1.certificateNo');
    expect(illFormedText({ ['k\u001b']: 'v' })).toBe('body');
    expect(illFormedText({ description: '第一行\r\n第二行\n\t缩进' })).toBeNull();
    fc.assert(
      fc.property(plainText, fc.integer({ min: 0, max: 0x9f }).filter(isControl), (text, cp) => {
        expect(illFormedText({ text })).toBeNull();
        expect(illFormedText({ text: text + String.fromCodePoint(cp) + text })).toBe('text');
      }),
    );
  });
});

describe('one-line text', () => {
  it('holds no line break, tab, control or bidirectional control anywhere (property)', () => {
    const breaking = fc.constantFrom('\n', '\r', '\r\n', '\t', '\u2028', '\u2029', '\u000b', '\u0085', '\u0000', '\u202e', '\u2066');
    fc.assert(
      fc.property(plainText, plainText, breaking, (before, after, c) => {
        expect(isOneLine(`${before}编号${after}`)).toBe(true);
        expect(isOneLine(`${before}编号${c}${after}`)).toBe(false);
      }),
    );
  });

  it('shows something, and holds no directional mark (LRM, RLM, ALM)', () => {
    for (const text of ['\u2800\u2800', '\u0301', '\u3000\u3000', '\u200e\u200f', 'A\u200e', '\u061c1'])
      expect(isOneLine(text)).toBe(false);
    expect(isOneLine('中国工商银行 合肥分行')).toBe(true);
  });
});

describe('visible characters', () => {
  it('counts code points that show: not white space, not zero-width or other default-ignorable ones', () => {
    expect(visibleCount('合肥微纳')).toBe(4);
    expect(visibleCount('🧪🔬')).toBe(2);
    expect(visibleCount('  \t\n\u3000')).toBe(0);
    expect(visibleCount('\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u180e')).toBe(0);
    expect(visibleCount(' A\u200b ')).toBe(1);
    // combining marks alone, the braille blank, private use, unassigned code points and noncharacters show nothing
    expect(visibleCount('\u0301\u0301\u2800\u2800\ue000\u0378\uffff\ufffe')).toBe(0);
    expect(visibleCount('e\u0301')).toBe(1);
  });

  it('does not change when invisible characters are added anywhere (property)', () => {
    const invisible = fc.constantFrom(' ', '\u3000', '\t', '\u00a0', '\u200b', '\u200d', '\u2060', '\ufeff', '\u00ad');
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.array(fc.tuple(fc.nat(), invisible), { maxLength: 5 }),
        (text, inserts) => {
          const chars = [...text];
          for (const [at, c] of inserts) chars.splice(at % (chars.length + 1), 0, c);
          expect(visibleCount(chars.join(''))).toBe(visibleCount(text));
        },
      ),
    );
  });
});

describe('prototype keys', () => {
  it('names the path of the first __proto__ or constructor key, at any depth', () => {
    expect(prototypeKey(JSON.parse('{"a":1,"__proto__":{"x":1}}'))).toBe('__proto__');
    expect(prototypeKey(JSON.parse('{"organization":{"constructor":{"prototype":{}}}}'))).toBe('organization.constructor');
    expect(prototypeKey(JSON.parse('{"rows":[{"ok":1},{"__proto__":null}]}'))).toBe('rows.1.__proto__');
    expect(prototypeKey({ name: '__proto__', proto: 'constructor' })).toBeNull();
  });
});

describe('integers in a query', () => {
  it('are decimal digits, with a minus sign at most; any other text stays text for IsInt to refuse', () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => expect(decimalInteger(String(n))).toBe(n)));
    for (const text of ['0x10', '1e3', ' 7', '7 ', '', '+7', '1.0', '0b11', '0o17', 'Infinity', 'NaN', '１６', '٣'])
      expect(decimalInteger(text)).toBe(text);
    expect(decimalInteger(['1', '2'])).toEqual(['1', '2']);
    expect(decimalInteger(5)).toBe(5);
  });
});

describe('CSV rows', () => {
  /** A cell as Excel quotes it: any text, with commas, doubled quotes and line breaks inside. */
  const cell = fc.string({ unit: fc.constantFrom('a', '中', ',', '"', '\n', '\r\n', ' '), maxLength: 8 }).map((s) => s.trim());
  const quoted = (s: string) => `"${s.replace(/"/g, '""')}"`;

  it('are named by the physical line they start on, past blank lines and cells of many lines, CRLF or LF (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(cell, cell, fc.constantFrom('', '   ', '\t'), fc.nat({ max: 2 })), { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        (rows, eol) => {
          const parts = ['a,b'];
          const expected: { line: number; cells: Record<string, string> }[] = [];
          let line = 1;
          for (const [a, b, blank, blanks] of rows) {
            for (let i = 0; i < blanks; i++) parts.push(blank);
            line += blanks + 1;
            const record = `${quoted(a)},${quoted(b)}`;
            expected.push({ line, cells: { a: a.replace(/\r\n/g, '\n'), b: b.replace(/\r\n/g, '\n') } });
            line += (record.match(/\r\n|\n/g) ?? []).length;
            parts.push(record);
          }
          expect(csvRecords(parts.join(eol) + eol, ['a', 'b'])).toEqual(expected);
        },
      ),
    );
  });

  it('keep the header as line 1 after a BOM, and leave out the cells a short row does not have', () => {
    expect(csvRecords('\uFEFFa,b\r\n\r\n1\r\n2,3', ['a'])).toEqual([
      { line: 3, cells: { a: '1' } },
      { line: 4, cells: { a: '2', b: '3' } },
    ]);
  });

  it('refuse a row with more cells than the header names, by its line', () => {
    expect(() => csvRecords('\uFEFFa,b\r\n\r\n1\r\n2,3,4', ['a'])).toThrow('line 4: 3 cells, but the header names 2 columns');
    // Empty cells past the header are a spreadsheet's padding, not data.
    expect(csvRecords('a,b\r\n1,2,,\r\n', ['a'])).toEqual([{ line: 2, cells: { a: '1', b: '2' } }]);
  });
});

describe('the request log', () => {
  it('writes a placeholder for a calendar feed’s token, and other paths as they are', () => {
    expect(loggedPath('/api/calendar/3q2-7wAbC_x.ics')).toBe('/api/calendar/<token>.ics');
    expect(loggedPath('/api/calendar/3q2-7wAbC_x')).toBe('/api/calendar/<token>');
    expect(loggedPath('/api/calendar/feed')).toBe('/api/calendar/feed');
    expect(loggedPath('/api/facilities/3f1c/calendar')).toBe('/api/facilities/3f1c/calendar');
    // mangled paths, which the router refuses, still hide what could be a token
    expect(loggedPath('/api//calendar/3q2-7wAbC_x.ics')).toBe('/api//calendar/<token>.ics');
    expect(loggedPath('/api/calendar/3q2-7wAbC_x.ics/x')).toBe('/api/calendar/<token>');
    expect(loggedPath('/api/calendar/./3q2-7wAbC_x.ics')).toBe('/api/calendar/<token>.ics');
  });

  it('writes a placeholder for a voucher’s verification code, on the page and in the API', () => {
    expect(loggedPath('/verify/Qm9vay1wYXNzLTI3X2FiY2Q')).toBe('/verify/<code>');
    expect(loggedPath('/verify/Qm9vay1wYXNzLTI3X2FiY2Q/')).toBe('/verify/<code>');
    expect(loggedPath('/api/vouchers/verify/Qm9vay1wYXNzLTI3X2FiY2Q')).toBe('/api/vouchers/verify/<code>');
    expect(loggedPath('/verify')).toBe('/verify');
    expect(loggedPath('/api/vouchers/3f1c')).toBe('/api/vouchers/3f1c');
  });
});
