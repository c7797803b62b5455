import { expectSafe, PROTO_NAMES, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('multipart');
});
afterAll(async () => {
  await h.stop();
});

const B = 'hostileBoundary42';
const field = (name: string, value: string): string => `--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const file = (name: string, filename: string, content: string): string =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n`;
const END = `--${B}--\r\n`;
const CONTACT = field('email', 'jane@example.com');

function multipart(name: string, body: string | Buffer, status?: number | number[], extra: { error?: string; type?: string } = {}): HostileCase {
  return {
    name,
    status,
    error: extra.error,
    request: { method: 'POST', path: '/v1/forms/open', headers: [['Content-Type', extra.type ?? `multipart/form-data; boundary=${B}`]], body },
  };
}

describe('multipart part headers that are not what busboy expects are answered 400 at once (finding 11)', () => {
  const cases: HostileCase[] = [
    multipart('NUL in a field name', `${CONTACT}--${B}\r\nContent-Disposition: form-data; name="a\u0000b"\r\n\r\nx\r\n${END}`, [202, 400]),
    multipart('header line without a colon', `${CONTACT}--${B}\r\nContent-Disposition form-data name="x"\r\n\r\nx\r\n${END}`, 400, { error: 'malformed_body' }),
    multipart('a 20 KB part header', `${CONTACT}--${B}\r\nContent-Disposition: form-data; name="x"\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\nx\r\n${END}`, [400, 413]),
    multipart('a part header of 300 short lines', `${CONTACT}--${B}\r\n${'X-A: b\r\n'.repeat(300)}Content-Disposition: form-data; name="x"\r\n\r\nx\r\n${END}`, [202, 400, 413]),
    multipart('a header line that is only a colon', `${CONTACT}--${B}\r\n:\r\n\r\nx\r\n${END}`, [202, 400]),
    multipart('a bare LF instead of CRLF in the part header', `${CONTACT}--${B}\nContent-Disposition: form-data; name="x"\n\nx\r\n${END}`, [202, 400, 422]),
    multipart('no closing boundary', `${CONTACT}${field('name', 'Jane')}`, 400, { error: 'malformed_body' }),
    multipart('cut off inside a part header', `${CONTACT}--${B}\r\nContent-Disposition: form-da`, 400, { error: 'malformed_body' }),
    multipart('cut off inside a value', `${CONTACT}--${B}\r\nContent-Disposition: form-data; name="x"\r\n\r\nhalf a val`, 400, { error: 'malformed_body' }),
    multipart('a NUL byte in the header block', `${CONTACT}--${B}\r\nContent-Disposition: form-data;\u0000 name="x"\r\n\r\nx\r\n${END}`, [202, 400]),
    multipart('invalid UTF-8 in the part header', Buffer.concat([Buffer.from(`${CONTACT}--${B}\r\nContent-Disposition: form-data; name="`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(`"\r\n\r\nx\r\n${END}`)]), [202, 400]),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('multipart framing and content types', () => {
  const cases: HostileCase[] = [
    multipart('a valid multipart post', `${CONTACT}${field('name', 'Jane Doe')}${END}`, 202),
    multipart('no boundary parameter', `${CONTACT}${END}`, 400, { type: 'multipart/form-data', error: 'malformed_body' }),
    multipart('an empty boundary', `${CONTACT}${END}`, 400, { type: 'multipart/form-data; boundary=' }),
    multipart('a quoted boundary', `${CONTACT}${END}`, 202, { type: `multipart/form-data; boundary="${B}"` }),
    multipart('a boundary that never appears', `--other\r\n\r\n`, [400, 422], {}),
    multipart('an empty body', '', [400, 422]),
    multipart('only the closing boundary', END, 422, { error: 'validation_failed' }),
    multipart('preamble and epilogue around the parts', `some preamble\r\n${CONTACT}${END}trailing epilogue`, 202),
    multipart('a 200-character boundary', `--${'b'.repeat(200)}\r\n`, [400, 422], { type: `multipart/form-data; boundary=${'b'.repeat(200)}` }),
    multipart('multipart/mixed is not a form post', `${CONTACT}${END}`, 415, { type: `multipart/mixed; boundary=${B}` }),
    multipart('a part without Content-Disposition', `${CONTACT}--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n${END}`, [202, 400]),
    multipart('a part without a name', `${CONTACT}--${B}\r\nContent-Disposition: form-data\r\n\r\nx\r\n${END}`, [202, 400]),
    multipart('101 fields', `${CONTACT}${Array.from({ length: 101 }, (_, i) => field(`f${i}`, 'x')).join('')}${END}`, 413, { error: 'payload_too_large' }),
    multipart('one value larger than the body limit', `${CONTACT}${field('message', 'x'.repeat(17_000))}${END}`, 413),
    multipart('the same field twice', `${CONTACT}${field('name', 'Jane')}${field('name', 'Doe')}${END}`, 202),
    multipart('a CRLF inside a value', `${CONTACT}${field('message', 'line one\r\nline two')}${END}`, 202),
    multipart('a value that looks like a boundary', `${CONTACT}${field('message', `--${B.slice(0, -1)}`)}${END}`, 202),
    multipart('a field named with a path', `${CONTACT}${field('../../etc/passwd', 'x')}${END}`, 202),
    multipart('an email that is not one', `${field('email', 'not an email')}${END}`, 422, { error: 'validation_failed' }),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('file parts (finding 19)', () => {
  const cases: HostileCase[] = [
    multipart('an untouched optional file input is ignored', `${CONTACT}${file('cv', '', '')}${END}`, 202),
    multipart('two untouched file inputs are ignored', `${CONTACT}${file('cv', '', '')}${file('photo', '', '')}${END}`, 202),
    multipart('a file with a name and content is refused', `${CONTACT}${file('cv', 'cv.pdf', '%PDF-1.4')}${END}`, 400, { error: 'file_upload_not_supported' }),
    multipart('a file with content but no filename is refused', `${CONTACT}${file('cv', '', 'data')}${END}`, 400, { error: 'file_upload_not_supported' }),
    multipart('a named but empty file is refused', `${CONTACT}${file('cv', 'empty.txt', '')}${END}`, 400, { error: 'file_upload_not_supported' }),
    multipart('a file named with a path', `${CONTACT}${file('cv', '../../../etc/passwd', 'x')}${END}`, 400, { error: 'file_upload_not_supported' }),
    multipart('a 15 KB file', `${CONTACT}${file('cv', 'big.bin', 'z'.repeat(15_000))}${END}`, [400, 413]),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });

  it('the lead with an untouched file input keeps its other fields', async () => {
    const answer = await expectSafe(h, multipart('untouched file + name', `${CONTACT}${field('name', 'Jane Doe')}${file('cv', '', '')}${END}`, 202));
    const lead = await h.lead((JSON.parse(answer.body) as { id: string }).id);
    expect(lead.fields.NAME).toBe('Jane');
    expect(lead.extras).toEqual([]);
  });
});

describe('multipart fields named like Object.prototype members keep their values (finding 17)', () => {
  it.each(PROTO_NAMES.map((name) => ({ name })))('$name', async ({ name }) => {
    const answer = await expectSafe(h, multipart(`field ${name}`, `${CONTACT}${field(name, `value of ${name}`)}${END}`, 202));
    const lead = await h.lead((JSON.parse(answer.body) as { id: string }).id);
    expect(lead.extras).toContainEqual({ label: name.replace(/[_-]+/g, ' ').trim(), value: `value of ${name}` });
  });
});
