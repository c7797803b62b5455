import {
  DestinationThrottledError,
  DestinationUnavailableError,
  PermanentDeliveryError,
  QueryLimitExceededError,
  RetryableDeliveryError,
  type DeliveryError,
} from '../delivery-errors';

/**
 * Codes that say the destination itself cannot take any lead (credentials, portal, scope, a manual
 * block): every queued lead would fail alike, so the destination is paused with its leads kept
 * (circuit breaker) instead of dead-lettering the backlog. All are refused before execution.
 */
const DESTINATION_CODES: Record<string, string> = {
  invalid_credentials: 'the webhook was deleted or its user id/code is wrong: fix the destination webhookUrl',
  no_auth_found: 'Bitrix24 found no authorization in the request: check the destination webhookUrl or OAuth settings',
  expired_token: 'the webhook or token has expired: issue a new webhook (or token pair) for this portal',
  invalid_token: 'the access token is not valid: issue a new token pair for this portal',
  access_denied: 'REST is not available on this portal (commercial plans only) or access was revoked',
  insufficient_scope: 'the webhook or app lacks the "crm" scope: add it in the portal',
  user_access_error: 'the webhook user no longer has access to the application',
  allowed_only_intranet_user: 'the webhook user is not an intranet user',
  wrong_auth_type: 'this method needs another kind of authorization',
  portal_deleted: 'the portal was deleted',
  payment_required: 'the portal or application needs payment',
  overload_limit: 'REST API blocked by Bitrix24 due to overload (manual block): contact Bitrix24 support',
  invalid_request: 'the portal refused the request (HTTPS required?): check the destination URL',
  error_method_not_found: 'crm.lead.add is not available on this portal (CRM disabled or wrong URL)',
  portal_moved: 'the portal moved to another address: update the destination URL',
};

/** Codes that mean "fix this lead's data": retrying cannot help (reference §5.3). */
const PERMANENT_CODES = new Set(
  [
    'ERROR_MANIFEST_IS_NOT_AVAILABLE', 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'ERROR_BATCH_LENGTH_EXCEEDED',
    'WRONG_ENCODING', 'CRM_FIELD_ERROR_VALUE_NOT_VALID', 'ERROR_ARGUMENT', 'NOT_FOUND', 'ERROR_NOT_FOUND',
    '100', 'METHOD_CONFIRM_DENIED',
  ].map((c) => c.toLowerCase()),
);

/** Refused before execution but not for ever: retry, and a retry duplicates nothing. */
const REFUSED_RETRYABLE_CODES = new Set(['method_confirm_waiting']);

/** The request may have run: a retry must first look for the lead. */
const AMBIGUOUS_CODES = new Set(['internal_server_error', 'error_unexpected_answer', 'error_core']);

/**
 * Pause after QUERY_LIMIT_EXCEEDED for a caller without a bucket mirror (Bitrix24 sends no Retry-After).
 * The delivery worker does not use it: its mirror turns full and waits exactly one drain step.
 */
export const QUERY_LIMIT_PAUSE_MS = 2000;
const OPERATION_LIMIT_MIN_PAUSE_MS = 10_000;
const ACCESS_DENIED = /^\s*access denied\.?\s*$/i;

export interface Bitrix24ErrorBody {
  error?: unknown;
  error_description?: unknown;
}

/**
 * Maps one Bitrix24 error answer (HTTP status plus body) to what the worker must do with the lead.
 * The `error` string decides, compared case-insensitively, because the same code arrives with
 * different statuses on cloud and box portals.
 */
