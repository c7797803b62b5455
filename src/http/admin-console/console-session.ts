import type { Request, RequestHandler, Response } from 'express';
import type { ConsoleSession, ConsoleSessions } from '../../queue/console-sessions';
import { safeEqual } from '../../shared/safe-equal';
import { HttpError } from '../http-error';

export const COOKIE = 'lg_console';

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** HttpOnly and SameSite=Strict always; Secure whenever the browser reached us over TLS (directly or via a trusted proxy). */
export function setSessionCookie(req: Request, res: Response, id: string, ttlSeconds: number): void {
  res.cookie(COOKIE, id, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/admin', maxAge: ttlSeconds * 1000 });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/admin' });
}

export interface SignedIn {
  id: string;
  session: ConsoleSession;
}

export function signedIn(res: Response): SignedIn {
  return res.locals.console as SignedIn;
}

/** What every signed-in page's header shows and needs: who is signed in, and the CSRF token for its forms. */
export function pageChrome(res: Response): { csrf: string; operator: string } {
  const { session } = signedIn(res);
  return { csrf: session.csrf, operator: session.operator ?? 'admin' };
}

/**
 * Pages need a live session (else the sign-in page); every POST also needs the session's CSRF token
 * in its `csrf` field, compared in constant time.
 */
export function requireSession(sessions: ConsoleSessions, stillAllowed: (session: ConsoleSession) => boolean = () => true): RequestHandler {
  return async (req, res, next) => {
    const id = readCookie(req, COOKIE);
    const found = id ? await sessions.touch(id) : undefined;
    const session = found && stillAllowed(found) ? found : undefined;
    if (!id || !session) {
      if (req.method === 'GET') {
        res.redirect(303, '/admin/login');
        return;
      }
      throw new HttpError(401, 'session_required', 'sign in to the console first');
    }
    if (req.method === 'POST') {
      const given = (req.body as { csrf?: unknown } | undefined)?.csrf;
      if (typeof given !== 'string' || !safeEqual(given, session.csrf)) throw new HttpError(403, 'csrf_failed', 'the form is stale or was not sent by the console; reload the page');
    }
    res.locals.console = { id, session } satisfies SignedIn;
    next();
  };
}
