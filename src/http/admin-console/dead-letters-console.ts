import { Router, type Request } from 'express';
import { AuditLog } from '../../queue/audit-log';
import { actorOf, auditRecorder } from './console-audit';
import { DeadLetterBulkJobs, type BulkAction } from '../../queue/dead-letter-bulk';
import { DeadLetterIndex, type DeadLetterFilter } from '../../queue/dead-letter-index';
import type { DeadLetter } from '../../queue/dead-letter-store';
import { decodeCursor } from '../../queue/sorted-set-walk';
import { HttpError } from '../http-error';
import type { ConsoleDeps } from './console-deps';
import { pageChrome, signedIn } from './console-session';
import { bulkJobBody, deadLettersBody, DEAD_LETTERS_JS, type DeadLetterQuery } from './dead-letters-page';
import { page } from './layout';

export const DEAD_LETTER_PAGE_SIZE = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A selection is one page's worth of checkboxes. */
const MAX_SELECTED = DEAD_LETTER_PAGE_SIZE;
const NOTICES: Record<string, string> = {
  replayed: 'Replayed: the lead is queued again.',
  purged: 'Purged: the dead letter and its job are gone.',
};

function readQuery(source: Record<string, unknown>): DeadLetterQuery {
  const text = (name: string, max = 200) => (typeof source[name] === 'string' ? String(source[name]).trim().slice(0, max) : '');
  return { destination: text('destination'), code: text('code'), source: text('source'), from: text('from', 10), to: text('to', 10) };
}

export function deadLetterFilter(query: DeadLetterQuery): DeadLetterFilter {
  const day = (value: string) => (DAY.test(value) && Number.isFinite(Date.parse(`${value}T00:00:00Z`)) ? Date.parse(`${value}T00:00:00Z`) : undefined);
  const from = day(query.from);
  const to = day(query.to);
  return {
    ...(query.destination ? { destination: query.destination } : {}),
    ...(query.code ? { code: query.code } : {}),
    ...(query.source ? { source: query.source } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to: to + 86_400_000 } : {}),
  };
}

function describe(query: DeadLetterQuery): string {
  const parts = Object.entries(query).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`);
  return parts.length ? `filter ${parts.join(' ')}` : 'every dead letter';
}

/**
 * The dead letters: filtered by destination, error code, source and date through the dead-letter
 * index (every entry, newest first, 50 a page); replay or purge one (console-router), a selection,
 * or everything a filter matches, as a bulk job with a progress page.
 */
export function deadLettersConsoleRouter(deps: ConsoleDeps): Router {
  const prefix = deps.config.redis.prefix;
  const index = new DeadLetterIndex(deps.redis, prefix);
  const audit = new AuditLog(deps.redis, prefix);
  const record = auditRecorder(audit);
  const bulk = new DeadLetterBulkJobs(deps.redis, prefix, deps.deadLetters, audit);
  const router = Router();
  // A process that died mid-way left its jobs running: their lease lapses and this one takes them up.
  void bulk.resumeAbandoned().catch(() => undefined);

  const csrf = (res: Parameters<typeof signedIn>[0]) => signedIn(res).session.csrf;

  router.get('/assets/dead-letters.js', (_req, res) => res.type('text/javascript').send(DEAD_LETTERS_JS));

  router.get('/dead-letters', async (req, res) => {
    await index.ensureIndexed();
    const query = readQuery(req.query as Record<string, unknown>);
    const filter = deadLetterFilter(query);
    const cursor = decodeCursor(req.query.after);
    const [walked, choices, total, jobs] = await Promise.all([
      index.search(filter, { ...(cursor ? { cursor } : {}), limit: DEAD_LETTER_PAGE_SIZE }),
      index.dimensions(),
      deps.redis.zcard(`${prefix}:dlq`),
      bulk.recent(),
    ]);
    const entries = (await Promise.all(walked.entries.map((e) => deps.deadLetters.show(e.id)))).filter((e): e is DeadLetter => e !== undefined);
    const done = typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined;
    res.send(
      page(
        { title: 'Dead letters', section: 'dead-letters', ...pageChrome(res), ...(done ? { notice: { text: done } } : {}) },
        deadLettersBody({
          entries,
          total,
          query,
          ...(walked.next ? { next: walked.next } : {}),
          paged: cursor !== undefined,
          destinations: [...new Set([...Object.keys(deps.config.destinations), ...choices.destinations])].sort(),
          codes: choices.codes,
          sources: choices.sources,
          jobs: jobs.slice(0, 5),
          csrf: csrf(res),
        }),
      ),
    );
  });

  router.post('/dead-letters/bulk', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const action: BulkAction | undefined = body.action === 'replay' || body.action === 'purge' ? body.action : undefined;
    if (!action) throw new HttpError(400, 'invalid_action', 'action must be replay or purge');
    let ids: string[];
    let description: string;
    if (body.scope === 'filter') {
      const query = readQuery(body);
      await index.ensureIndexed();
      ids = await index.allMatching(deadLetterFilter(query));
      description = describe(query);
    } else {
      const picked = ([] as unknown[]).concat(body.id ?? []).filter((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200);
      ids = [...new Set(picked)].slice(0, MAX_SELECTED);
      if (ids.length === 0) throw new HttpError(400, 'nothing_selected', 'select at least one dead letter');
      description = `${ids.length} selected`;
    }
    const job = await bulk.create(action, ids, { actor: actorOf(req), description });
    await record(req, { action: `bulk-${action}`, target: `${job.id}: ${description} (${ids.length})`, outcome: 'ok' });
    void bulk.run(job.id).catch(() => undefined);
    res.redirect(303, `/admin/bulk/${job.id}`);
  });

  router.get('/bulk/:id', async (req, res) => {
    const job = await bulk.get(String(req.params.id));
    if (!job) throw new HttpError(404, 'not_found', 'no such bulk job (they are kept 7 days)');
    if (job.status === 'running') void bulk.run(job.id).catch(() => undefined);
    res.send(page({ title: `Bulk ${job.action}`, section: 'dead-letters', ...pageChrome(res) }, bulkJobBody(job)));
  });

  /** What the progress page polls; a poll also takes up a job whose process died. */
  router.get('/bulk/:id/progress', async (req: Request, res) => {
    const job = await bulk.get(String(req.params.id));
    if (!job) throw new HttpError(404, 'not_found', 'no such bulk job');
    if (job.status === 'running') void bulk.run(job.id).catch(() => undefined);
    res.json(job);
  });

  return router;
}