export function classifyBitrix24Error(
  status: number,
  body: Bitrix24ErrorBody | undefined,
  context: { operatingResetAt?: number; now?: number } = {},
): DeliveryError {
  const code = typeof body?.error === 'string' ? body.error : '';
  const description = typeof body?.error_description === 'string' ? body.error_description : '';
  const lower = code.toLowerCase();
  const message = `Bitrix24 ${status}${code ? ` ${code}` : ''}: ${description || 'no description'}`;

  if (lower === 'query_limit_exceeded') {
    return new QueryLimitExceededError(message, { code, status, retryAfterMs: QUERY_LIMIT_PAUSE_MS });
  }
  if (lower === 'operation_time_limit') {
    const now = context.now ?? Date.now();
    const untilReset = context.operatingResetAt ? context.operatingResetAt * 1000 - now + 1000 : 0;
    return new DestinationThrottledError(message, {
      code,
      status,
      retryAfterMs: Math.max(OPERATION_LIMIT_MIN_PAUSE_MS, untilReset),
    });
  }
  const unavailable = DESTINATION_CODES[lower];
  if (unavailable) return new DestinationUnavailableError(`${message} (${unavailable})`, { code, status });
  if (PERMANENT_CODES.has(lower)) return new PermanentDeliveryError(message, { code, status });
  if (REFUSED_RETRYABLE_CODES.has(lower)) return new RetryableDeliveryError(message, { code, status, ambiguous: false });
  if (AMBIGUOUS_CODES.has(lower)) return new RetryableDeliveryError(message, { code, status, ambiguous: true });
  if (status === 429) return new DestinationThrottledError(message, { code, status, retryAfterMs: FOREIGN_THROTTLE_PAUSE_MS });
  // "Access denied." is the one code-less text crm.lead.add documents: the webhook user lost the right to
  // add leads. The portal sends it as a 400 (RestException's default) and inside batch results alike, so
  // the text decides, before the code-less 400 that otherwise means this lead's own data.
  // Other code-less refusals (401/403/404) are the same problem worded differently.
  if (!code && (ACCESS_DENIED.test(description) || [401, 403, 404].includes(status))) {
    const reported = ACCESS_DENIED.test(description) ? 'ACCESS_DENIED' : `HTTP_${status}`;
    return new DestinationUnavailableError(`${message} (the webhook user may have lost the right to add leads)`, { code: reported, status });
  }
  // A code-less 400 is how crm.lead.add reports invalid field values (CCrmRestProxyBase → RestException).
  if (status === 400 || status === 422) return new PermanentDeliveryError(message, { code, status });
  if (status >= 400 && status < 500 && status !== 408) return new PermanentDeliveryError(message, { code, status });
  return new RetryableDeliveryError(message, { code, status, ambiguous: true });
}

/** Default pause after a 429 from something in front of the portal that names no Retry-After. */
export const FOREIGN_THROTTLE_PAUSE_MS = 5000;
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * True when a body is Bitrix24's own answer: a JSON object with a `result` or an `error` string.
 * Only such answers can speak about a lead's data; anything else came from a proxy, WAF or load
 * balancer in front of the portal (or a portal that crashed before its REST layer answered).
 */
export function isBitrix24Answer(body: unknown): body is Bitrix24ErrorBody & { result?: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  return Object.hasOwn(body, 'result') || typeof (body as Bitrix24ErrorBody).error === 'string';
}

/** `Retry-After` in seconds or as an HTTP date, clamped; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = /^\s*(\d{1,7})\s*$/.exec(header);
  const ms = seconds ? Number(seconds[1]) * 1000 : Date.parse(header) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/**
 * An answer that is not Bitrix24's (HTML error page, empty or plain-text body, JSON without a Bitrix24
 * error) says nothing about the lead: it is the destination's problem. A 429 throttles the destination;
 * an auth-like or not-found refusal pauses it (a probe resumes it); a 413 or other 4xx is retried
 * (refused before anything ran); 5xx and anything else may have run, so a retry must look first.
 */
export function classifyForeignAnswer(status: number, retryAfter?: string | null, now: number = Date.now()): DeliveryError {
  const message = `HTTP ${status} from in front of the portal (not a Bitrix24 answer: proxy, WAF or load balancer?)`;
  const code = `HTTP_${status}`;
  if (status === 429) {
    return new DestinationThrottledError(message, { code, status, retryAfterMs: parseRetryAfter(retryAfter, now) ?? FOREIGN_THROTTLE_PAUSE_MS });
  }
  if ([401, 403, 404, 405, 407, 410, 451].includes(status)) {
    return new DestinationUnavailableError(`${message}: check the destination URL, and any proxy or firewall between leadgate and the portal`, { code, status });
  }
  if (status >= 400 && status < 500 && status !== 408) {
    return new RetryableDeliveryError(message, { code, status, ambiguous: false });
  }
  return new RetryableDeliveryError(message, { code, status, ambiguous: true });
}

/** Node fetch failures: a refused connection never reached Bitrix24; anything later might have. */
export function classifyNetworkError(err: unknown, timeoutMs: number, aborted = false): RetryableDeliveryError {
  if (aborted) {
    return new RetryableDeliveryError('request abandoned: the worker is shutting down', { code: 'ABORTED', ambiguous: true });
  }
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (err as { code?: string } | undefined)?.code ?? '';
  if ((err as Error | undefined)?.name === 'TimeoutError' || (err as Error | undefined)?.name === 'AbortError') {
    return new RetryableDeliveryError(`Bitrix24 did not answer within ${timeoutMs} ms`, { code: 'TIMEOUT', ambiguous: true });
  }
  const neverSent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'].includes(code);
  const detail = cause?.message ?? (err as Error | undefined)?.message ?? String(err);
  return new RetryableDeliveryError(`network error talking to Bitrix24: ${code || detail}`, {
    code: code || 'NETWORK_ERROR',
    ambiguous: !neverSent,
  });
}
