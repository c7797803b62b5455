import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROVIDERS, providerAt, type CaptchaProviderName } from './captcha-providers';

/** What a token was solved as; the fake replies with it once. */
export interface IssuedToken {
  provider: CaptchaProviderName;
  hostname?: string;
  action?: string;
  /** reCAPTCHA v3 score; omitted: a v2 token (no score). */
  score?: number;
  /** hCaptcha: the sitekey the widget ran with. */
  siteKey?: string;
  /** Make the provider reject it with these codes instead (e.g. `invalid-input-response`). */
  errorCodes?: string[];
}

/** A fault for the next `count` verifications (default 1). */
export type CaptchaFault =
  | { kind: 'status'; status: number; count?: number }
  | { kind: 'delay'; ms: number; count?: number }
  | { kind: 'not-json'; count?: number }
  | { kind: 'drop'; count?: number };

/** One siteverify request as the fake saw it (the secret only as whether it matched). */
export interface CaptchaCall {
  provider: CaptchaProviderName;
  response: string;
  remoteip?: string;
  sitekey?: string;
  secretMatched: boolean;
  contentType: string;
}

export interface CaptchaSimulator {
  url: string;
  /** The siteverify URL of one provider on this fake. */
  verifyUrl(provider: CaptchaProviderName): string;
  /** The secret each provider's endpoint accepts. */
  secret(provider: CaptchaProviderName): string;
  /** A fresh single-use token, as a widget would hand the browser. */
  issueToken(token: IssuedToken): string;
  fault(fault: CaptchaFault): void;
  readonly calls: CaptchaCall[];
  reset(): void;
  close(): Promise<void>;
}

export interface CaptchaSimulatorOptions {
  port?: number;
  host?: string;
  /** Secrets per provider; default: the providers' published test secrets. */
  secrets?: Partial<Record<CaptchaProviderName, string>>;
}

const MAX_BODY = 64 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form-urlencoded (every provider) or JSON (Turnstile also takes it). */
function params(contentType: string, text: string): Map<string, string> {
  if (contentType.startsWith('application/json')) {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return new Map(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  return new Map(new URLSearchParams(text));
}

/**
 * Fakes of the Turnstile, reCAPTCHA and hCaptcha siteverify APIs over real HTTP, on one port: each
 * provider's path, body, reply fields and error codes, single-use tokens, and faults (a status, a
 * delay, a body that is not JSON, a dropped connection) for the outage paths.
 */
export async function startCaptchaSimulator(options: CaptchaSimulatorOptions = {}): Promise<CaptchaSimulator> {
  const secrets = new Map<CaptchaProviderName, string>((Object.keys(PROVIDERS) as CaptchaProviderName[]).map((p) => [p, options.secrets?.[p] ?? PROVIDERS[p].testSecret]));
  const tokens = new Map<string, IssuedToken>();
  const spent = new Set<string>();
  const faults: Array<CaptchaFault & { left: number }> = [];
  const calls: CaptchaCall[] = [];

  const verdict = (provider: CaptchaProviderName, p: Map<string, string>): Record<string, unknown> => {
    const fail = (...codes: string[]) => ({ success: false, 'error-codes': codes });
    const secret = p.get('secret');
    const response = p.get('response');
    if (!secret) return fail('missing-input-secret');
    if (secret !== secrets.get(provider)) return fail('invalid-input-secret');
    if (!response) return fail('missing-input-response');
    if (spent.has(response)) return fail(PROVIDERS[provider].replayCode);
    const issued = tokens.get(response);
    if (!issued || issued.provider !== provider) return fail('invalid-input-response');
    tokens.delete(response);
    spent.add(response);
    if (issued.errorCodes) return fail(...issued.errorCodes);
    const sitekey = p.get('sitekey');
    if (provider === 'hcaptcha' && sitekey && issued.siteKey && sitekey !== issued.siteKey) return fail('sitekey-secret-mismatch');
    const facts = PROVIDERS[provider];
    return {
      success: true,
      challenge_ts: new Date().toISOString(),
      hostname: issued.hostname ?? 'www.example.com',
      'error-codes': [],
      ...(facts.hasAction && issued.action !== undefined ? { action: issued.action } : {}),
      ...(facts.hasScore && issued.score !== undefined ? { score: issued.score } : {}),
      ...(provider === 'hcaptcha' ? { credit: false } : {}),
    };
  };

  const issue = (token: IssuedToken): string => {
    const value = `${token.provider}.${randomBytes(24).toString('base64url')}`;
    tokens.set(value, { ...token });
    return value;
  };

  /** `POST /_sim/tokens {provider, action?, hostname?, score?, siteKey?}` → `{token}`: a widget solved, from curl. */
  const control = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const input = JSON.parse((await readBody(req)) || '{}') as Partial<IssuedToken>;
    if (typeof input.provider !== 'string' || !Object.hasOwn(PROVIDERS, input.provider)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `provider must be one of ${Object.keys(PROVIDERS).join(', ')}` }));
      return;
    }
    const token = issue({
      provider: input.provider,
      ...(typeof input.action === 'string' ? { action: input.action } : {}),
      ...(typeof input.hostname === 'string' ? { hostname: input.hostname } : {}),
      ...(typeof input.score === 'number' ? { score: input.score } : {}),
      ...(typeof input.siteKey === 'string' ? { siteKey: input.siteKey } : {}),
    });
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
  };

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://sim.local').pathname;
    if (req.method === 'POST' && path === '/_sim/tokens') return control(req, res);
    const provider = providerAt(path);
    if (req.method !== 'POST' || !provider) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const contentType = String(req.headers['content-type'] ?? '');
    const p = params(contentType, await readBody(req));
    calls.push({ provider, response: p.get('response') ?? '', remoteip: p.get('remoteip'), sitekey: p.get('sitekey'), secretMatched: p.get('secret') === secrets.get(provider), contentType });
    const fault = faults[0];
    if (fault) {
      fault.left -= 1;
      if (fault.left <= 0) faults.shift();
      if (fault.kind === 'drop') return void req.socket.destroy();
      if (fault.kind === 'status') return void res.writeHead(fault.status, { 'content-type': 'text/html' }).end('<html><body>upstream error</body></html>');
      if (fault.kind === 'not-json') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      // A provider that hangs: the answer comes after the client should have given up.
      await new Promise((resolve) => setTimeout(resolve, fault.ms).unref());
    }
    const body = JSON.stringify(verdict(provider, p));
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  };

  const server = createServer((req, res) => {
    answer(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ success: false, 'error-codes': ['bad-request'] }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url,
    verifyUrl: (provider) => `${url}${PROVIDERS[provider].path}`,
    secret: (provider) => secrets.get(provider)!,
    issueToken: issue,
    fault(fault) {
      faults.push({ ...fault, left: fault.count ?? 1 });
    },
    calls,
    reset() {
      tokens.clear();
      spent.clear();
      faults.length = 0;
      calls.length = 0;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
