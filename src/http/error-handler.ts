import type { ErrorRequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FormConfig } from '../config/config';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { HttpError } from './http-error';
import { sendJson } from './send-json';

type LibraryError = { type?: string; status?: number; expose?: boolean; message?: string };

/** What a 4xx thrown by Express or body-parser without a known `type` is called. */
const CODE_BY_STATUS: ReadonlyMap<number, string> = new Map([
  [400, 'malformed_body'],
  [413, 'payload_too_large'],
  [415, 'unsupported_encoding'],
]);

/**
 * body-parser's errors carry a `type`; they become our machine-readable codes. The router's
 * "Failed to decode param" (a path like /v1/forms/%) and a body that does not decompress (corrupt
 * gzip) are client errors too, whatever their wording.
 */
function fromLibrary(err: LibraryError): HttpError | undefined {
  if (err instanceof URIError && (err as LibraryError).status === 400) return new HttpError(400, 'malformed_path', 'the URL path is not valid percent-encoding');
  switch (err.type) {
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'the body is larger than allowed');
    case 'entity.parse.failed':
      return new HttpError(400, 'malformed_json', 'the body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_encoding', err.message ?? 'unsupported encoding');
    case 'parameters.too.many':
      return new HttpError(413, 'payload_too_large', 'too many fields');
    case 'request.aborted':
      return new HttpError(400, 'request_aborted', 'the request was aborted');
    default: {
      // Any other error these libraries mark as the client's (http-errors' `expose`), by its status.
      const code = err.expose && err.status !== undefined ? CODE_BY_STATUS.get(err.status) : undefined;
      return code ? new HttpError(err.status!, code, code === 'malformed_body' ? 'the body cannot be read (is its Content-Encoding right?)' : err.message ?? code) : undefined;
    }
  }
}

/** What an answer to a failed request needs to know of the route it failed in (express's `res.locals`). */
export interface ErrorContext {
  /** Counted in `rejected` by this source (set once a route knows it serves one). */
  source?: string;
  form?: FormConfig;
  /** A browser's plain form post: answered with a redirect to the form's error page, if it has one. */
  wantsHtml?: boolean;
}

/**
 * The single place errors become answers: known errors keep their status and code; anything else is
 * a 500 with a request id to find in the logs, and no internals. On the bare Node response, so the
 * intake's front door answers exactly as express's error handler does; `redirect` is express's
 * (only a browser's plain form post, which the front door never takes, is redirected).
 */
export function answerError(
  deps: { logger: Logger; metrics: Metrics },
  err: unknown,
  res: ServerResponse,
  context: ErrorContext,
  redirect?: (url: string) => void,
): void {
  let error = err instanceof HttpError ? err : fromLibrary(err as LibraryError);
  if (!error) {
    const requestId = randomUUID();
    deps.logger.error({ requestId, err: (err as Error)?.message, stack: (err as Error)?.stack }, 'unhandled error');
    error = new HttpError(500, 'internal_error', `something went wrong (request ${requestId})`);
  }
  if (context.source) deps.metrics.rejected.inc({ source: context.source, reason: error.code });
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  if (context.wantsHtml && context.form?.redirect?.error && redirect) {
    const target = new URL(context.form.redirect.error);
    target.searchParams.set('error', error.code);
    redirect(target.toString());
    return;
  }
  sendJson(res, error.status, {
    error: error.code,
    message: error.message,
    ...(error.details ? { details: error.details } : {}),
  });
}

/** express's error middleware: `answerError` with the route's `res.locals`. */
export function errorHandler(deps: { logger: Logger; metrics: Metrics }): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    answerError(deps, err, res, res.locals as ErrorContext, (url) => res.redirect(303, url));
  };
}
