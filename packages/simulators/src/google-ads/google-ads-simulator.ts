/**
 * Google's side of offline click conversions over real HTTP: the OAuth 2.0 token endpoint of a
 * service account (JWT bearer grant, RS256 signature checked with the account's public key) and the
 * Data Manager API's `POST /v1/events:ingest` (destinations, events, click ids, RFC 3339 times,
 * value with currency, at most 2,000 events; Google's `{error: {code, message, status}}` answers).
 */
import { createVerify, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GoogleAdsSimulatorOptions {
  /** The Google Ads account the service account may upload to (10 digits). */
  customerId: string;
  /** Conversion action ids that exist in that account. */
  conversionActionIds: string[];
  port?: number;
  host?: string;
}

export interface IngestedEvent {
  productDestinationId: string;
  event: Record<string, unknown>;
  validateOnly: boolean;
  receivedAt: string;
}

export interface GoogleFault {
  status: number;
  error: { code: number; message: string; status: string };
  count?: number;
}

export interface GoogleAdsSimulator {
  url: string;
  tokenUrl: string;
  ingestUrl: string;
  /** A service account the token endpoint knows: its email and PEM private key. */
  serviceAccount: { clientEmail: string; privateKey: string };
  ingested(): IngestedEvent[];
  requests(): Array<{ at: string; path: string; status: number; events: number }>;
  tokensIssued(): number;
  /** Every access token issued so far stops working (a revoked or expired token). */
  expireTokens(): void;
  failNext(fault: GoogleFault): void;
  /** Answers each accepted ingest `ms` late, its events already taken (see the Meta CAPI simulator's). 0 turns it off. */
  setHold(ms: number): void;
  /** Ingest requests taken whose answer is not written yet. */
  inFlight(): number;
  reset(): void;
  close(): Promise<void>;
}

const MAX_EVENTS = 2000;
const SCOPE = 'https://www.googleapis.com/auth/datamanager';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

const googleError = (code: number, status: string, message: string) => ({ error: { code, message, status } });
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function decodeJwt(assertion: string, publicKey: string): { claims?: Record<string, unknown>; problem?: string } {
  const parts = assertion.split('.');
  if (parts.length !== 3) return { problem: 'Invalid JWT: must have three parts.' };
  const [header, claims, signature] = parts as [string, string, string];
  try {
    const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    if (head.alg !== 'RS256') return { problem: 'Invalid JWT: alg must be RS256.' };
    const ok = createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(publicKey, Buffer.from(signature, 'base64url'));
    if (!ok) return { problem: 'Invalid JWT Signature.' };
    return { claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown> };
  } catch {
    return { problem: 'Invalid JWT: cannot be decoded.' };
  }
}

/** The first problem of an event, as Google's INVALID_ARGUMENT message would name it. */
function eventProblem(event: unknown, i: number): string | undefined {
  const at = `events[${i}]`;
  if (!isObject(event)) return `${at}: must be an object`;
  const ids = isObject(event.adIdentifiers) ? event.adIdentifiers : undefined;
  const clicks = ids ? ['gclid', 'gbraid', 'wbraid'].filter((k) => typeof ids[k] === 'string' && ids[k] !== '') : [];
  if (clicks.length === 0) return `${at}.ad_identifiers: a click conversion needs gclid, gbraid or wbraid`;
  if (clicks.length > 1) return `${at}.ad_identifiers: give only one of gclid, gbraid, wbraid`;
  if (typeof event.eventTimestamp !== 'string' || !RFC3339.test(event.eventTimestamp)) return `${at}.event_timestamp: must be an RFC 3339 time with a time zone offset`;
  if (Date.parse(event.eventTimestamp) > Date.now() + 60_000) return `${at}.event_timestamp: is in the future`;
  if (event.transactionId !== undefined && (typeof event.transactionId !== 'string' || event.transactionId === '')) return `${at}.transaction_id: must be a non-empty string`;
  if (event.conversionValue !== undefined) {
    if (typeof event.conversionValue !== 'number' || event.conversionValue < 0) return `${at}.conversion_value: must be a non-negative number`;
    if (typeof event.currency !== 'string' || !/^[A-Z]{3}$/.test(event.currency)) return `${at}.currency: an ISO 4217 code is required with conversion_value`;
  }
  if (event.eventSource !== undefined && !['WEB', 'APP', 'IN_STORE', 'PHONE', 'OTHER'].includes(String(event.eventSource))) return `${at}.event_source: unknown value`;
  return undefined;
}

export async function startGoogleAdsSimulator(options: GoogleAdsSimulatorOptions): Promise<GoogleAdsSimulator> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const clientEmail = 'leadgate-sim@leadgate-sim.iam.gserviceaccount.com';
  let tokens = new Map<string, number>();
  let issued = 0;
  let ingested: IngestedEvent[] = [];
  let log: Array<{ at: string; path: string; status: number; events: number }> = [];
  let faults: GoogleFault[] = [];
  let holdMs = 0;
  let inFlight = 0;
  let base = '';

  const answer = (res: ServerResponse, path: string, status: number, events: number, body: unknown) => {
    log.push({ at: new Date().toISOString(), path, status, events });
    send(res, status, body);
  };

  function token(res: ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return answer(res, '/token', 400, 0, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' + (form.get('grant_type') ?? '') });
    }
    const { claims, problem } = decodeJwt(form.get('assertion') ?? '', publicKey);
    if (!claims) return answer(res, '/token', 400, 0, { error: 'invalid_grant', error_description: problem });
    const now = Math.floor(Date.now() / 1000);
    const exp = Number(claims.exp);
    const iat = Number(claims.iat);
    if (claims.iss !== clientEmail) return answer(res, '/token', 400, 0, { error: 'invalid_grant', error_description: 'Invalid issuer: not a known service account.' });
    if (claims.aud !== `${base}/token`) return answer(res, '/token', 400, 0, { error: 'invalid_grant', error_description: 'Invalid JWT: audience must be the token endpoint.' });
    if (!(exp > now) || !(exp - iat <= 3600) || iat > now + 300) return answer(res, '/token', 400, 0, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.' });
    if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes(SCOPE)) return answer(res, '/token', 400, 0, { error: 'invalid_scope', error_description: `The datamanager scope (${SCOPE}) is required.` });
    const access = `ya29.sim-${randomUUID()}`;
    tokens.set(access, Date.now() + 3599_000);
    issued++;
    return answer(res, '/token', 200, 0, { access_token: access, expires_in: 3599, token_type: 'Bearer' });
  }

  function ingest(req: IncomingMessage, res: ServerResponse, text: string): void {
    const path = '/v1/events:ingest';
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expiry = bearer ? tokens.get(bearer) : undefined;
    if (!expiry || expiry < Date.now()) {
      return answer(res, path, 401, 0, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'));
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isObject(parsed)) throw new Error('not an object');
      body = parsed;
    } catch {
      return answer(res, path, 400, 0, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
    }
    const events = Array.isArray(body.events) ? body.events : [];
    const fault = faults[0];
    if (fault) {
      fault.count = (fault.count ?? 1) - 1;
      if (fault.count <= 0) faults.shift();
      return answer(res, path, fault.status, events.length, { error: fault.error });
    }
    const destinations = Array.isArray(body.destinations) ? body.destinations : [];
    if (destinations.length === 0) return answer(res, path, 400, events.length, googleError(400, 'INVALID_ARGUMENT', 'destinations: at least one destination is required'));
    for (const d of destinations) {
      const account = isObject(d) && isObject(d.operatingAccount) ? d.operatingAccount : undefined;
      if (!account || account.accountType !== 'GOOGLE_ADS' || typeof account.accountId !== 'string') return answer(res, path, 400, events.length, googleError(400, 'INVALID_ARGUMENT', 'destinations.operating_account: accountType GOOGLE_ADS and accountId are required'));
      if (account.accountId !== options.customerId) return answer(res, path, 403, events.length, googleError(403, 'PERMISSION_DENIED', `The caller does not have permission to operate on account ${account.accountId}.`));
      if (typeof (d as Record<string, unknown>).productDestinationId !== 'string' || !options.conversionActionIds.includes((d as Record<string, string>).productDestinationId!)) {
        return answer(res, path, 400, events.length, googleError(400, 'INVALID_ARGUMENT', 'destinations.product_destination_id: not a conversion action of this account'));
      }
    }
    if (events.length === 0 || events.length > MAX_EVENTS) return answer(res, path, 400, events.length, googleError(400, 'INVALID_ARGUMENT', `events: between 1 and ${MAX_EVENTS} events are required`));
    for (const [i, event] of events.entries()) {
      const problem = eventProblem(event, i);
      if (problem) return answer(res, path, 400, events.length, googleError(400, 'INVALID_ARGUMENT', problem));
    }
    const validateOnly = body.validateOnly === true;
    const receivedAt = new Date().toISOString();
    for (const d of destinations as Array<{ productDestinationId: string }>) {
      for (const event of events as Array<Record<string, unknown>>) ingested.push({ productDestinationId: d.productDestinationId, event, validateOnly, receivedAt });
    }
    if (holdMs <= 0) return answer(res, path, 200, events.length, { requestId: randomUUID() });
    inFlight++;
    setTimeout(() => {
      inFlight--;
      if (!res.destroyed) answer(res, path, 200, events.length, { requestId: randomUUID() });
    }, holdMs);
  }

  /** `/_sim/` routes, so an out-of-process simulator (`leadgate sim google`, `leadgate dev`) can be inspected and driven. */
  function control(route: string, text: string, res: ServerResponse): void {
    if (route === 'GET /_sim/ingested') return send(res, 200, ingested);
    if (route === 'GET /_sim/requests') return send(res, 200, log);
    if (route === 'POST /_sim/tokens/expire') {
      tokens = new Map();
      return send(res, 200, { ok: true });
    }
    if (route === 'POST /_sim/reset') {
      ingested = [];
      log = [];
      faults = [];
      return send(res, 200, { ok: true });
    }
    if (route === 'POST /_sim/faults') {
      try {
        const fault = JSON.parse(text) as GoogleFault;
        if (!Number.isInteger(fault?.status) || typeof fault.error?.status !== 'string') throw new Error('bad fault');
        faults.push({ ...fault });
        return send(res, 200, { ok: true, faults: faults.length });
      } catch {
        return send(res, 400, { error: 'body must be {"status": <HTTP status>, "error": {"code": <code>, "message": "…", "status": "UNAVAILABLE"}, "count"?: <requests>}' });
      }
    }
    return send(res, 404, { error: `no control route ${route}; try GET /_sim/ingested, GET /_sim/requests, POST /_sim/faults, POST /_sim/tokens/expire, POST /_sim/reset` });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://sim.local').pathname;
      const text = Buffer.concat(chunks).toString('utf8');
      if (path.startsWith('/_sim')) return control(`${req.method ?? 'GET'} ${path.replace(/\/+$/, '')}`, text, res);
      if (req.method === 'POST' && path === '/token') return token(res, text);
      if (req.method === 'POST' && path === '/v1/events:ingest') return ingest(req, res, text);
      return answer(res, path, 404, 0, googleError(404, 'NOT_FOUND', `${req.method} ${path} is not a method of this API`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    tokenUrl: `${base}/token`,
    ingestUrl: `${base}/v1/events:ingest`,
    serviceAccount: { clientEmail, privateKey },
    ingested: () => ingested.map((e) => ({ ...e })),
    requests: () => log.map((r) => ({ ...r })),
    tokensIssued: () => issued,
    expireTokens: () => {
      tokens = new Map();
    },
    failNext: (fault) => {
      if (!Number.isInteger(fault.status) || typeof fault.error?.status !== 'string') throw new Error('a fault needs an integer status and an error {code, message, status}');
      faults.push({ ...fault });
    },
    setHold: (ms) => {
      holdMs = Math.max(0, ms);
    },
    inFlight: () => inFlight,
    reset: () => {
      ingested = [];
      log = [];
      faults = [];
      tokens = new Map();
      issued = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
