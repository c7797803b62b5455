import type { ServerResponse } from 'node:http';

/**
 * A JSON answer, byte for byte what express's `res.status(status).json(body)` sends on this API (no
 * ETag, no json spaces or replacer), written on the bare Node response: the intake's front door has
 * no express response to call, and express's own takes a few dozen microseconds of every post.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
