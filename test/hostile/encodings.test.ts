import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { expectSafe, GOOGLE_KEY, partnerAuth, signedMeta, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('encodings');
});
afterAll(async () => {
  await h.stop();
});

const FORM = Buffer.from(JSON.stringify({ email: 'jane@example.com' }));
const PARTNER_LEAD = Buffer.from(JSON.stringify({ contact: { email: 'jane@example.com' } }));
const GOOGLE_LEAD = Buffer.from(JSON.stringify({ lead_id: 'enc-1', google_key: GOOGLE_KEY, user_column_data: [{ column_id: 'EMAIL', string_value: 'jane@example.com' }] }));
/** 20 MB of zeros: about 20 KB gzipped, so only the decompressed size can be held to the limit. */
const BOMB = gzipSync(Buffer.alloc(20 * 1024 * 1024));
const corrupt = (b: Buffer): Buffer => Buffer.concat([b.subarray(0, 10), Buffer.from('not deflate data at all'), b.subarray(10)]);

const endpoints: Array<{ name: string; path: string; body: Buffer; headers: Array<[string, string]>; ok: number }> = [
  { name: 'form JSON', path: '/v1/forms/open', body: FORM, headers: [['Content-Type', 'application/json']], ok: 202 },
  { name: 'form urlencoded', path: '/v1/forms/open', body: Buffer.from('email=jane%40example.com'), headers: [['Content-Type', 'application/x-www-form-urlencoded']], ok: 202 },
  { name: 'form sendBeacon text', path: '/v1/forms/open', body: FORM, headers: [['Content-Type', 'text/plain']], ok: 202 },
  { name: 'partner lead', path: '/v1/partners/leads', body: PARTNER_LEAD, headers: [['Content-Type', 'application/json'], partnerAuth()], ok: 202 },
  { name: 'Google webhook', path: '/v1/webhooks/google', body: GOOGLE_LEAD, headers: [['Content-Type', 'application/json']], ok: 200 },
];

function encoded(e: (typeof endpoints)[number], label: string, encoding: string, body: Buffer, status: number | number[], error?: string): HostileCase {
  return { name: `${e.name}: ${label}`, status, error, request: { method: 'POST', path: e.path, headers: [...e.headers, ['Content-Encoding', encoding]], body } };
}

describe('Content-Encoding on every body-reading endpoint (finding 13)', () => {
  const cases = endpoints.flatMap((e, i) => {
    // Each endpoint's accepted cases use their own body so the Google lead_id is new each time.
    const fresh = (n: number): Buffer => (e.path.includes('google') ? Buffer.from(e.body.toString().replace('enc-1', `enc-${i}-${n}`)) : e.body);
    return [
      encoded(e, 'gzip', 'gzip', gzipSync(fresh(1)), e.ok),
      encoded(e, 'deflate', 'deflate', deflateSync(fresh(2)), e.ok),
      encoded(e, 'br', 'br', brotliCompressSync(fresh(3)), e.ok),
      encoded(e, 'identity', 'identity', fresh(4), e.path.includes('google') ? [200] : e.ok),
      encoded(e, 'corrupt gzip', 'gzip', corrupt(gzipSync(e.body)), 400, 'malformed_body'),
      encoded(e, 'gzip header, plain body', 'gzip', e.body, 400, 'malformed_body'),
      encoded(e, 'truncated gzip', 'gzip', gzipSync(e.body).subarray(0, 15), 400),
      encoded(e, 'a gzip bomb (20 MB of zeros)', 'gzip', BOMB, 413, 'payload_too_large'),
      encoded(e, 'compress (unsupported)', 'compress', e.body, 415, 'unsupported_encoding'),
      encoded(e, 'zstd (unsupported)', 'zstd', e.body, 415),
      encoded(e, 'two encodings', 'gzip, gzip', gzipSync(gzipSync(e.body)), [400, 415]),
    ];
  });
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});

describe('Content-Encoding on multipart and on a signed Meta body', () => {
  const B = 'encB';
  const multipart = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="email"\r\n\r\njane@example.com\r\n--${B}--\r\n`);
  const cases: HostileCase[] = [
    { name: 'gzip on multipart', status: 415, error: 'unsupported_encoding', request: { method: 'POST', path: '/v1/forms/open', headers: [['Content-Type', `multipart/form-data; boundary=${B}`], ['Content-Encoding', 'gzip']], body: gzipSync(multipart) } },
    { name: 'a bomb on multipart', status: 415, request: { method: 'POST', path: '/v1/forms/open', headers: [['Content-Type', `multipart/form-data; boundary=${B}`], ['Content-Encoding', 'gzip']], body: BOMB } },
    { name: 'a gzip bomb to Meta, signed over its bytes', status: 413, request: { ...signedMeta(BOMB), headers: [...signedMeta(BOMB).headers!, ['Content-Encoding', 'gzip']] } },
    { name: 'corrupt gzip to Meta', status: [400, 403], request: { ...signedMeta(corrupt(gzipSync('{}'))), headers: [...signedMeta(corrupt(gzipSync('{}'))).headers!, ['Content-Encoding', 'gzip']] } },
    { name: 'an unsupported encoding to Meta', status: 415, request: { ...signedMeta('{}'), headers: [...signedMeta('{}').headers!, ['Content-Encoding', 'compress']] } },
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c);
  });
});
