import type { FieldError } from '../lead/field-errors';

/** An answer to the client, with a machine-readable `error` code; thrown anywhere in a route. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Redis did not take the submission (down, or too slow to answer): nothing was acknowledged, so the
 * sender retries. The one 503 every intake route answers.
 */
export const queueUnavailable = (message = 'the lead could not be stored; please retry'): HttpError =>
  new HttpError(503, 'queue_unavailable', message, undefined, { 'Retry-After': '5' });

export const validationFailed = (details: FieldError[]): HttpError =>
  new HttpError(422, 'validation_failed', 'the submission is not valid', details);
