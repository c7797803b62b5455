import { expectSafe, PROTO_NAMES, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('forms-urlencoded');
});
afterAll(async () => {
  await h.stop();
});

const EMAIL = 'email=jane%40example.com';
const form = (name: string, body: string | Buffer, status?: number | number[], headers: Array<[string, string]> = [], path = '/v1/forms/open'): HostileCase => ({
  name,
  status,
  request: { method: 'POST', path, headers: [...(headers.some(([n]) => n === 'Content-Type') ? [] : [['Content-Type', 'application/x-www-form-urlencoded'] as [string, string]]), ...headers], body },
});

describe('urlencoded bodies', () => {
  const cases: HostileCase[] = [
    form('a plain post', `${EMAIL}&name=Jane+Doe`, 202),
    form('bracket nesting is a flat field name', `${EMAIL}&a[b][c]=x`, 202),
    form('deep bracket nesting', `${EMAIL}&${'a'}${'[b]'.repeat(500)}=x`, [202, 422]),
    form('array brackets', `${EMAIL}&a[]=1&a[]=2`, 202),
    form('__proto__ in brackets', `${EMAIL}&__proto__[polluted]=yes`, 202),
    form('constructor.prototype in brackets', `${EMAIL}&constructor[prototype][polluted]=yes`, 202),
    form('a field repeated 50 times', `${EMAIL}${'&tag=x'.repeat(50)}`, 202),
    form('101 parameters', `${EMAIL}${Array.from({ length: 100 }, (_, i) => `&f${i}=x`).join('')}`, 413),
    form('a bare percent sign', `${EMAIL}&name=100%`, [202, 400]),
    form('a truncated escape', `${EMAIL}&name=%E0%A4%A`, [202, 400]),
    form('an escaped invalid UTF-8 byte', `${EMAIL}&name=%C3%28%FF`, [202, 400]),
    form('raw invalid UTF-8 bytes', Buffer.concat([Buffer.from(`${EMAIL}&name=`), Buffer.from([0xc3, 0x28, 0xff])]), [202, 400]),
    form('an escaped NUL in a field name', `${EMAIL}&a%00b=x`, 422),
    form('escaped CRLF in a value', `${EMAIL}&message=a%0D%0Ab`, 202),
    form('escaped CRLF in a field name', `${EMAIL}&a%0D%0Ab=x`, 422),
    form('a name without a value', `${EMAIL}&flag`, 202),
    form('a value without a name', `${EMAIL}&=x`, [202, 422]),
    form('only separators', '&&&&===&&', 422),
    form('an empty body', '', 422),
    form('a body over the limit', `${EMAIL}&message=${'m'.repeat(17_000)}`, 413),
    form('a charset the server does not know', EMAIL, 415, [['Content-Type', 'application/x-www-form-urlencoded; charset=x-unknown']]),
    form('a UTF-16 charset', EMAIL, 422, [['Content-Type', 'application/x-www-form-urlencoded; charset=utf-16']]),
    form('a Latin-1 charset', `${EMAIL}&name=Ren%E9`, [202, 415], [['Content-Type', 'application/x-www-form-urlencoded; charset=iso-8859-1']]),
    form('an email that is two', 'email=a%40x.de%2Cb%40y.de', 422),
    form('the same email twice', `${EMAIL}&${EMAIL}`, [202, 422]),
    form('a plain HTML post that fails validation, no error page configured', 'email=nope', 422, [['Accept', 'text/html']]),
    form('a plain HTML post that is accepted redirects to thanks', EMAIL, 303, [['Accept', 'text/html']]),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });

  it.each(PROTO_NAMES.map((name) => ({ name })))('field $name keeps its value (finding 17)', async ({ name }) => {
    const answer = await expectSafe(h, form(name, `${EMAIL}&${encodeURIComponent(name)}=value+of+it`, 202));
    const lead = await h.lead((JSON.parse(answer.body) as { id: string }).id);
    expect(lead.extras).toContainEqual({ label: name.replace(/[_-]+/g, ' ').trim(), value: 'value of it' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('content types', () => {
  const body = JSON.stringify({ email: 'jane@example.com' });
  const typed = (name: string, type: string | undefined, status: number | number[], extra: Array<[string, string]> = []): HostileCase => ({
    name,
    status,
    request: { method: 'POST', path: '/v1/forms/open', headers: [...(type === undefined ? [] : ([['Content-Type', type]] as Array<[string, string]>)), ...extra], body },
  });
  const cases: HostileCase[] = [
    typed('no content type', undefined, 415),
    typed('an empty content type', '', 415),
    typed('application/xml', 'application/xml', 415),
    typed('application/octet-stream', 'application/octet-stream', 415),
    typed('a JSON suffix type', 'application/vnd.api+json', 202),
    typed('JSON with charset utf-8', 'application/json; charset=utf-8', 202),
    typed('JSON with charset utf-16', 'application/json; charset=utf-16', [400, 415]),
    typed('JSON with a made-up charset', 'application/json; charset=klingon', 415),
    typed('upper-case JSON type', 'APPLICATION/JSON', 202),
    typed('a content type with junk parameters', 'application/json; ;;; a', [202, 400, 415]),
    typed('a content type with a CR-free newline', 'application/json\tx', [202, 400, 415]),
    typed('text/plain holding JSON (sendBeacon)', 'text/plain;charset=UTF-8', 202),
    typed('text/html', 'text/html', 415),
    typed('JSON sent as urlencoded', 'application/x-www-form-urlencoded', 422),
    typed('two content types', 'application/json', [202, 400, 415], [['Content-Type', 'text/html']]),
    typed('a content type of 2,000 characters', `application/json; x=${'y'.repeat(2000)}`, [202, 400, 415]),
    { name: 'text/plain that is not JSON', status: 400, error: 'malformed_json', request: { method: 'POST', path: '/v1/forms/open', headers: [['Content-Type', 'text/plain']], body: 'email=jane' } },
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});
