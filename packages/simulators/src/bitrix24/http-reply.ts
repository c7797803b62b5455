import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { ProxyBody } from './types';

/** CRestUtil::sendHeaders sends these on every REST answer. */
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'origin, content-type, accept',
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  send(res, status, 'text/html; charset=utf-8', html);
}

/**
 * A proxy's own answer: no Bitrix body and no CORS headers (the portal never saw the request).
 * `Retry-After` only when given, as load balancers send it on 429/503.
 */
export function sendProxyAnswer(res: ServerResponse, status: number, body: ProxyBody, retryAfter?: string): void {
  if (res.headersSent || res.destroyed) return;
  const reason = STATUS_CODES[status] ?? 'Error';
  const payload = body === 'html' ? proxyErrorHtml(status) : body === 'text' ? `${status} ${reason}\n` : '';
  const type = body === 'html' ? { 'Content-Type': 'text/html' } : body === 'text' ? { 'Content-Type': 'text/plain' } : {};
  res.writeHead(status, { ...type, 'Content-Length': Buffer.byteLength(payload), Server: 'nginx', ...(retryAfter !== undefined ? { 'Retry-After': retryAfter } : {}) });
  res.end(payload);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, CORS_HEADERS);
  res.end();
}

function send(res: ServerResponse, status: number, contentType: string, payload: string): void {
  // A delayed answer may race close(): the socket is gone and there is nobody to answer.
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(payload),
    ...CORS_HEADERS,
  });
  res.end(payload);
}

/** nginx's own error page for a status (what a proxy in front of a PHP portal sends). */
export function proxyErrorHtml(status: number): string {
  const line = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return (
    `<html>\r\n<head><title>${line}</title></head>\r\n<body>\r\n` +
    `<center><h1>${line}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
  );
}

/** What an nginx in front of a PHP portal returns when the upstream dies. */
export const PROXY_ERROR_HTML = proxyErrorHtml(500);
