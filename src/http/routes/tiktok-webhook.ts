import express, { Router, type Request } from 'express';
import type { TikTokSourceConfig } from '../../config/sources-config';
import { deriveLeadId } from '../../lead/lead-id';
import type { Lead } from '../../lead/lead';
import type { SeenIds } from '../../queue/seen-ids';
import { parseTikTokDelivery, tikTokLeadToLead, TikTokBodyError, type TikTokLead } from '../../sources/tiktok/tiktok-leads';
import { TIKTOK_SIGNATURE_HEADER, verifyTikTokSignature } from '../../sources/tiktok/verify-tiktok-signature';
import { acceptOnce } from '../accept-once';
import { HttpError, validationFailed } from '../http-error';
import type { Intake } from '../intake';

export const TIKTOK_WEBHOOK_PATH = '/v1/webhooks/tiktok';

/** 1,000 leads of a dozen answers each stay well below this. */
export const TIKTOK_BODY_LIMIT = '2mb';

export interface TikTokWebhookDeps {
  tiktok?: TikTokSourceConfig;
  seen: Pick<SeenIds, 'seenAmong' | 'remember'>;
  intake: Intake;
  now?: () => number;
}

/**
 * TikTok lead ads: the signature is checked on the raw bytes before anything is read, the whole
 * batch (up to 1,000 leads, ids kept to the digit) is validated, then every new lead id is queued in
 * one all-or-none write; ids taken in during the last 72 hours (TikTok retries for about a day) are
 * acknowledged and not queued again.
 */
export function tikTokWebhookRouter(deps: TikTokWebhookDeps): Router {
  const router = Router();
  const { tiktok, intake } = deps;
  const now = deps.now ?? Date.now;

  router.post(
    TIKTOK_WEBHOOK_PATH,
    (_req, res, next) => {
      res.locals.source = 'tiktok';
      if (!tiktok) throw new HttpError(404, 'source_disabled', 'the TikTok webhook is not configured (sources.tiktok)');
      next();
    },
    express.raw({ type: () => true, limit: TIKTOK_BODY_LIMIT }),
    async (req: Request, res) => {
      const config = tiktok!;
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const check = verifyTikTokSignature(raw, req.get(TIKTOK_SIGNATURE_HEADER), config.secret, now(), config.toleranceSeconds);
      if (check === 'missing') throw new HttpError(401, 'signature_missing', 'TikTok-Signature is required');
      if (check === 'invalid') throw new HttpError(403, 'signature_invalid', 'TikTok-Signature does not match the body');
      if (check === 'stale') throw new HttpError(403, 'timestamp_stale', `the signature's timestamp is more than ${config.toleranceSeconds} s from now`);
      let leads: TikTokLead[];
      try {
        leads = parseTikTokDelivery(raw);
      } catch (err) {
        if (err instanceof TikTokBodyError) throw new HttpError(400, 'malformed_webhook', 'the body is not a TikTok lead delivery', err.problems);
        throw err;
      }
      intake.metrics.received.inc({ source: 'tiktok' }, leads.length);
      const receivedAt = new Date().toISOString();
      const items: Array<{ platformId: string; lead: Lead }> = [];
      for (const lead of leads) {
        // The id comes from TikTok's lead id: a retry after a 503 whose write landed anyway is the same job.
        const mapped = tikTokLeadToLead(lead, config, { id: deriveLeadId({ kind: 'tiktok', scope: '', id: lead.leadId }), receivedAt });
        if (!mapped.ok) throw validationFailed(mapped.errors);
        items.push({ platformId: lead.leadId, lead: mapped.value });
      }
      const result = await acceptOnce({ seen: deps.seen, intake }, 'tiktok', items);
      res.status(200).json({ received: leads.length, queued: result.taken.length, duplicates: result.duplicates });
    },
  );

  return router;
}
