import { Router, type Request } from 'express';
import { AuditLog } from '../../queue/audit-log';
import { HttpError } from '../http-error';
import { actorOf, auditRecorder } from './console-audit';
import type { ConsoleDeps } from './console-deps';
import { pageChrome, signedIn } from './console-session';
import { destinationsBody, type CheckResult } from './destinations-page';
import { page } from './layout';
import { readOverview } from './overview-routes';

const NOTICES: Record<string, { text: string; error?: boolean }> = {
  resumed: { text: 'Resumed: the destination delivers again.' },
  checked: { text: 'Check finished: every check passed.' },
  'check-failed': { text: 'Check finished: some checks failed (below).', error: true },
};

/** Kept a week: the result of the last check is worth seeing after a shift change, not forever. */
const CHECK_TTL_SECONDS = 7 * 24 * 3600;

/** Destinations: breaker, backlog, request bucket and operating-limit use; resume; `leadgate check` on demand. */
export function destinationsRoutes(deps: ConsoleDeps): Router {
  const { config } = deps;
  const router = Router();
  const record = auditRecorder(new AuditLog(deps.redis, config.redis.prefix));
  const checkKey = `${config.redis.prefix}:console:check`;
  const notice = (req: Request) => (typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined);

  router.get('/destinations', async (req, res) => {
    const [overview, check] = await Promise.all([readOverview(deps, 'hour'), deps.redis.get(checkKey)]);
    const csrf = signedIn(res).session.csrf;
    const shown = notice(req);
    res.send(page({ title: 'Destinations', section: 'destinations', ...pageChrome(res), ...(shown ? { notice: shown } : {}) }, destinationsBody(overview.destinations, csrf, check ? (JSON.parse(check) as CheckResult) : undefined)));
  });

  router.post('/destinations/:name/resume', async (req, res) => {
    const name = String(req.params.name);
    if (!Object.hasOwn(config.destinations, name)) throw new HttpError(404, 'not_found', `no destination ${name}`);
    await deps.resumeDestination(name);
    await record(req, { action: 'resume', target: name, outcome: 'ok' });
    res.redirect(303, `/admin/destinations?done=resumed`);
  });

  router.post('/destinations/check', async (req, res) => {
    const { ok, lines } = await deps.runCheck();
    const result: CheckResult = { ok, lines, at: new Date().toISOString(), actor: actorOf(req) };
    await deps.redis.set(checkKey, JSON.stringify(result), 'EX', CHECK_TTL_SECONDS);
    await record(req, { action: 'check', outcome: ok ? 'ok' : 'failed' });
    res.redirect(303, `/admin/destinations?done=${ok ? 'checked' : 'check-failed'}`);
  });
  return router;
}
