import type { ErrorRequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import type { FormConfig } from '../config/config';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { HttpError } from './http-error';

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

/**
 * The single place errors become answers: known errors keep their status and code; anything else is
 * a 500 with a request id to find in the logs, and no internals.
 */
export function errorHandler(deps: { logger: Logger; metrics: Metrics }): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let error = err instanceof HttpError ? err : fromLibrary(err as LibraryError);
    if (!error) {
      const requestId = randomUUID();
      deps.logger.error({ requestId, err: (err as Error)?.message, stack: (err as Error)?.stack }, 'unhandled error');
      error = new HttpError(500, 'internal_error', `something went wrong (request ${requestId})`);
    }
    if (res.locals.source) deps.metrics.rejected.inc({ source: res.locals.source as string, reason: error.code });
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    const form = res.locals.form as FormConfig | undefined;
    if (res.locals.wantsHtml && form?.redirect?.error) {
      const target = new URL(form.redirect.error);
      target.searchParams.set('error', error.code);
      res.redirect(303, target.toString());
      return;
    }
    res.status(error.status).json({
      error: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    });
  };
}
