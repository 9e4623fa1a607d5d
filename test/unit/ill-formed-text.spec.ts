import fc from 'fast-check';
import { illFormedText } from '../../src/common/http/validation';

describe('illFormedText', () => {
  it('names the path of the first lone surrogate, in a value or a key', () => {
    expect(illFormedText({ evidence: { invoiceNo: '31\ud800' } })).toBe('evidence.invoiceNo');
    expect(illFormedText({ relatedCreditCodes: ['913', '\udc00'] })).toBe('relatedCreditCodes.1');
    expect(illFormedText({ a: { ['k\ud800']: 1 } })).toBe('a');
    expect(illFormedText('\ud83d')).toBe('body');
  });

  it('passes any well-formed input, emoji and Chinese included (property)', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 3, stringUnit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (json, text) => {
        expect(illFormedText({ parsed: JSON.parse(json) as unknown, text, emoji: '🧪长三角' })).toBeNull();
      }),
    );
  });
});
