import { connect } from 'node:net';

/** One HTTP exchange as bytes on a socket, so a case can send what fetch refuses to (bad headers, bad framing). */
export interface RawRequest {
  method?: string;
  path: string;
  /** Sent in this order, duplicates allowed; Host and Connection: close are added unless given. */
  headers?: Array<[string, string]>;
  body?: Buffer | string;
  /** Bytes sent as they are, instead of building a request from the fields above. */
  raw?: Buffer | string;
}

export interface RawAnswer {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Map<string, string>;
  body: string;
  /** Time from the first byte sent to the socket closing. */
  ms: number;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseAnswer(bytes: Buffer, ms: number): RawAnswer {
  const end = bytes.indexOf('\r\n\r\n');
  if (bytes.length === 0 || end < 0) return { status: 0, headers: new Map(), body: '', ms };
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = bytes.subarray(end + 4);
  if (headers.get('transfer-encoding')?.includes('chunked')) body = dechunk(body);
  return { status, headers, body: body.toString('utf8'), ms };
}

export function buildRequest(request: RawRequest): Buffer {
  if (request.raw !== undefined) return Buffer.isBuffer(request.raw) ? request.raw : Buffer.from(request.raw, 'latin1');
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const headers = [...(request.headers ?? [])];
  const has = (name: string): boolean => headers.some(([n]) => n.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', '127.0.0.1']);
  if (!has('connection')) headers.push(['Connection', 'close']);
  if (!has('content-length') && !has('transfer-encoding') && (body.length > 0 || request.method === 'POST')) headers.push(['Content-Length', String(body.length)]);
  const head = `${request.method ?? 'GET'} ${request.path} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * Sends the request and reads until the server closes the socket (every request says
 * Connection: close). Resolves with status 0 if the socket closed unanswered; rejects only if it is
 * still open after `giveUpMs`, which is the "hung request" the suite exists to catch.
 */
export function rawHttp(port: number, request: RawRequest, giveUpMs = 20_000): Promise<RawAnswer> {
  const bytes = buildRequest(request);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may answer and close before reading the whole body; that is a fine outcome.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks), Date.now() - started));
    });
    // The socket is not half-closed: a client that keeps it open is what exposes a request left unanswered.
    socket.write(bytes);
  });
}

/** Opens a socket and writes `head` then nothing more; resolves with the answer when the server gives up on it. */
export function stalledHttp(port: number, head: string, giveUpMs = 20_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`a stalled request was still held after ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks), Date.now() - started));
    });
    socket.write(head);
  });
}
