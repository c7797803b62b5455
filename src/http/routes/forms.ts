import { Router, type Request, type Response } from 'express';
import { DEFAULT_FORM, type Config, type FormConfig } from '../../config/config';
import { deriveLeadId, newLeadId } from '../../lead/lead-id';
import { emptyParams, parseCookies, type Params } from '../../lead/utm';
import { formSubmissionToLead } from '../../sources/website-form';
import { HttpError, validationFailed } from '../http-error';
import { bindIdentities, idempotencyKey, keyReused, requestFingerprint } from '../idempotency';
import type { IdempotencyStore } from '../../queue/idempotency-store';
import type { Accepted, Intake } from '../intake';
import { applyFormCors, isOriginAllowed } from '../form-cors';
import { readFormBody } from '../read-form-body';
import { toSubmittedFields } from '../validate-submission';
import { ownValue } from '../../lead/own-value';
import type { CaptchaVerifier } from '../../sources/captcha-decision';
import { FILL_MS_FIELD, judgeFillTime, SHOWN_AT_FIELD } from '../../sources/fill-time';
import type { RedisClient } from '../../shared/redis-client';
import { checkCaptcha } from '../spam-captcha';
import { DuplicateWindow } from '../spam-duplicate-window';
import { leadContacts } from '../../lead/contact-key';
import { CAPTCHA_TOKEN_HEADER, withoutSpamControls } from '../spam-fields';

