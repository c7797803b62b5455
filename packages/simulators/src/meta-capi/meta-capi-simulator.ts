/**
 * Meta's Conversions API endpoint over real HTTP: POST /{version}/{dataset id}/events with the
 * access token (body or query), the documented CRM-event checks (capi-validation.ts), Graph error
 * bodies, injected failures, and a record of every event taken (lead ids exactly as sent).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_EVENTS, rawLeadIds, validateEvents, type GraphErrorBody } from './capi-validation';

export interface MetaCapiSimulatorOptions {
  datasetId: string;
  accessToken: string;
  port?: number;
  host?: string;
}

/** An event Meta took, with the lead id as the digits sent and the request's test_event_code. */
export interface ReceivedCapiEvent {
  event: Record<string, unknown>;
  leadId?: string;
  testEventCode?: string;
  receivedAt: string;
}

export interface CapiRequestLog {
  at: string;
  events: number;
  status: number;
  error?: GraphErrorBody;
}

export interface CapiFault {
  status: number;
  error: Partial<GraphErrorBody> & { message: string; code: number; type?: string };
  /** How many requests fail this way (default 1). */
  count?: number;
}

export interface MetaCapiSimulator {
  url: string;
  /** conversions.meta.graphUrl */
  graphUrl: string;
  received(): ReceivedCapiEvent[];
  requests(): CapiRequestLog[];
  failNext(fault: CapiFault): void;
  /**
   * Answers each accepted request `ms` late, its events already taken: a sender that dies meanwhile
   * never learns Meta has them (the chaos suite kills workers then). 0 turns it off.
   */
  setHold(ms: number): void;
  /** Requests taken whose answer is not written yet. */
  inFlight(): number;
  reset(): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

const trace = () => `Sim${Math.random().toString(36).slice(2, 12)}`;

export async function startMetaCapiSimulator(options: MetaCapiSimulatorOptions): Promise<MetaCapiSimulator> {
  let received: ReceivedCapiEvent[] = [];
  let log: CapiRequestLog[] = [];
  let faults: CapiFault[] = [];
  let holdMs = 0;
  let inFlight = 0;

  const answer = (res: ServerResponse, status: number, events: number, body: unknown) => {
    const error = (body as { error?: GraphErrorBody }).error;
    log.push({ at: new Date().toISOString(), events, status, ...(error ? { error } : {}) });
    send(res, status, body);
  };

  /** `/_sim/` routes, so an out-of-process simulator (`leadgate sim meta-capi`, `leadgate dev`) can be inspected and driven. */
  const control = (method: string, path: string, text: string, res: ServerResponse): void => {
    const route = `${method} ${path}`;
    if (route === 'GET /_sim/events') return send(res, 200, received);
    if (route === 'GET /_sim/requests') return send(res, 200, log);
    if (route === 'POST /_sim/reset') {
      received = [];
      log = [];
      faults = [];
      return send(res, 200, { ok: true });
    }
    if (route === 'POST /_sim/faults') {
      try {
        const fault = JSON.parse(text) as CapiFault;
        if (!Number.isInteger(fault?.status) || typeof fault.error?.message !== 'string' || !Number.isInteger(fault.error.code)) throw new Error('bad fault');
        faults.push({ ...fault });
        return send(res, 200, { ok: true, faults: faults.length });
      } catch {
        return send(res, 400, { error: 'body must be {"status": <HTTP status>, "error": {"message": "…", "code": <Graph code>}, "count"?: <requests>}' });
      }
    }
    return send(res, 404, { error: `no control route ${route}; try GET /_sim/events, GET /_sim/requests, POST /_sim/faults, POST /_sim/reset` });
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sim.local');
      if (url.pathname.startsWith('/_sim')) return control(req.method ?? 'GET', url.pathname.replace(/\/+$/, ''), Buffer.concat(chunks).toString('utf8'), res);
      const match = /^\/v[0-9]+\.[0-9]+\/([^/]+)\/events\/?$/.exec(url.pathname);
      if (req.method !== 'POST' || !match) {
        return answer(res, 400, 0, { error: { message: 'Unsupported request - method type or path unknown', type: 'GraphMethodException', code: 100, fbtrace_id: trace() } });
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown>;
      try {
        const parsed: unknown = text ? JSON.parse(text) : {};
        body = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
      } catch {
        return answer(res, 400, 0, { error: { message: 'Invalid JSON in the request body', type: 'OAuthException', code: 100, fbtrace_id: trace() } });
      }
      const token = typeof body.access_token === 'string' ? body.access_token : url.searchParams.get('access_token');
      if (!token) return answer(res, 400, 0, { error: { message: 'An access token is required to request this resource.', type: 'OAuthException', code: 104, fbtrace_id: trace() } });
      if (token !== options.accessToken) return answer(res, 400, 0, { error: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190, fbtrace_id: trace() } });
      if (match[1] !== options.datasetId) {
        return answer(res, 400, 0, {
          error: { message: `Unsupported post request. Object with ID '${match[1]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: trace() },
        });
      }
      const data = body.data;
      const count = Array.isArray(data) ? data.length : 0;
      const fault = faults[0];
      if (fault) {
        fault.count = (fault.count ?? 1) - 1;
        if (fault.count <= 0) faults.shift();
        return answer(res, fault.status, count, { error: { type: 'OAuthException', fbtrace_id: trace(), ...fault.error } });
      }
      const problem = validateEvents(data, rawLeadIds(text, Math.min(count, MAX_EVENTS)), Math.floor(Date.now() / 1000));
      if (problem) return answer(res, 400, count, { error: problem });
      const ids = rawLeadIds(text, count);
      const testEventCode = typeof body.test_event_code === 'string' ? body.test_event_code : undefined;
      (data as Array<Record<string, unknown>>).forEach((event, i) => {
        received.push({ event, ...(ids[i] ? { leadId: ids[i]! } : {}), ...(testEventCode ? { testEventCode } : {}), receivedAt: new Date().toISOString() });
      });
      if (holdMs <= 0) return answer(res, 200, count, { events_received: count, messages: [], fbtrace_id: trace() });
      inFlight++;
      setTimeout(() => {
        inFlight--;
        if (!res.destroyed) answer(res, 200, count, { events_received: count, messages: [], fbtrace_id: trace() });
      }, holdMs);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    graphUrl: url,
    received: () => received.map((r) => ({ ...r })),
    requests: () => log.map((r) => ({ ...r })),
    failNext: (fault) => {
      if (!Number.isInteger(fault.status) || typeof fault.error?.message !== 'string' || !Number.isInteger(fault.error.code)) throw new Error('a fault needs an integer status and an error {message, code}');
      faults.push({ ...fault });
    },
    setHold: (ms) => {
      holdMs = Math.max(0, ms);
    },
    inFlight: () => inFlight,
    reset: () => {
      received = [];
      log = [];
      faults = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
