import { buildConfig } from '../../src/config/load-config';
import { expectSafe, PARTNER, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';
import { rawHttp, stalledHttp } from './raw-http';

// Short limits so slow sockets are given up on within the test; the defaults are checked below.
const LIMITS = { requestTimeoutMs: 3000, headersTimeoutMs: 2000 };
/** Node looks for expired requests once a second; the rest is a loaded 2-core machine. */
const SLACK_MS = 4000;

let h: HostileStack;
beforeAll(async () => {
  h = await startHostileStack('malformed-http', LIMITS);
});
afterAll(async () => {
  await h.stop();
});

describe('request and header timeouts (finding 20)', () => {
  it('are 15 s for a request and 10 s for headers unless configured', () => {
    const config = buildConfig({ redis: { url: 'redis://127.0.0.1:6379' }, destinations: { main: { webhookUrl: 'https://x.bitrix24.com/rest/1/abc/' } }, forms: {} }, {});
    expect(config.http).toMatchObject({ requestTimeoutMs: 15_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5000 });
  });

  it('refuses headers that take longer than the request', () => {
    expect(() =>
      buildConfig({ redis: { url: 'redis://127.0.0.1:6379' }, http: { requestTimeoutMs: 5000, headersTimeoutMs: 9000 }, destinations: { main: { webhookUrl: 'https://x.bitrix24.com/rest/1/abc/' } }, forms: {} }, {}),
    ).toThrow(/headersTimeoutMs/);
  });

  it('the server uses the configured limits', () => {
    expect(h.stack.api.server.requestTimeout).toBe(LIMITS.requestTimeoutMs);
    expect(h.stack.api.server.headersTimeout).toBe(LIMITS.headersTimeoutMs);
  });

  const slow: Array<{ name: string; head: string; limit: number }> = [
    { name: 'headers that never finish', head: 'POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n', limit: LIMITS.headersTimeoutMs },
    { name: 'a connection that sends nothing', head: '', limit: LIMITS.headersTimeoutMs },
    { name: 'half a request line', head: 'POST /v1/forms/op', limit: LIMITS.headersTimeoutMs },
    { name: 'a form body that never arrives', head: 'POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"email":', limit: LIMITS.requestTimeoutMs },
    { name: 'a multipart body that never ends', head: 'POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 9000\r\n\r\n--b\r\nContent-Disposition: form-data; name="email"\r\n\r\nj', limit: LIMITS.requestTimeoutMs },
    { name: 'a chunked body without its last chunk', head: `POST /v1/partners/leads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PARTNER.key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n`, limit: LIMITS.requestTimeoutMs },
    { name: 'a Meta webhook body that stops', head: 'POST /v1/webhooks/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"object"', limit: LIMITS.requestTimeoutMs },
    { name: 'a Google webhook body that stops', head: 'POST /v1/webhooks/google HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"lead_id"', limit: LIMITS.requestTimeoutMs },
  ];
  it('gives up on every stalled socket within its limit, with a 408 where an answer can still be written', async () => {
    const before = await h.jobCount();
    const answers = await Promise.all(slow.map((s) => stalledHttp(h.port, s.head, s.limit + SLACK_MS + 5000)));
    answers.forEach((answer, i) => {
      const { name, limit } = slow[i]!;
      expect({ name, inTime: answer.ms < limit + SLACK_MS }).toEqual({ name, inTime: true });
      expect({ name, closedOr408: [0, 408].includes(answer.status) }).toEqual({ name, closedOr408: true });
      if (answer.status === 408) expect(JSON.parse(answer.body)).toMatchObject({ error: 'request_timeout' });
    });
    expect(await h.jobCount()).toBe(before);
  });
});

describe('bytes that are not HTTP get a JSON 4xx or a closed socket', () => {
  const raw = (name: string, bytes: string | Buffer, status: number | number[] = [400, 431]): HostileCase => ({ name, status, request: { path: '', raw: bytes } });
  const cases: HostileCase[] = [
    raw('a request line with no version', 'GET /healthz\r\n\r\n', [200, 400]),
    raw('HTTP/2 preface over HTTP/1', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    raw('a header without a colon', 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n'),
    raw('a NUL in a header value', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'),
    raw('a bare CR in a header', 'GET /healthz HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n'),
    raw('a space before the colon', 'GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n'),
    raw('a 20 KB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431),
    raw('a 20 KB URL', `GET /healthz?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431),
    raw('Content-Length and Transfer-Encoding together', 'POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    raw('two different Content-Lengths', 'POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef'),
    raw('a negative Content-Length', 'POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'),
    raw('a Content-Length of letters', 'POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'),
    raw('a bad chunk size', 'POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'),
    raw('an unknown transfer encoding', 'POST /v1/forms/open HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', [400, 415]),
    raw('an unknown method', 'BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
    raw('HTTP/1.1 without a Host', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', [200, 400]),
    raw('random binary', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a])),
    raw('CRLF injection in the URL', 'GET /healthz\r\nX-Injected: 1 HTTP/1.1\r\nHost: x\r\n\r\n', [200, 400]),
    raw('a header name with a space', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n'),
    raw('obsolete line folding', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n', [200, 400]),
  ];
  it.each(cases)('$name', async (c) => {
    await expectSafe(h, c, { mayClose: true });
  });

  it('a body after a request that needs none is not read as a second request', async () => {
    const answer = await rawHttp(h.port, { path: '', raw: 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 24\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n' });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('"status":"ok"');
  });
});
