import type { Router } from 'express';
import type { RedisClient } from '../shared/redis-client';
import type { Config } from '../config/config';
import type { IdempotencyStore } from '../queue/idempotency-store';
import type { LeadLedger } from '../queue/lead-ledger';
import type { SeenIds } from '../queue/seen-ids';
import type { ForgetLeadReport } from '../queue/forget-lead';
import type { LinkedInLeadQueue } from '../queue/linkedin-lead-queue';
import type { Intake } from './intake';
import { customWebhookRouter } from './routes/custom-webhook';
import { googleWebhookRouter } from './routes/google-webhook';
import { linkedInWebhookRouter } from './routes/linkedin-webhook';
import { tikTokWebhookRouter } from './routes/tiktok-webhook';
import { metaWebhookRouter } from './routes/meta-webhook';
import { partnersRouter } from './routes/partners';

export interface SourceRouterDeps {
  config: Config;
  redis: RedisClient;
  intake: Intake;
  ledger: Pick<LeadLedger, 'get'>;
  seen: Pick<SeenIds, 'seenAmong' | 'remember'>;
  idempotency: Pick<IdempotencyStore, 'bind'>;
  /** LinkedIn reads waiting for the worker, and the removal of a withdrawn lead (with sources.linkedin). */
  linkedinQueue?: Pick<LinkedInLeadQueue, 'enqueue' | 'discard'>;
  forgetLead?: (leadId: string) => Promise<ForgetLeadReport>;
}

/**
 * The ad-platform webhooks and the partner API, for createApp's `sourceRouters`. Every route is
 * mounted whatever the config: a source that is not configured answers 404 `source_disabled`
 * (Meta POST, Google, configured webhooks), 403 (Meta handshake) or 401 (partners), never a silent success.
 */
export function createSourceRouters(deps: SourceRouterDeps): Router[] {
  const { config, intake } = deps;
  const sources = config.sources ?? { partners: {} };
  return [
    metaWebhookRouter({ meta: sources.meta, seen: deps.seen, intake, metrics: intake.metrics, logger: intake.logger }),
    googleWebhookRouter({ google: sources.google, bodyLimit: config.http.bodyLimit, seen: deps.seen, intake }),
    linkedInWebhookRouter({
      linkedin: sources.linkedin,
      seen: deps.seen,
      intake,
      ...(deps.linkedinQueue ? { queue: deps.linkedinQueue } : {}),
      ...(deps.forgetLead ? { forgetLead: deps.forgetLead } : {}),
    }),
    tikTokWebhookRouter({ tiktok: sources.tiktok, seen: deps.seen, intake }),
    customWebhookRouter({ webhooks: sources.webhooks ?? {}, bodyLimit: config.http.bodyLimit, seen: deps.seen, intake }),
    partnersRouter({
      partners: sources.partners,
      bodyLimit: config.http.bodyLimit,
      redis: deps.redis,
      prefix: config.redis.prefix,
      intake,
      ledger: deps.ledger,
      idempotency: deps.idempotency,
    }),
  ];
}
