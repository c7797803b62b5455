import type { RequestHandler } from 'express';
import { safeEqual } from '../shared/safe-equal';
import { HttpError } from './http-error';

/** Bearer-token check for operator endpoints; with no token configured they are off (fail closed). */
export function requireAdmin(token: string | undefined): RequestHandler {
  const expected = token || undefined;
  return (req, _res, next) => {
    if (!expected) throw new HttpError(404, 'admin_disabled', 'admin endpoints are disabled: set ADMIN_TOKEN');
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!given || !safeEqual(given, expected)) throw new HttpError(401, 'unauthorized', 'a valid admin bearer token is required');
    next();
  };
}
