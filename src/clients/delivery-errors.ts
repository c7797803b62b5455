/**
 * What a failed delivery means for the lead, decided once where the CRM's answer is read, so the
 * worker acts on a type and never matches strings.
 */
export abstract class DeliveryError extends Error {
  /** CRM error code as received (empty string for Bitrix24's code-less validation errors). */
  readonly code: string;
  readonly status?: number;

  constructor(message: string, details: { code?: string; status?: number } = {}) {
    super(message);
    this.name = new.target.name;
    this.code = details.code ?? '';
    this.status = details.status;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** The CRM refused the lead for a reason a retry cannot fix (invalid field values, wrong credentials, missing scope). */
export class PermanentDeliveryError extends DeliveryError {}

/** A failure worth retrying later. `ambiguous` when the request may have been executed, so a retry must look first. */
export class RetryableDeliveryError extends DeliveryError {
  readonly ambiguous: boolean;

  constructor(message: string, details: { code?: string; status?: number; ambiguous: boolean }) {
    super(message, details);
    this.ambiguous = details.ambiguous;
  }
}

/**
 * The portal refused the request before executing it because of its limits (QUERY_LIMIT_EXCEEDED,
 * OPERATION_TIME_LIMIT): the whole destination should wait, and the lead's attempt is not spent.
 */
export class DestinationThrottledError extends DeliveryError {
  readonly retryAfterMs: number;

  constructor(message: string, details: { code: string; status?: number; retryAfterMs: number }) {
    super(message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * QUERY_LIMIT_EXCEEDED: the portal's request counter was above its limit and the request was refused
 * before anything ran, so sending the same request again duplicates nothing. The worker keeps the
 * leads and sends again once the bucket has drained one request.
 */
export class QueryLimitExceededError extends DestinationThrottledError {}

/**
 * The destination cannot take any lead until an operator acts (its OAuth refresh token or client was
 * rejected): pause the destination and keep its leads; retrying each lead cannot help, dead-lettering
 * them would lose the queue. `reason` says what to do, in words fit for logs, metrics and /readyz.
 */
export class DestinationUnavailableError extends DeliveryError {
  readonly reason: string;
  /** The destination's name, when the thrower knows it. */
  readonly destination?: string;

  constructor(reason: string, details: { code: string; status?: number; destination?: string }) {
    super(details.destination ? `destination "${details.destination}" unavailable: ${reason}` : reason, details);
    this.reason = reason;
    this.destination = details.destination;
  }
}
