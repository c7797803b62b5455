import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * helmet()'s default headers, worked out once: helmet runs a chain of thirteen middlewares on every
 * request to set the same values (its default headers depend on nothing in the request), which cost a
 * few percent of the intake's CPU per post. Here helmet itself is run once against a recorder, and
 * each answer gets the headers it set, in the same order, and loses those it removed
 * (X-Powered-By). Options that depend on the request (a CSP nonce function) must not come here.
 */
export function securityHeaders(): RequestHandler {
  const set: Array<[string, string]> = [];
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set.push([name, String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  let ran = false;
  helmet()({} as never, recorder as unknown as Response, () => {
    ran = true;
  });
  if (!ran) throw new Error('helmet did not run synchronously: its headers cannot be worked out once');
  return (_req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    next();
  };
}
