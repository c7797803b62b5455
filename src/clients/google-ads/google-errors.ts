/**
 * Failures of Google's APIs typed by what the worker should do: `retryable` (quota, Google's outages,
 * network), `auth` (the service account is refused: an operator must fix it), `request` (this
 * request's data is wrong). Google answers errors as `{error: {code, message, status, details}}`.
 */
export type GoogleErrorKind = 'retryable' | 'auth' | 'request';

export class GoogleApiError extends Error {
  readonly kind: GoogleErrorKind;
  readonly code: string;

  constructor(message: string, details: { kind: GoogleErrorKind; code: string }) {
    super(message);
    this.name = new.target.name;
    this.kind = details.kind;
    this.code = details.code;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

interface GoogleErrorBody {
  error?: { code?: unknown; message?: unknown; status?: unknown };
}

/** One Google answer that was not a success → the typed error. */
export function classifyGoogleError(status: number, body: unknown): GoogleApiError {
  const error = (body as GoogleErrorBody | undefined)?.error;
  const name = typeof error?.status === 'string' ? error.status : `HTTP_${status}`;
  const said = typeof error?.message === 'string' ? ` Google said: "${error.message.slice(0, 300)}"` : '';
  const code = `GOOGLE_${name}`;
  if (status === 429 || status >= 500 || name === 'RESOURCE_EXHAUSTED' || name === 'UNAVAILABLE' || name === 'DEADLINE_EXCEEDED' || name === 'INTERNAL') {
    return new GoogleApiError(`Google Data Manager API is busy or failing (${name}); retrying.${said}`, { kind: 'retryable', code });
  }
  if (status === 401 || status === 403 || name === 'UNAUTHENTICATED' || name === 'PERMISSION_DENIED') {
    return new GoogleApiError(`Google refused the service account for this account (${name}): give it access to Google Ads customer conversions.google.customerId (and loginCustomerId).${said}`, { kind: 'auth', code });
  }
  return new GoogleApiError(`Google refused the conversions (${name}): check the click id, conversion action and time.${said}`, { kind: 'request', code });
}
