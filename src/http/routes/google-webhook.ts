import express, { Router } from 'express';
import { deriveLeadId } from '../../lead/lead-id';
import type { SeenIds } from '../../queue/seen-ids';
import { checkGoogleKey } from '../../sources/google/google-key';
import { GoogleLeadError, parseGoogleLeadBody, type GoogleLead } from '../../sources/google/google-lead';
import { googleLeadToLead } from '../../sources/google/google-lead-to-lead';
import type { GoogleSourceConfig } from '../../config/sources-config';
import { HttpError, queueUnavailable, validationFailed } from '../http-error';
import type { Intake } from '../intake';

export const GOOGLE_WEBHOOK_PATH = '/v1/webhooks/google';

export interface GoogleWebhookDeps {
  google?: GoogleSourceConfig;
  bodyLimit: string;
  seen: Pick<SeenIds, 'seenAmong' | 'remember'>;
  intake: Intake;
}

/**
 * Google Ads lead form webhook. Google's contract: `200 {}` is success, a 4xx `{message}` is final
 * (never retried), a 5xx `{message}` is retried. So a repeat lead_id is a 200 (already have it), a
 * wrong key a 403, and anything that kept the lead from being stored a 503.
 */
export function googleWebhookRouter(deps: GoogleWebhookDeps): Router {
  const router = Router();
  const { google, intake } = deps;

  router.post(
    GOOGLE_WEBHOOK_PATH,
    (_req, res, next) => {
      res.locals.source = 'google';
      if (!google) throw new HttpError(404, 'source_disabled', 'the Google Ads webhook is not configured (sources.google)');
      next();
    },
    // Raw bytes: int64 ids arrive as JSON numbers and JSON.parse would round them.
    express.raw({ type: () => true, limit: deps.bodyLimit }),
    async (req, res) => {
      const config = google!;
      let lead: GoogleLead;
      try {
        lead = parseGoogleLeadBody(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
      } catch (err) {
        if (err instanceof GoogleLeadError) throw new HttpError(400, 'malformed_lead', err.message, err.problems);
        throw err;
      }
      if (!checkGoogleKey(lead, config.keys)) throw new HttpError(403, 'invalid_key', 'google_key is missing or not one of the configured keys');
      intake.metrics.received.inc({ source: 'google' });

      const [seen] = await deps.seen.seenAmong('google', [lead.lead_id]).catch((err: Error) => {
        if (!intake.canSpool) throw queueUnavailable();
        // The lead id comes from lead_id: a repeat taken in now is the same job when the spool drains.
        intake.logger.warn({ err: err.message }, 'cannot read seen Google lead ids (Redis unavailable); taking the lead in');
        return [false];
      });
      if (seen) {
        intake.metrics.duplicatesIgnored.inc({ source: 'google' });
        intake.logger.info({ googleLeadId: lead.lead_id }, 'repeated Google lead acknowledged and ignored');
        res.status(200).json({});
        return;
      }

      // The id comes from Google's lead_id: a retry after a 503 whose job landed anyway is the same job.
      const id = deriveLeadId({ kind: 'google', scope: '', id: lead.lead_id });
      const mapped = googleLeadToLead(lead, config, { id, receivedAt: new Date().toISOString() });
      if (!mapped.ok) throw validationFailed(mapped.errors);
      if (mapped.value.test && config.testLeads === 'drop') {
        intake.metrics.testLeadsDropped.inc({ source: 'google' });
        intake.logger.info({ googleLeadId: lead.lead_id }, 'Google test lead dropped (sources.google.testLeads: drop)');
      } else if ((await intake.accept(mapped.value, { seen: { source: 'google', ids: [lead.lead_id] } })) === 'spooled') {
        // Redis is away: the drainer remembers the id once the lead is queued.
        res.status(200).json({});
        return;
      }
      await deps.seen.remember('google', [lead.lead_id]).catch((err: Error) => intake.logger.warn({ err: err.message }, 'cannot remember Google lead id'));
      res.status(200).json({});
    },
  );

  return router;
}
