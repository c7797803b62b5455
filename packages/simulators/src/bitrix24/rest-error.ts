/** A Bitrix24 REST error; the wire body is only `error` + `error_description`, as in CRestServer. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(description || code);
    this.name = 'RestError';
  }

  toBody(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** Texts are copied from the reference so clients can match them exactly. */
export const restErrors = {
  noAuth: () => new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data'),
  invalidCredentials: () => new RestError(403, 'INVALID_CREDENTIALS', 'Invalid request credentials'),
  expiredToken: () => new RestError(401, 'expired_token', 'The access token provided has expired'),
  /** Not in the docs; the OAuth server's own wording (clients treat it like expired_token). */
  invalidToken: () => new RestError(401, 'invalid_token', 'The access token provided is invalid'),
  methodNotFound: () => new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'),
  queryLimitExceeded: () => new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
  operationTimeLimit: () =>
    new RestError(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.'),
  batchMethodNotAllowed: () =>
    new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage'),
  batchLengthExceeded: () => new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded'),
  /** The webhook's wording; an OAuth token gets "…provided by the access token". */
  insufficientScope: (via: 'webhook' | 'token') =>
    new RestError(
      403,
      'insufficient_scope',
      `The request requires higher privileges than provided by the ${via === 'webhook' ? 'webhook token' : 'access token'}`,
    ),
  /** CRM entity errors: RestException without a code → empty `error`, HTTP 400. */
  crm: (description: string) => new RestError(400, '', description),
};