const THANKS_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Thank you</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>Thank you!</h1><p>We have received your request and will be in touch soon.</p></body></html>`;

function findForm(config: Config, formId: string): FormConfig {
  // Own properties only: a form id of `constructor` or `__proto__` is just an unknown form.
  const form = Object.hasOwn(config.forms, formId) ? config.forms[formId] : undefined;
  if (form) return form;
  if (config.acceptAnyForm) return DEFAULT_FORM;
  throw new HttpError(404, 'unknown_form', `no form "${formId}" is configured`);
}

/** A browser's plain form post (not fetch) expects a page, so it gets a redirect instead of JSON. */
function wantsHtml(req: Request): boolean {
  const formPost = req.is('application/x-www-form-urlencoded') || req.is('multipart/form-data');
  return Boolean(formPost) && req.accepts(['json', 'html']) === 'html';
}

function queryParams(req: Request): Params {
  const out = emptyParams();
  for (const [key, value] of Object.entries(req.query)) out[key] = Array.isArray(value) ? String(value[0]) : typeof value === 'string' ? value : undefined;
  return out;
}


/** Answered as accepted with nothing queued: a filled honeypot, or a form sent faster than a human fills it. */
function droppedAs(form: FormConfig, fields: Record<string, string>): 'honeypot' | 'too_fast' | undefined {
  if (form.honeypot && fields[form.honeypot]?.trim()) return 'honeypot';
  return judgeFillTime({ shownAt: ownValue(fields, SHOWN_AT_FIELD), fillMs: ownValue(fields, FILL_MS_FIELD) }, form.minFillSeconds, Date.now());
}

/** What the spam rules need beside the intake: Redis (duplicate window, passed tokens) and the CAPTCHA verifier. */
export interface FormSpamDeps {
  redis: RedisClient;
  captcha?: CaptchaVerifier;
}

export function formsRouter(config: Config, deps: Intake, idempotency: Pick<IdempotencyStore, 'bind'>, spam: FormSpamDeps): Router {
  const router = Router();
  const bodyParser = readFormBody(config.http.bodyLimit);
  const prefix = config.redis.prefix;
  const captchaDeps = { verifier: spam.captcha, redis: spam.redis, prefix, metrics: deps.metrics, logger: deps.logger };
  const duplicates = new DuplicateWindow(spam.redis, prefix);
  // Redis away: no judgement, the lead goes on to the intake (which may spool it) rather than be lost.
  const claimContacts = (formId: string, contacts: string[], id: string, window: number) =>
    duplicates.claim(formId, contacts, id, window).catch((err: Error) => {
      deps.logger.warn({ formId, err: err.message }, 'duplicate window unavailable (Redis); not judged');
      return undefined;
    });

  router.options('/v1/forms/:formId', (req, res) => {
    const form = findForm(config, String(req.params.formId));
    applyFormCors(req, res, form);
    res.status(204).end();
  });

  router.get('/v1/forms/:formId/thanks', (_req, res) => {
    res.type('html').send(THANKS_PAGE);
  });

  router.post(
    '/v1/forms/:formId',
    (req, res, next) => {
      // Form, CORS and answer style are settled before the body is read, so even a body error is answered the right way.
      const formId = String(req.params.formId);
      deps.metrics.received.inc({ source: 'form' });
      const form = findForm(config, formId);
      res.locals.form = form;
      res.locals.source = 'form';
      res.locals.wantsHtml = wantsHtml(req);
      applyFormCors(req, res, form);
      if (!isOriginAllowed(form, req.headers.origin)) {
        throw new HttpError(403, 'origin_not_allowed', `origin ${req.headers.origin} may not post to form "${formId}"`);
      }
      next();
    },
    bodyParser,
    async (req, res) => {
      const formId = String(req.params.formId);
      const form = res.locals.form as FormConfig;
      const shape = toSubmittedFields(req.body);
      if (!shape.ok) throw validationFailed(shape.errors);
      const fields = withoutSpamControls(shape.fields);

      // A script that retries a POST after a network error sends the same Idempotency-Key: the lead id
      // comes from the key, so a retry is the same job even when the first answer was lost or a 503.
      const key = res.locals.wantsHtml ? undefined : idempotencyKey(req.get('idempotency-key'));
      let id = key === undefined ? newLeadId() : deriveLeadId({ kind: 'form', scope: formId, id: key });
      let status: Accepted = 'queued';
      const dropped = droppedAs(form, shape.fields);
      if (dropped) {
        // Bots learn nothing: the answer looks exactly like an accepted lead.
        deps.metrics.spam.inc({ source: 'form', reason: dropped });
        deps.logger.info({ formId, reason: dropped }, 'spam submission dropped');
      } else {
        const mapped = formSubmissionToLead(
          {
            formId,
            body: fields,
            postQuery: queryParams(req),
            referer: req.get('referer'),
            cookies: parseCookies(req.headers.cookie),
          },
          form,
          { id, receivedAt: new Date().toISOString() },
        );
        if (!mapped.ok) throw validationFailed(mapped.errors);
        // After validation: tokens are single-use, so a visitor fixing a field error keeps theirs.
        if (form.captcha) {
          const flag = await checkCaptcha(captchaDeps, form.captcha, { formId, body: req.body, header: req.headers[CAPTCHA_TOKEN_HEADER], remoteIp: req.ip, leadId: id, keyed: key !== undefined });
          if (flag) mapped.value.extras.push(flag);
        }
        if (key !== undefined) {
          // Bound only once the submission is valid, so a corrected retry may reuse the key.
          const fingerprint = requestFingerprint(`POST /v1/forms/${formId}`, fields);
          const [bound] = await bindIdentities(idempotency, [{ scope: `form:${formId}`, key, fingerprint, leadIds: [id] }], deps);
          if (bound === 'other') throw keyReused();
          if (bound === 'same') res.setHeader('Idempotent-Replayed', 'true');
        }
        const window = form.duplicateWindowMinutes;
        const contacts = window === undefined ? [] : leadContacts(mapped.value.fields);
        const earlier = window === undefined ? undefined : await claimContacts(formId, contacts, id, window);
        if (earlier !== undefined) {
          deps.metrics.spam.inc({ source: 'form', reason: 'duplicate_window' });
          deps.logger.info({ formId, leadId: earlier }, 'same contact within the duplicate window; answered with the earlier lead');
          id = earlier;
        } else {
          status = await deps.accept(mapped.value).catch(async (err: unknown) => {
            // Not taken: the contact must not point at a lead that does not exist.
            if (contacts.length > 0) await duplicates.release(formId, contacts, id).catch(() => undefined);
            throw err;
          });
        }
      }
      if (res.locals.wantsHtml) {
        res.redirect(303, form.redirect?.success ?? `/v1/forms/${encodeURIComponent(formId)}/thanks`);
        return;
      }
      // The snippet follows the form's success page as a plain post would.
      res.status(202).json({ id, status, ...(form.redirect?.success ? { redirect: form.redirect.success } : {}) });
    },
  );

  return router;
}
