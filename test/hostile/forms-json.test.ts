import { expectSafe, json, nested, PROTO_NAMES, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('forms-json');
});
afterAll(async () => {
  await h.stop();
});

const post = (name: string, body: unknown, status?: number | number[], error?: string, headers: Array<[string, string]> = []): HostileCase => ({
  name,
  status,
  error,
  request: json('POST', '/v1/forms/open', body, headers),
});
const EMAIL = '"email":"jane@example.com"';

describe('JSON bodies that are not JSON', () => {
  const truncated = [`{${EMAIL}`, `{${EMAIL},`, `{"email":"jane@exa`, `{"email"`, '{', '[', '"', `{${EMAIL}}}`, `{${EMAIL}}]`, '{"a":tru}', '{"a":1.}', '{"a":01}', "{'a':1}", '{a:1}', '{"a":1,}', '{"a":NaN}', '{"a":Infinity}', '{"a":undefined}', '\u0000', '{"a":"\\x41"}', '{"a":"\\u12"}'];
  it.each(truncated.map((body) => post(`malformed ${JSON.stringify(body).slice(0, 40)}`, body, 400, 'malformed_json')))('$name', async (c) => {
    await expectSafe(h, c);
  });

  const notObjects = ['null', '[]', '"a string"', '1', 'true', '[{"email":"jane@example.com"}]'];
  it.each(notObjects.map((body) => post(`top-level ${body}`, body, [400, 422])))('$name', async (c) => {
    await expectSafe(h, c);
  });

  it.each([
    post('an empty body', '', [400, 422]),
    post('only whitespace', '   \r\n\t ', [400, 422]),
    post('a UTF-8 byte order mark before the object', `\ufeff{${EMAIL}}`, [202, 400]),
  ])('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('JSON shapes a form never sends', () => {
  const cases: HostileCase[] = [
    post('arrays nested 5,000 deep', `{${EMAIL},"x":${nested(5000, 'array')}}`, [400, 413, 422]),
    post('objects nested 2,000 deep', `{${EMAIL},"x":${nested(2000, 'object')}}`, [400, 413, 422]),
    post('an object value', { email: 'jane@example.com', x: { y: 'z' } }, 422, 'validation_failed'),
    post('an array of 51 strings', { email: 'jane@example.com', x: Array.from({ length: 51 }, () => 'a') }, 422),
    post('an array of 3,000 numbers', `{${EMAIL},"x":[${Array.from({ length: 3000 }, () => '1').join(',')}]}`, [413, 422]),
    post('an array of objects', { email: 'jane@example.com', x: [{}] }, 422),
    post('101 fields', Object.fromEntries([['email', 'jane@example.com'], ...Array.from({ length: 100 }, (_, i) => [`f${i}`, 'x'])]), 422),
    post('a field name of 101 characters', { email: 'jane@example.com', ['n'.repeat(101)]: 'x' }, 422),
    post('a value of 10,001 characters', { email: 'jane@example.com', message: 'm'.repeat(10_001) }, 422),
    post('a body over the 16 KB limit', { email: 'jane@example.com', message: 'm'.repeat(17_000) }, 413, 'payload_too_large'),
    post('null as a value', { email: 'jane@example.com', x: null }, 422),
    post('a field name with a control character', { email: 'jane@example.com', 'a\u0001b': 'x' }, 422),
    post('a field name with CRLF', { email: 'jane@example.com', 'a\r\nb': 'x' }, 422),
    post('an empty field name', { email: 'jane@example.com', '': 'x' }, [202, 422]),
    post('numbers and booleans as values', { email: 'jane@example.com', seats: 12, agree: true }, 202),
    post('a list of strings (repeated field)', { email: 'jane@example.com', topics: ['a', 'b'] }, 202),
    post('the same key twice (last one wins)', `{"email":"nobody","email":"jane@example.com"}`, 202),
    post('CRLF inside values', { email: 'jane@example.com', name: 'Jane\r\nDoe', message: 'a\r\n\r\nb' }, 202),
    post('a lone surrogate in a value', '{"email":"jane@example.com","name":"\\ud800"}', [202, 422]),
    post('invalid UTF-8 bytes in a value', Buffer.concat([Buffer.from(`{${EMAIL},"name":"`), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]), [202, 400, 422]),
    post('an email with CRLF and a header', { email: 'jane@example.com\r\nBcc: x@evil.test' }, 422),
    post('no contact at all', { name: 'Jane' }, 422, 'validation_failed'),
    post('a 1,000-digit number', `{${EMAIL},"n":${'9'.repeat(1000)}}`, [202, 422]),
    post('a number with a 400-digit exponent', `{${EMAIL},"n":1e${'9'.repeat(400)}}`, [202, 422]),
    post('a path as a field name', { email: 'jane@example.com', '../../etc/passwd': 'x' }, 202),
    post('a honeypot filled in', { email: 'jane@example.com', website: 'spam' }, 202),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('phones that hold nothing to call are not a contact (finding 15)', () => {
  const junk = ['-----', '.....', '(((((', '     -', '+', '00000', '1'.repeat(10_000).slice(0, 9_999), '12345678901234567890123456789', '+++++++', '/ / / / /'];
  it.each(junk.map((phone) => post(`phone ${JSON.stringify(phone).slice(0, 30)}`, { phone }, 422, 'validation_failed')))('$name', async (c) => {
    const answer = await expectSafe(h, c);
    expect(JSON.parse(answer.body)).toMatchObject({ details: [{ field: 'phone' }] });
  });

  it('a real phone with an email is still a lead', async () => {
    await expectSafe(h, post('real phone', { phone: '+49 30 1234567' }, 202));
  });
});

describe('JSON fields named like Object.prototype members keep their values (finding 17)', () => {
  it.each(PROTO_NAMES.map((name) => ({ name })))('$name', async ({ name }) => {
    const body = `{${EMAIL},${JSON.stringify(name)}:"value of ${name}"}`;
    const answer = await expectSafe(h, post(`field ${name}`, body, 202));
    const lead = await h.lead((JSON.parse(answer.body) as { id: string }).id);
    expect(lead.extras).toContainEqual({ label: name.replace(/[_-]+/g, ' ').trim(), value: `value of ${name}` });
  });

  it.each(['__proto__', 'constructor'])('%s holding an object is refused as not text', async (name) => {
    await expectSafe(h, post(`${name} object`, `{${EMAIL},"${name}":{"email":"x@evil.test","polluted":"yes"}}`, 422));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('prototype-named cookies and query parameters do not break UTM capture', async () => {
    const answer = await expectSafe(h, {
      name: 'proto cookies',
      status: 202,
      request: json('POST', '/v1/forms/open?__proto__=x&constructor=y&utm_source=q', { email: 'jane@example.com' }, [['Cookie', '__proto__=a; constructor=b; toString=c; utm_medium=cpc']]),
    });
    const lead = await h.lead((JSON.parse(answer.body) as { id: string }).id);
    expect(lead.utm).toEqual({ source: 'q', medium: 'cpc' });
  });
});

describe('a name with replacement patterns is written into TITLE literally (finding 18)', () => {
  const names = ['$&', "$'", '$`', '$$', '$1', '$<name>', 'Jane $& Doe', "O'Brien $'"];
  it.each(names.map((name) => ({ name })))('$name', async ({ name }) => {
    const answer = await expectSafe(h, post(`name ${name}`, { email: 'jane@example.com', first_name: name }, 202));
    const lead = await h.lead((JSON.parse(answer.body) as { id: string }).id);
    expect(lead.fields.TITLE).toBe(`Web form open: ${name}`);
  });
});
