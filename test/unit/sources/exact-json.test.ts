import { idString, parseJsonExact } from '../../../src/sources/shared/exact-json';

describe('parseJsonExact: int64 ids keep every digit', () => {
  it('returns integers beyond 2^53 as their exact digit strings', () => {
    const parsed = parseJsonExact('{"id": 9223372036854775807, "neg": -9007199254740993}') as Record<string, unknown>;
    expect(parsed).toEqual({ id: '9223372036854775807', neg: '-9007199254740993' });
    // What JSON.parse would have done:
    expect(String((JSON.parse('{"id": 9223372036854775807}') as { id: number }).id)).toBe('9223372036854776000');
  });

  it('leaves safe integers, fractions, exponents, strings and keys alone', () => {
    const text = '{"a": 991214827, "b": 1.5, "c": 12345678901234567890.5, "d": 1e21, "e": "9223372036854775807", "f": [0, -1, true, null]}';
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
  });

  it('does not mistake digits inside strings (with escaped quotes) for numbers', () => {
    const text = '{"s": "a \\" 92233720368547758070 \\\\", "n": 92233720368547758070}';
    expect(parseJsonExact(text)).toEqual({ s: 'a " 92233720368547758070 \\', n: '92233720368547758070' });
  });

  it('still rejects invalid JSON, including a big number where a key belongs', () => {
    expect(() => parseJsonExact('{12345678901234567890: 1}')).toThrow(SyntaxError);
    expect(() => parseJsonExact('{"a": 012345678901234567890}')).toThrow(SyntaxError);
    expect(() => parseJsonExact('{"a": 1,}')).toThrow(SyntaxError);
  });

  it('idString accepts safe numbers and digit strings only', () => {
    expect(idString(991214827)).toBe('991214827');
    expect(idString('1234567890123456789')).toBe('1234567890123456789');
    expect(idString(1.5)).toBeUndefined();
    expect(idString(1.2345678901234567e18)).toBeUndefined();
    expect(idString('12/../me')).toBeUndefined();
  });
});
