import express, { Router, type Request } from 'express';
import type { LinkedInSourceConfig } from '../../config/sources-config';
import type { ForgetLeadReport } from '../../queue/forget-lead';
import { fetchLinkedInLeadJob, linkedInLeadId, type LinkedInLeadQueue } from '../../queue/linkedin-lead-queue';
import type { SeenIds } from '../../queue/seen-ids';
import { answerLinkedInChallenge, LinkedInNotificationError, parseLinkedInNotification, verifyLinkedInSignature, type LinkedInNotification } from '../../sources/linkedin/linkedin-webhook';
import { HttpError, queueUnavailable } from '../http-error';
import type { Intake } from '../intake';

export const LINKEDIN_WEBHOOK_PATH = '/v1/webhooks/linkedin';

/** A notification is a few hundred bytes. */
const LINKEDIN_BODY_LIMIT = '64kb';

export interface LinkedInWebhookDeps {
  linkedin?: LinkedInSourceConfig;
  seen: Pick<SeenIds, 'seenAmong' | 'remember'>;
  intake: Pick<Intake, 'metrics' | 'logger' | 'canSpool' | 'acceptLinkedInJobs'>;
  /** Where announced responses wait to be read; absent (an app without queues): the POST is off. */
  queue?: Pick<LinkedInLeadQueue, 'enqueue' | 'discard'>;
  /** Removes what leadgate holds of a lead (DELETED). */
  forgetLead?: (leadId: string) => Promise<ForgetLeadReport>;
}

/**
 * LinkedIn Lead Gen Forms: the GET validation challenge (answered with the HMAC of the code, JSON,
 * within LinkedIn's 3 s) and the signed lead notification. CREATED queues one read per response id
 * (72 h dedup); DELETED drops what leadgate still holds of that response. Signature missing or wrong:
 * 401/403, nothing queued.
 */
export function linkedInWebhookRouter(deps: LinkedInWebhookDeps): Router {
  const router = Router();
  const { linkedin, intake } = deps;

  router.get(LINKEDIN_WEBHOOK_PATH, (req, res) => {
    res.locals.source = 'linkedin';
    if (!linkedin) throw new HttpError(404, 'source_disabled', 'the LinkedIn webhook is not configured (sources.linkedin)');
    const answer = answerLinkedInChallenge(req.query.challengeCode, linkedin.clientSecret);
    if (!answer) throw new HttpError(400, 'malformed_challenge', 'challengeCode is missing or malformed');
    intake.logger.info('LinkedIn webhook validation answered');
    res.status(200).json(answer);
  });

  router.post(
    LINKEDIN_WEBHOOK_PATH,
    (_req, res, next) => {
      res.locals.source = 'linkedin';
      if (!linkedin || !deps.queue) throw new HttpError(404, 'source_disabled', 'the LinkedIn webhook is not configured (sources.linkedin)');
      next();
    },
    express.raw({ type: () => true, limit: LINKEDIN_BODY_LIMIT }),
    async (req: Request, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const check = verifyLinkedInSignature(raw, req.get('x-li-signature'), linkedin!.clientSecret);
      if (check === 'missing') throw new HttpError(401, 'signature_missing', 'X-LI-Signature is required');
      if (check === 'invalid') throw new HttpError(403, 'signature_invalid', 'X-LI-Signature does not match the body');
      let notification: LinkedInNotification | undefined;
      try {
        notification = parseLinkedInNotification(raw);
      } catch (err) {
        if (err instanceof LinkedInNotificationError) throw new HttpError(400, 'malformed_webhook', err.message);
        throw err;
      }
      if (!notification) {
        res.status(200).json({ status: 'ignored' });
        return;
      }
      intake.metrics.received.inc({ source: 'linkedin' });
      res.status(200).json(notification.action === 'DELETED' ? await deleted(notification) : await created(notification));
    },
  );

  async function created(notification: LinkedInNotification): Promise<Record<string, string>> {
    const { responseId } = notification;
    const leadId = linkedInLeadId(responseId);
    // With a spool, a Redis that cannot say "seen" is no reason to refuse: the read job's id is the
    // response's, so a repeat drained later is the same job.
    const [seen] = await deps.seen.seenAmong('linkedin', [responseId]).catch(() => {
      if (intake.canSpool) return [false];
      throw queueUnavailable('the notification could not be stored; LinkedIn will retry');
    });
    if (seen) {
      intake.metrics.duplicatesIgnored.inc({ source: 'linkedin' });
      return { id: leadId, status: 'duplicate' };
    }
    const status = await intake.acceptLinkedInJobs([fetchLinkedInLeadJob(notification, new Date().toISOString())]);
    if (status === 'queued') {
      await deps.seen.remember('linkedin', [responseId]).catch((err: Error) => intake.logger.warn({ err: err.message }, 'cannot remember the LinkedIn response id'));
    }
    intake.logger.info({ leadId, status }, 'LinkedIn notification taken');
    return { id: leadId, status };
  }

  async function deleted(notification: LinkedInNotification): Promise<Record<string, unknown>> {
    const { responseId } = notification;
    const leadId = linkedInLeadId(responseId);
    try {
      const read = await deps.queue!.discard(responseId);
      const report = deps.forgetLead ? await deps.forgetLead(leadId) : undefined;
      // A CREATED delivered late (or again) must not bring the withdrawn lead back.
      await deps.seen.remember('linkedin', [responseId]);
      intake.logger.info({ leadId, read, job: report?.job, deliveredAs: report?.deliveredAs }, 'LinkedIn lead withdrawn (DELETED): what leadgate held of it is removed');
      return {
        id: leadId,
        status: 'deleted',
        ...(report?.deliveredAs !== undefined ? { bitrixLeadId: report.deliveredAs, note: 'already delivered: the Bitrix24 lead stays, remove it there if required' } : {}),
        ...(read === 'busy' || report?.job === 'busy' ? { note: 'a worker holds the lead right now; send the deletion again or remove it in Bitrix24' } : {}),
      };
    } catch (err) {
      intake.logger.error({ leadId, err: (err as Error).message }, 'cannot remove the withdrawn LinkedIn lead; answering 503');
      throw queueUnavailable('the deletion could not be applied; LinkedIn will retry');
    }
  }

  return router;
}
