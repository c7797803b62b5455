/**
 * Graph API failures typed by what the worker should do: retry (rate limits, Meta's own outages,
 * network) or dead-letter with a reason an operator can act on (token, permission, request).
 * `kind` is meant as a metrics label; `retryable` decides retry vs UnrecoverableError.
 */
export type GraphErrorKind = 'rate_limited' | 'auth' | 'permission' | 'transient' | 'request';

export interface GraphErrorDetails {
  status?: number;
  code?: number;
  subcode?: number;
  type?: string;
  fbtraceId?: string;
  /** Meta's own message, for logs. */
  graphMessage?: string;
}

export abstract class MetaGraphError extends Error {
  abstract readonly kind: GraphErrorKind;
  abstract readonly retryable: boolean;

  constructor(message: string, readonly details: GraphErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Codes 4, 17, 32, 341, 613, 80000–80014: slow down and retry; `retryAfterMs` when Meta says how long. */
export class GraphRateLimitedError extends MetaGraphError {
  readonly kind = 'rate_limited';
  readonly retryable = true;

  constructor(message: string, details: GraphErrorDetails = {}, readonly retryAfterMs?: number) {
    super(message, details);
  }
}

/** Codes 190, 102, 104 and auth subcodes (458–467): the Page token is dead until someone replaces it. */
export class GraphAuthError extends MetaGraphError {
  readonly kind = 'auth';
  readonly retryable = false;
}

/** Codes 3, 10, 200–299 and 100/33: the token cannot read leads (permission, Leads Access Manager). */
export class GraphPermissionError extends MetaGraphError {
  readonly kind = 'permission';
  readonly retryable = false;
}

/** Codes 1, 2, `is_transient`, 5xx, timeouts and network failures. */
export class GraphTransientError extends MetaGraphError {
  readonly kind = 'transient';
  readonly retryable = true;
}

/** Any other 4xx (a bad parameter, a wrong appsecret_proof): retrying the same call cannot help. */
export class GraphRequestError extends MetaGraphError {
  readonly kind = 'request';
  readonly retryable = false;
}
