import type { FieldError } from '../sources/field-errors';

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

export const validationFailed = (details: FieldError[]): HttpError =>
  new HttpError(422, 'validation_failed', 'the submission is not valid', details);
