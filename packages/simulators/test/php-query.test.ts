import { parsePhpQuery, phpTruthy, phpIntval } from '../src/bitrix24/php-query';

describe('PHP bracket query parsing (parse_str semantics Bitrix24 applies to form bodies and batch commands)', () => {
  it('builds nested arrays from bracket keys and turns 0..n-1 keys into lists', () => {
    const parsed = parsePhpQuery(
      'fields[TITLE]=My%20company&fields[PHONE][0][VALUE]=112233&fields[PHONE][0][VALUE_TYPE]=WORK' +
        '&fields[PHONE][1][VALUE]=555888112&fields[PHONE][1][VALUE_TYPE]=OTHER',
    );
    expect(parsed).toEqual({
      fields: {
        TITLE: 'My company',
        PHONE: [
          { VALUE: '112233', VALUE_TYPE: 'WORK' },
          { VALUE: '555888112', VALUE_TYPE: 'OTHER' },
        ],
      },
    });
  });

  it('appends with [] after the highest integer key', () => {
    expect(parsePhpQuery('select[]=ID&select[]=TITLE')).toEqual({ select: ['ID', 'TITLE'] });
    expect(parsePhpQuery('a[5]=x&a[]=y')).toEqual({ a: { 5: 'x', 6: 'y' } });
    expect(parsePhpQuery('a[k]=x&a[]=y')).toEqual({ a: { k: 'x', 0: 'y' } });
  });

  it('decodes + as space, %26 as a literal ampersand, and keeps malformed escapes', () => {
    expect(parsePhpQuery('fields[TITLE]=John%26Martin+Ltd')).toEqual({ fields: { TITLE: 'John&Martin Ltd' } });
    expect(parsePhpQuery('q=100%+sure')).toEqual({ q: '100% sure' });
  });

  it('follows PHP name mangling: dots and spaces in the base name become _, text after ] is dropped', () => {
    expect(parsePhpQuery('a.b=1&c d=2')).toEqual({ a_b: '1', c_d: '2' });
    expect(parsePhpQuery('a[b]junk=1')).toEqual({ a: { b: '1' } });
    expect(parsePhpQuery('a[b=1')).toEqual({ a_b: '1' });
  });

  it('lets later keys override earlier ones and ignores empty names', () => {
    expect(parsePhpQuery('x=1&x=2&=3&&y')).toEqual({ x: '2', y: '' });
    expect(parsePhpQuery('x=1&x[a]=2')).toEqual({ x: { a: '2' } });
  });

  it('treats __proto__ as data, never as a prototype write', () => {
    const parsed = parsePhpQuery('__proto__[polluted]=yes');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(parsed)).toEqual(['__proto__']);
  });

  it('casts to bool like PHP: "0", "", 0, null and [] are false; "false" is true', () => {
    for (const falsy of ['0', '', 0, null, undefined, false, []]) expect(phpTruthy(falsy)).toBe(false);
    for (const truthy of ['1', 'false', 'N', 1, true, ['x'], { a: 1 }]) expect(phpTruthy(truthy)).toBe(true);
  });

  it('intval()s like PHP', () => {
    expect(phpIntval('12abc')).toBe(12);
    expect(phpIntval('abc')).toBe(0);
    expect(phpIntval(7.9)).toBe(7);
  });
});
