import { idString, MAX_EXACT_JSON_DEPTH, parseJsonExact } from '../../../src/sources/shared/exact-json';

const deepArray = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepObject = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('parseJsonExact: int64 ids keep every digit', () => {
  it('returns integers beyond 2^53 as their exact digit strings', () => {
    const parsed = parseJsonExact('{"id": 9223372036854775807, "neg": -9007199254740993, "edge": 9007199254740992}');
    expect(parsed).toEqual({ id: '9223372036854775807', neg: '-9007199254740993', edge: '9007199254740992' });
    // What JSON.parse would have done:
    expect(String((JSON.parse('{"id": 9223372036854775807}') as { id: number }).id)).toBe('9223372036854776000');
  });

  it('reads a Google lead with a 19-digit campaign id as numbers, as Google sends it', () => {
    const parsed = parseJsonExact('{"lead_id":"g-1","form_id":18698608977,"campaign_id":1234567890123456789,"user_column_data":[]}');
    expect(parsed).toEqual({ lead_id: 'g-1', form_id: 18698608977, campaign_id: '1234567890123456789', user_column_data: [] });
  });

  it('leaves safe integers, fractions, exponents, strings and keys alone', () => {
    const text = '{"a": 991214827, "b": 1.5, "c": 12345678901234567890.5, "d": 1e21, "e": "9223372036854775807", "f": [0, -1, true, null], "g": -0, "h": 9007199254740991}';
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
    expect(Object.is((parseJsonExact('[-0]') as number[])[0], -0)).toBe(true);
  });

  it('does not mistake digits inside strings (with escaped quotes) for numbers', () => {
    const text = '{"s": "a \\" 92233720368547758070 \\\\", "n": 92233720368547758070}';
    expect(parseJsonExact(text)).toEqual({ s: 'a " 92233720368547758070 \\', n: '92233720368547758070' });
  });

  it('reads numbers too large for a double as JSON.parse does, integers excepted', () => {
    expect(parseJsonExact('{"a": 1e400, "b": -1e400, "c": 1e-400}')).toEqual({ a: Infinity, b: -Infinity, c: 0 });
    const digits = '9'.repeat(5000);
    expect(parseJsonExact(`[${digits}]`)).toEqual([digits]);
  });

  it('reads escapes and lone surrogates as JSON.parse does', () => {
    const text = '["\\u00e9\\n\\t\\/", "\\ud800", "\\ud83d\\ude00", "é"]';
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
  });

  it('still rejects invalid JSON, including a big number where a key belongs', () => {
    for (const text of ['{12345678901234567890: 1}', '{"a": 012345678901234567890}', '{"a": 1,}', '', '{"a":1} x', "{'a':1}", '[NaN]', '[.5]', '["a\u0001"]', '"\\x"', '{"a":1']) {
      expect(() => parseJsonExact(text)).toThrow(SyntaxError);
    }
  });

  it('reads text decoded from invalid UTF-8 (replacement characters) like any other string', () => {
    const text = Buffer.concat([Buffer.from('{"a":"x'), Buffer.from([0xff, 0xfe]), Buffer.from('y"}')]).toString('utf8');
    expect(parseJsonExact(text)).toEqual({ a: 'x\ufffd\ufffdy' });
  });
});

describe('parseJsonExact on hostile shapes', () => {
  it(`takes nesting up to ${MAX_EXACT_JSON_DEPTH} levels and refuses deeper with a SyntaxError`, () => {
    expect(() => parseJsonExact(deepArray(MAX_EXACT_JSON_DEPTH))).not.toThrow();
    expect(() => parseJsonExact(deepObject(MAX_EXACT_JSON_DEPTH))).not.toThrow();
    expect(() => parseJsonExact(deepArray(MAX_EXACT_JSON_DEPTH + 1))).toThrow(SyntaxError);
  });

  it.each([
    ['arrays', 100_000, deepArray],
    ['objects', 100_000, deepObject],
    ['unclosed arrays', 1_000_000, (n: number) => '['.repeat(n)],
  ])('refuses %s nested %i levels without overflowing the stack', (_shape, levels, build) => {
    expect(() => parseJsonExact(build(levels))).toThrow(new RegExp(`nested more than ${MAX_EXACT_JSON_DEPTH} levels`));
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const brackets = '['.repeat(1000);
    expect(parseJsonExact(`{"s":"${brackets}\\"${brackets}"}`)).toEqual({ s: `${brackets}"${brackets}` });
  });

  it('refuses a key repeated with another value, and keeps one repeated with the same value', () => {
    expect(() => parseJsonExact('{"lead_id":"a","lead_id":"b"}')).toThrow(SyntaxError);
    expect(parseJsonExact('{"object":"page","object":"page"}')).toEqual({ object: 'page' });
  });

  it('keeps __proto__ as an own data key, never as the prototype', () => {
    const parsed = parseJsonExact('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'constructor']);
    expect((parsed as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(parsed).toEqual(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'));
  });
});

describe('idString', () => {
  it('accepts safe numbers and digit strings only', () => {
    expect(idString(991214827)).toBe('991214827');
    expect(idString('1234567890123456789')).toBe('1234567890123456789');
    expect(idString(1.5)).toBeUndefined();
    expect(idString(1.2345678901234567e18)).toBeUndefined();
    expect(idString(Infinity)).toBeUndefined();
    expect(idString('12/../me')).toBeUndefined();
  });
});
