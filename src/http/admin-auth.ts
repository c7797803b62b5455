import type { RequestHandler } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-error';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Bearer-token check for operator endpoints; with no token configured they are off (fail closed). */
export function requireAdmin(token: string | undefined): RequestHandler {
  const expected = token ? digest(token) : undefined;
  return (req, _res, next) => {
    if (!expected) throw new HttpError(404, 'admin_disabled', 'admin endpoints are disabled: set ADMIN_TOKEN');
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    // Hashing first makes the comparison constant-time whatever the lengths.
    if (!given || !timingSafeEqual(digest(given), expected)) throw new HttpError(401, 'unauthorized', 'a valid admin bearer token is required');
    next();
  };
}
