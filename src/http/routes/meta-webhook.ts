import express, { Router, type Request } from 'express';
import { fetchMetaLeadJob, type FetchMetaLeadJob } from '../../queue/jobs';
import type { SeenIds } from '../../queue/seen-ids';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';
import type { LeadgenNotification } from '../../lead/leadgen-notification';
import { MetaWebhookError, parseLeadgenWebhook } from '../../sources/meta/leadgen-webhook';
import { answerMetaSubscription } from '../../sources/meta/subscription';
import { verifyMetaSignature } from '../../sources/meta/verify-signature';
import type { MetaSourceConfig } from '../../config/sources-config';
import { HttpError, queueUnavailable } from '../http-error';
import type { Accepted, Intake } from '../intake';

export const META_WEBHOOK_PATH = '/v1/webhooks/meta';

/** Meta batches up to 1000 updates in one POST (~250 bytes each); it retries a refused body forever. */
export const META_WEBHOOK_BODY_LIMIT = '1mb';

export interface MetaWebhookDeps {
  meta?: MetaSourceConfig;
  seen: Pick<SeenIds, 'seenAmong' | 'remember'>;
  intake: Pick<Intake, 'acceptFetchJobs' | 'canSpool'>;
  metrics: Metrics;
  logger: Logger;
}

/** What a POST answers with 200: how many leads it announced, how many were new, how many were repeats. */
export interface MetaWebhookAnswer {
  received: number;
  queued: number;
  duplicates: number;
}

const notificationUnstored = (): HttpError => queueUnavailable('the notification could not be stored; Meta will retry');

/**
 * Meta Lead Ads: the GET subscription handshake and the signed leadgen POST. The POST checks the
 * signature on the raw bytes before reading anything, takes in each leadgen_id once (72 h), and
 * answers 200 only when every new lead's fetch job is in Redis; otherwise 503 and Meta retries.
 */
export function metaWebhookRouter(deps: MetaWebhookDeps): Router {
  const router = Router();
  const { meta, metrics, logger } = deps;

  router.get(META_WEBHOOK_PATH, (req, res) => {
    res.locals.source = 'meta';
    const answer = answerMetaSubscription(req.query as Record<string, unknown>, meta?.verifyToken);
    if (answer.status !== 200) throw new HttpError(403, 'verification_failed', answer.reason);
    logger.info('Meta webhook subscription verified');
    res.status(200).type('text/plain').send(answer.challenge);
  });

  router.post(
    META_WEBHOOK_PATH,
    (_req, res, next) => {
      res.locals.source = 'meta';
      // Fail closed: without the app secret no signature can be checked, so nothing is read.
      if (!meta?.appSecret) throw new HttpError(404, 'source_disabled', 'the Meta webhook is not configured (sources.meta.appSecret)');
      next();
    },
    express.raw({ type: () => true, limit: META_WEBHOOK_BODY_LIMIT }),
    async (req: Request, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const check = verifyMetaSignature(raw, req.get('x-hub-signature-256'), meta!.appSecret!);
      if (check === 'missing') throw new HttpError(401, 'signature_missing', 'X-Hub-Signature-256 is required');
      if (check === 'invalid') throw new HttpError(403, 'signature_invalid', 'X-Hub-Signature-256 does not match the body');

      let notifications: LeadgenNotification[];
      try {
        notifications = parseLeadgenWebhook(raw);
      } catch (err) {
        if (err instanceof MetaWebhookError) throw new HttpError(400, 'malformed_webhook', 'the body is not a leadgen notification', err.problems);
        throw err;
      }
      if (notifications.length > 0) metrics.received.inc({ source: 'meta' }, notifications.length);
      res.json(await takeIn(notifications));
    },
  );

  async function takeIn(notifications: LeadgenNotification[]): Promise<MetaWebhookAnswer> {
    const jobs: FetchMetaLeadJob[] = [];
    let duplicates = 0;
    let outcome: Accepted = 'queued';
    const receivedAt = new Date().toISOString();
    try {
      const firsts = firstOfEach(notifications);
      const seen = await deps.seen.seenAmong('meta', firsts.map((n) => n.leadgenId)).catch((err: Error) => {
        if (!deps.intake.canSpool) throw err;
        // Lead ids and job ids come from leadgen_id: a repeat spooled now is the same job when drained.
        logger.warn({ err: err.message }, 'cannot read seen Meta lead ids (Redis unavailable); taking the notifications in');
        return firsts.map(() => false);
      });
      firsts.forEach((notification, i) => {
        if (seen[i]) duplicates += 1;
        // The lead id comes from the leadgen_id: a retry after a 503 whose job landed anyway is the same lead.
        else jobs.push(fetchMetaLeadJob(notification, receivedAt));
      });
      outcome = await deps.intake.acceptFetchJobs(jobs);
    } catch (err) {
      // Whatever failed (Redis down, hung, spool full), nothing was acknowledged: Meta must retry.
      logger.error({ leads: jobs.length, err: (err as Error).message }, 'cannot queue Meta notifications; answering 503');
      throw notificationUnstored();
    }
    if (outcome === 'spooled') {
      // The drainer remembers the ids once the jobs are queued.
      logger.info({ spooled: jobs.length, duplicates }, 'Meta notifications spooled');
      return { received: notifications.length, queued: jobs.length, duplicates };
    }
    // The jobs are durable now; a failed write here only shortens how long the ids are remembered.
    const queued = jobs.map((job) => job.notification.leadgenId);
    await deps.seen.remember('meta', queued).catch((err: Error) => logger.warn({ err: err.message }, 'cannot remember Meta lead ids'));
    if (duplicates > 0) {
      metrics.duplicatesIgnored.inc({ source: 'meta' }, duplicates);
      logger.info({ duplicates }, 'repeated Meta notifications acknowledged and ignored');
    }
    logger.info({ queued: jobs.length, duplicates }, 'Meta notifications queued');
    return { received: notifications.length, queued: jobs.length, duplicates };
  }

  return router;
}

/** Each leadgen_id once, in order of first appearance: a repeat inside one body is not a duplicate delivery. */
function firstOfEach(notifications: LeadgenNotification[]): LeadgenNotification[] {
  const ids = new Set<string>();
  return notifications.filter((n) => {
    if (ids.has(n.leadgenId)) return false;
    ids.add(n.leadgenId);
    return true;
  });
}
