import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Router, type Request } from 'express';
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
import type { ErrorContext } from '../error-handler';
import { sendJson } from '../send-json';
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

/** The URL's own parameters (the first of a repeated one), from a query parsed as express's `simple` parser does. */
function queryParams(query: Record<string, unknown>): Params {
  const out = emptyParams();
  for (const [key, value] of Object.entries(query)) out[key] = Array.isArray(value) ? String(value[0]) : typeof value === 'string' ? value : undefined;
  return out;
}

/** One header's value as express's `req.get` reads it (Referer in either spelling). */
function header(headers: IncomingHttpHeaders, name: 'referer' | 'idempotency-key'): string | undefined {
  const value = name === 'referer' ? headers.referrer ?? headers.referer : headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
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

/** A form post once its body is read, as express's route and the intake's front door both see it. */
export interface FormPost {
  formId: string;
  form: FormConfig;
  headers: IncomingHttpHeaders;
  /** The URL's query, parsed as express's `simple` query parser does (node:querystring). */
  query: Record<string, unknown>;
  body: unknown;
  /** The client's address as express works it out (`trust proxy`): the CAPTCHA provider is told it. */
  ip: string | undefined;
  wantsHtml: boolean;
}

/** What an accepted post is answered with. */
export interface FormReceipt {
  id: string;
  status: Accepted;
  /** A retry of an Idempotency-Key already bound to this content. */
  replayed: boolean;
}

/**
 * POST /v1/forms/:formId, whoever serves it (express's route, or the front door that takes plain
 * JSON posts past express): every rule of a form post lives here, on the bare Node request and
 * response, so both serve it the same way.
 */
export interface FormIntake {
  /**
   * Before the body is read: the form, its CORS headers and the origin check, so even a body error
   * is answered the right way. Fills `context` (express's `res.locals`) for the error answer.
   */
  open(formId: string, req: IncomingMessage, res: ServerResponse, context: ErrorContext): FormConfig;
  /** Validates, maps, judges spam and hands the lead to the intake; throws HttpErrors. */
  submit(post: FormPost): Promise<FormReceipt>;
  /** The 202 a fetch() post gets (a plain browser post is redirected instead). */
  answer(res: ServerResponse, form: FormConfig, receipt: FormReceipt): void;
}

export function formIntake(config: Config, deps: Intake, idempotency: Pick<IdempotencyStore, 'bind'>, spam: FormSpamDeps): FormIntake {
  const prefix = config.redis.prefix;
  const captchaDeps = { verifier: spam.captcha, redis: spam.redis, prefix, metrics: deps.metrics, logger: deps.logger };
  const duplicates = new DuplicateWindow(spam.redis, prefix);
  // Redis away: no judgement, the lead goes on to the intake (which may spool it) rather than be lost.
  const claimContacts = (formId: string, contacts: string[], id: string, window: number) =>
    duplicates.claim(formId, contacts, id, window).catch((err: Error) => {
      deps.logger.warn({ formId, err: err.message }, 'duplicate window unavailable (Redis); not judged');
      return undefined;
    });

  return {
    open(formId, req, res, context) {
      deps.metrics.received.inc({ source: 'form' });
      const form = findForm(config, formId);
      context.form = form;
      context.source = 'form';
      applyFormCors(req, res, form);
      if (!isOriginAllowed(form, req.headers.origin)) {
        throw new HttpError(403, 'origin_not_allowed', `origin ${req.headers.origin} may not post to form "${formId}"`);
      }
      return form;
    },

    async submit({ formId, form, headers, query, body, ip, wantsHtml: html }) {
      const shape = toSubmittedFields(body);
      if (!shape.ok) throw validationFailed(shape.errors);
      const fields = withoutSpamControls(shape.fields);

      // A script that retries a POST after a network error sends the same Idempotency-Key: the lead id
      // comes from the key, so a retry is the same job even when the first answer was lost or a 503.
      const key = html ? undefined : idempotencyKey(header(headers, 'idempotency-key'));
      let id = key === undefined ? newLeadId() : deriveLeadId({ kind: 'form', scope: formId, id: key });
      let status: Accepted = 'queued';
      let replayed = false;
      const dropped = droppedAs(form, shape.fields);
      if (dropped) {
        // Bots learn nothing: the answer looks exactly like an accepted lead.
        deps.metrics.spam.inc({ source: 'form', reason: dropped });
        deps.logger.info({ formId, reason: dropped }, 'spam submission dropped');
        return { id, status, replayed };
      }
      const mapped = formSubmissionToLead(
        {
          formId,
          body: fields,
          postQuery: queryParams(query),
          referer: header(headers, 'referer'),
          cookies: parseCookies(headers.cookie),
        },
        form,
        { id, receivedAt: new Date().toISOString() },
      );
      if (!mapped.ok) throw validationFailed(mapped.errors);
      // After validation: tokens are single-use, so a visitor fixing a field error keeps theirs.
      if (form.captcha) {
        const flag = await checkCaptcha(captchaDeps, form.captcha, { formId, body, header: headers[CAPTCHA_TOKEN_HEADER], remoteIp: ip, leadId: id, keyed: key !== undefined });
        if (flag) mapped.value.extras.push(flag);
      }
      if (key !== undefined) {
        // Bound only once the submission is valid, so a corrected retry may reuse the key.
        const fingerprint = requestFingerprint(`POST /v1/forms/${formId}`, fields);
        const [bound] = await bindIdentities(idempotency, [{ scope: `form:${formId}`, key, fingerprint, leadIds: [id] }], deps);
        if (bound === 'other') throw keyReused();
        replayed = bound === 'same';
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
      return { id, status, replayed };
    },

    answer(res, form, { id, status, replayed }) {
      if (replayed) res.setHeader('Idempotent-Replayed', 'true');
      // The snippet follows the form's success page as a plain post would.
      sendJson(res, 202, { id, status, ...(form.redirect?.success ? { redirect: form.redirect.success } : {}) });
    },
  };
}

export function formsRouter(config: Config, forms: FormIntake): Router {
  const router = Router();
  const bodyParser = readFormBody(config.http.bodyLimit);

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
      res.locals.wantsHtml = wantsHtml(req);
      forms.open(String(req.params.formId), req, res, res.locals);
      next();
    },
    bodyParser,
    async (req, res) => {
      const formId = String(req.params.formId);
      const form = res.locals.form as FormConfig;
      const html = res.locals.wantsHtml as boolean;
      const receipt = await forms.submit({ formId, form, headers: req.headers, query: req.query, body: req.body, ip: req.ip, wantsHtml: html });
      if (html) {
        res.redirect(303, form.redirect?.success ?? `/v1/forms/${encodeURIComponent(formId)}/thanks`);
        return;
      }
      forms.answer(res, form, receipt);
    },
  );

  return router;
}
