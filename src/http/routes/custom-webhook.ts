import express, { Router, type Request } from 'express';
import { allowedIpMatcher } from '../../config/allowed-ips';
import type { WebhookSourceConfig } from '../../config/webhook-config';
import { deriveLeadId } from '../../lead/lead-id';
import { ownValue } from '../../lead/own-value';
import type { SeenIds } from '../../queue/seen-ids';
import { readWebhookBody, WebhookBodyError } from '../../sources/webhooks/read-webhook-body';
import { verifyWebhookAuth } from '../../sources/webhooks/verify-webhook-auth';
import { submissionId, webhookLeadToLead } from '../../sources/webhooks/webhook-lead';
import type { WebhookValues } from '../../sources/webhooks/webhook-values';
import { acceptOnce } from '../accept-once';
import { HttpError, validationFailed } from '../http-error';
import type { Intake } from '../intake';

export const CUSTOM_WEBHOOK_PATH = '/v1/webhooks/custom/:name';

export interface CustomWebhookDeps {
  webhooks: Readonly<Record<string, WebhookSourceConfig>>;
  bodyLimit: string;
  seen: Pick<SeenIds, 'seenAmong' | 'remember'>;
  intake: Intake;
  now?: () => number;
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Configured webhooks (`sources.webhooks.<name>`): the allowed addresses and the credential are
 * checked before the body is read, the body is read as configured, and each submission is taken in
 * once by its id (or the hash of its bytes). Every refusal is a 4xx with an error code and nothing
 * queued; a repeat is a 200 `duplicate`; Redis away is a 503 the sender retries.
 */
export function customWebhookRouter(deps: CustomWebhookDeps): Router {
  const router = Router();
  const { intake } = deps;
  const now = deps.now ?? Date.now;
  const matchers = new Map(Object.entries(deps.webhooks).filter(([, hook]) => hook.allowedIps).map(([name, hook]) => [name, allowedIpMatcher(hook.allowedIps!)]));

  router.post(
    CUSTOM_WEBHOOK_PATH,
    (req, res, next) => {
      res.locals.source = 'webhook';
      const name = String(req.params.name);
      const hook = ownValue(deps.webhooks, name);
      if (!hook) throw new HttpError(404, 'source_disabled', 'no webhook with this name is configured (sources.webhooks)');
      const allowed = matchers.get(name);
      if (allowed && !allowed(req.ip)) throw new HttpError(403, 'ip_not_allowed', 'this address may not post to this webhook (sources.webhooks.<name>.allowedIps)');
      res.locals.webhook = name;
      next();
    },
    // Raw bytes: signatures are over what was sent, and big numbers must keep their digits.
    express.raw({ type: () => true, limit: deps.bodyLimit }),
    async (req: Request, res) => {
      const name = res.locals.webhook as string;
      const hook = deps.webhooks[name]!;
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const check = verifyWebhookAuth(hook.auth, { rawBody: raw, header: (h) => req.get(h), query: (q) => single(req.query[q]), nowMs: now() });
      if (!check.ok) throw new HttpError(check.status, check.code, check.message);

      let values: WebhookValues;
      try {
        values = readWebhookBody(raw, hook);
      } catch (err) {
        if (err instanceof WebhookBodyError) throw new HttpError(err.code === 'too_many_fields' ? 413 : 400, err.code, 'the body cannot be read as this webhook is configured', err.problems);
        throw err;
      }
      if (values.connectionTest) {
        intake.logger.info({ webhook: name }, 'webhook connection test answered');
        res.status(200).type('text/plain').send('ok');
        return;
      }
      if (values.notASubmission !== undefined) {
        res.status(200).json({ status: 'ignored', reason: `event ${values.notASubmission.slice(0, 64)} is not a form submission` });
        return;
      }
      intake.metrics.received.inc({ source: 'webhook' });
      const externalId = submissionId(values, hook, raw);
      if (!externalId.ok) throw validationFailed(externalId.errors);
      const id = deriveLeadId({ kind: 'webhook', scope: name, id: externalId.value });
      const mapped = webhookLeadToLead(values, hook, { id, name, externalId: externalId.value, receivedAt: new Date().toISOString() });
      if (!mapped.ok) throw validationFailed(mapped.errors);
      const result = await acceptOnce({ seen: deps.seen, intake }, `webhook:${name}`, [{ platformId: externalId.value, lead: mapped.value }]);
      res.status(200).json({ id, status: result.taken.length === 0 ? 'duplicate' : result.outcome });
    },
  );

  return router;
}
