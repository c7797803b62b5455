import express, { Router, type Request } from 'express';
import helmet from 'helmet';
import { AuditLog } from '../../queue/audit-log';
import { ConsoleSessions } from '../../queue/console-sessions';
import { HttpError } from '../http-error';
import { CONSOLE_CSS, CONSOLE_JS } from './assets';
import { auditRecorder } from './console-audit';
import type { ConsoleDeps } from './console-deps';
import { clearSessionCookie, COOKIE, readCookie, requireSession, setSessionCookie, pageChrome, signedIn } from './console-session';
import { deadLettersConsoleRouter } from './dead-letters-console';
import { consoleEnabled, signInAs } from './console-access';
import { destinationsRoutes } from './destinations-routes';
import { page } from './layout';
import { overviewRoutes } from './overview-routes';
import { portalHost } from './portal-host';
import { sourcesRoutes } from './sources-routes';
import { leadBody } from './lead-page';
import { leadsSearchRouter } from './leads-search';
import { auditBody, leadsBody, loginBody } from './pages-simple';

const NOTICES: Record<string, string> = {
  replayed: 'Replayed: the lead is queued again.',
  purged: 'Purged: the dead letter and its job are gone.',
  'conversion-replayed': 'Replayed: the conversion is queued again.',
};


/**
 * The operator console under /admin: server-rendered pages, a session cookie after sign-in with the
 * admin token, CSRF tokens on every action, and an audit entry for each sign-in and action.
 */
export function consoleRouter(deps: ConsoleDeps): Router {
  const { config } = deps;
  const ttl = config.admin.sessionTtlSeconds;
  const sessions = new ConsoleSessions(deps.redis, config.redis.prefix, ttl);
  const audit = new AuditLog(deps.redis, config.redis.prefix);
  const record = auditRecorder(audit);
  const router = Router();

  router.use(
    helmet.contentSecurityPolicy({
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"],
        formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"],
      },
    }),
  );
  router.use((req, res, next) => {
    if (!consoleEnabled(config)) throw new HttpError(404, 'admin_disabled', 'the console is disabled: set ADMIN_TOKEN or admin.operators');
    // Pages show personal data: never from a shared cache, never from the back button after sign-out.
    res.setHeader('Cache-Control', req.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store');
    next();
  });
  router.get('/assets/console.css', (_req, res) => res.type('text/css').send(CONSOLE_CSS));
  router.get('/assets/console.js', (_req, res) => res.type('text/javascript').send(CONSOLE_JS));
  router.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 80 }));

  router.get('/login', (_req, res) => {
    res.send(page({ title: 'Sign in' }, loginBody()));
  });
  router.post('/login', deps.loginLimiter, async (req, res) => {
    const token = (req.body as { token?: unknown } | undefined)?.token;
    const who = typeof token === 'string' && token ? signInAs(config, token) : undefined;
    if (!who) {
      await record(req, { actor: 'unknown', action: 'sign-in', outcome: 'refused' });
      res.status(401).send(page({ title: 'Sign in' }, loginBody('That token is not this gateway’s admin token, nor an operator’s.')));
      return;
    }
    const { id } = await sessions.create(who.operator);
    setSessionCookie(req, res, id, ttl);
    await record(req, { actor: who.operator ?? 'admin', action: 'sign-in', outcome: 'ok' });
    res.redirect(303, '/admin/overview');
  });

  // A session opened by an operator who is no longer in config ends at its next request.
  router.use(requireSession(sessions, (session) => !session.operator || config.admin.operators.some((o) => o.name === session.operator)));
  router.post('/logout', async (req, res) => {
    const id = readCookie(req, COOKIE);
    if (id) await sessions.destroy(id);
    clearSessionCookie(req, res);
    await record(req, { action: 'sign-out', outcome: 'ok' });
    res.redirect(303, '/admin/login');
  });

  const csrf = (res: express.Response) => signedIn(res).session.csrf;
  // A fixed set of messages: a crafted link cannot make the console say something of its choosing.
  const notice = (req: Request) => {
    const text = typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined;
    return text ? { text } : undefined;
  };

  router.get('/', (_req, res) => res.redirect(303, '/admin/overview'));
  router.use(overviewRoutes(deps));
  router.use(destinationsRoutes(deps));
  router.use(sourcesRoutes(deps));

  router.use(leadsSearchRouter(deps));
  router.use(deadLettersConsoleRouter(deps));

  router.get('/leads/:id', async (req, res) => {
    const id = String(req.params.id).slice(0, 200);
    const [recordFound, deadLetter] = await Promise.all([deps.ledger.get(id), deps.deadLetters.show(id)]);
    if (!recordFound && !deadLetter) {
      res.status(404).send(page({ title: 'Lead', section: 'leads', ...pageChrome(res), notice: { text: `No lead ${id} is kept.`, error: true } }, leadsBody(id)));
      return;
    }
    const destination = recordFound?.destination ?? deadLetter!.lead.destination;
    const lead = deadLetter?.lead ?? (await deps.queuedLead(id, destination).catch(() => undefined));
    const host = portalHost(config.destinations[destination]);
    const conversions = await deps.conversions?.list(id);
    // Refreshes itself while the lead, or one of its conversions, is on its way.
    const onItsWay = (status: string | undefined) => status === 'queued' || status === 'retrying';
    const pending = onItsWay(recordFound?.status) || (conversions ?? []).some((c) => onItsWay(c.status));
    res.send(
      page(
        { title: `Lead ${id}`, section: 'leads', ...pageChrome(res), notice: notice(req), ...(pending ? { refreshMs: 3000 } : {}) },
        leadBody(id, { ...(recordFound ? { record: recordFound } : {}), ...(lead ? { lead } : {}), ...(deadLetter ? { deadLetter } : {}), ...(host ? { portalHost: host } : {}), ...(conversions ? { conversions } : {}) }, csrf(res)),
      ),
    );
  });

  router.post('/dead-letters/:id/replay', async (req, res) => {
    const id = String(req.params.id);
    const done = await deps.deadLetters.replay(id);
    await record(req, { action: 'replay', target: id, outcome: done ? 'ok' : 'not_found' });
    if (!done) throw new HttpError(404, 'not_found', `no dead letter ${id}`);
    res.redirect(303, `/admin/leads/${encodeURIComponent(id)}?done=replayed`);
  });

  // A dead conversion (its id is the send job's, cv-<platform>-<conversion id>), back to its lead's page.
  router.post('/conversions/:id/replay', async (req, res) => {
    const id = String(req.params.id).slice(0, 200);
    const done = deps.conversions ? await deps.conversions.replay(id) : undefined;
    await record(req, { action: 'conversion-replay', target: id, outcome: done ? 'ok' : 'not_found' });
    if (!done) throw new HttpError(404, 'not_found', `no dead conversion ${id}`);
    res.redirect(303, done.leadId ? `/admin/leads/${encodeURIComponent(done.leadId)}?done=conversion-replayed` : '/admin/dead-letters');
  });

  router.post('/dead-letters/:id/purge', async (req, res) => {
    const id = String(req.params.id);
    const done = await deps.deadLetters.purgeOne(id);
    await record(req, { action: 'purge', target: id, outcome: done ? 'ok' : 'not_found' });
    if (!done) throw new HttpError(404, 'not_found', `no dead letter ${id}`);
    res.redirect(303, `/admin/dead-letters?done=purged`);
  });

  router.get('/audit', async (_req, res) => {
    res.send(page({ title: 'Audit log', section: 'audit', ...pageChrome(res) }, auditBody(await audit.recent())));
  });

  return router;
}


