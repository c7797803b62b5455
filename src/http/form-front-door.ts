import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Express, RequestHandler } from 'express';
import proxyaddr from 'proxy-addr';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { answerError, type ErrorContext } from './error-handler';
import { isPlainJson, readPlainJson } from './plain-json-body';
import type { FormIntake } from './routes/forms';

const FORMS_PATH = '/v1/forms/';

export interface FormFrontDoorDeps {
  /** Everything else, and its settings: `trust proxy` (the client's address) and the rate limiter's checks of them. */
  app: Express;
  /** The headers every answer of the app carries (helmet's), set first as the app sets them. */
  securityHeaders: RequestHandler;
  /** The per-address limit the app applies under /v1/forms: the same instance, so one count. */
  rateLimit: RequestHandler;
  forms: FormIntake;
  bodyLimitBytes: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The form id of a post the front door serves: POST /v1/forms/:formId (exactly that path, any query)
 * with a plain JSON body. Anything else, including the path's other spellings express also matches
 * (a trailing slash, other letter case) and a form id that is not valid percent-encoding, is express's.
 */
function frontDoorFormId(req: IncomingMessage, bodyLimitBytes: number): string | undefined {
  const url = req.url;
  if (req.method !== 'POST' || url === undefined || !url.startsWith(FORMS_PATH)) return undefined;
  const queryAt = url.indexOf('?');
  const segment = url.slice(FORMS_PATH.length, queryAt < 0 ? undefined : queryAt);
  if (segment === '' || segment.includes('/') || !isPlainJson(req.headers, bodyLimitBytes)) return undefined;
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The intake's hot path. Every landing page's fetch() and the snippet post JSON to
 * POST /v1/forms/:formId; express spends more CPU on such a post than the rest of the intake does
 * (its router walks every layer, it swaps each request's and response's prototype, which makes V8
 * slow down Node's own HTTP code on them, and res.json does work this API never needs). The front
 * door serves those posts on the bare Node request and response, running what express would run in
 * the same order: the security headers, the per-address limit (the same instance), the form's
 * `FormIntake` (open, body, submit, answer: the same functions express's route calls) and, on any
 * error, the same `answerError`. Every other request goes to the app untouched.
 */
export function withFormFrontDoor(deps: FormFrontDoorDeps): RequestListener {
  const { app, forms } = deps;

  // express-rate-limit reads the client's address and, to warn of a misconfigured proxy, the app's
  // `trust proxy`, the headers and the socket: a view with those is all it needs of a request.
  const limit = (req: IncomingMessage, res: ServerResponse, ip: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const request = { ip, app, headers: req.headers, socket: req.socket, method: req.method, url: req.url, originalUrl: req.url };
      void deps.rateLimit(request as never, res as never, (err?: unknown) => (err ? reject(err) : resolve()));
    });

  async function serve(formId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const context: ErrorContext = {};
    try {
      void deps.securityHeaders(req as never, res as never, () => undefined);
      const ip = proxyaddr(req, app.get('trust proxy fn') as (addr: string, i: number) => boolean);
      await limit(req, res, ip);
      const form = forms.open(formId, req, res, context);
      const body = await readPlainJson(req);
      const queryAt = req.url!.indexOf('?');
      // express's `simple` query parser, the app's setting: node:querystring.
      const query = queryAt < 0 ? {} : parseQuery(req.url!.slice(queryAt + 1));
      const receipt = await forms.submit({ formId, form, headers: req.headers, query, body, ip, wantsHtml: false });
      forms.answer(res, form, receipt);
    } catch (err) {
      answerError(deps, err, res, context);
    }
  }

  return (req, res) => {
    const formId = frontDoorFormId(req, deps.bodyLimitBytes);
    if (formId === undefined) app(req, res);
    else void serve(formId, req, res);
  };
}
