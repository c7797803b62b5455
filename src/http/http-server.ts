import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/config';

/** How often Node looks for requests past their deadline; its default (30 s) would double a 15 s limit. */
const CHECK_INTERVAL_MS = 1000;

function answerFor(code: string | undefined): [status: number, error: string, message: string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'request_timeout', 'the request was not received in time'];
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'headers_too_large', 'the request headers are too large'];
  return [400, 'malformed_request', 'the request is not valid HTTP'];
}

/**
 * The HTTP server of an API or worker process. Node's defaults hold a slow body for 5 minutes and
 * idle headers for a minute; a form endpoint needs seconds, so the limits come from `http` config.
 * Requests Node refuses before Express sees them (bad framing, header overflow, timeouts) still get
 * a JSON `{error, message}` answer, like every other refusal.
 */
export function createHttpServer(app: RequestListener, http: Pick<Config['http'], 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs'>): Server {
  const server = createServer(
    {
      requestTimeout: http.requestTimeoutMs,
      headersTimeout: http.headersTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
      // Nothing here reads Host; without this Node refuses a Host-less request with a body-less 400 of its own.
      requireHostHeader: false,
    },
    app,
  );
  // Sockets whose last request was already answered (a refusal sent before the body arrived): an
  // error on them is the unread rest of that body, and a second answer would confuse the client.
  const answered = new WeakSet<Socket>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    answered.delete(req.socket);
    res.on('finish', () => answered.add(req.socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket & { _httpMessage?: { headersSent?: boolean } }) => {
    if (err.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent || answered.has(socket)) {
      socket.destroy();
      return;
    }
    const [status, error, message] = answerFor(err.code);
    const body = JSON.stringify({ error, message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}
