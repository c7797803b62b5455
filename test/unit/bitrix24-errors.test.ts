import { classifyBitrix24Error, classifyNetworkError } from '../../src/clients/bitrix24/classify-error';
import { DestinationThrottledError, DestinationUnavailableError, PermanentDeliveryError, RetryableDeliveryError } from '../../src/clients/delivery-errors';

describe('Bitrix24 error classification', () => {
  it('pauses the destination on QUERY_LIMIT_EXCEEDED without spending an attempt', () => {
    const error = classifyBitrix24Error(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    expect(error).toBeInstanceOf(DestinationThrottledError);
    expect((error as DestinationThrottledError).retryAfterMs).toBeGreaterThan(0);
  });

  it('waits for operating_reset_at on OPERATION_TIME_LIMIT', () => {
    const now = 1_700_000_000_000;
    const error = classifyBitrix24Error(429, { error: 'OPERATION_TIME_LIMIT' }, { operatingResetAt: now / 1000 + 120, now });
    expect((error as DestinationThrottledError).retryAfterMs).toBe(121_000);
  });

  it.each([
    [400, ''],
    [400, 'CRM_FIELD_ERROR_VALUE_NOT_VALID'],
    [400, 'ERROR_ARGUMENT'],
  ])('dead-letters %i "%s" (this lead\'s data) at once', (status, code) => {
    expect(classifyBitrix24Error(status, { error: code, error_description: 'x' })).toBeInstanceOf(PermanentDeliveryError);
  });

  it.each([
    [403, 'INVALID_CREDENTIALS'],
    [403, 'ACCESS_DENIED'],
    [403, 'insufficient_scope'],
    [404, 'ERROR_METHOD_NOT_FOUND'],
    [401, 'no_auth_found'],
    [403, 'PORTAL_DELETED'],
    [503, 'OVERLOAD_LIMIT'],
  ])('pauses the whole destination on %i %s, with a reason an operator can act on', (status, code) => {
    const error = classifyBitrix24Error(status, { error: code, error_description: 'x' }) as DestinationUnavailableError;
    expect(error).toBeInstanceOf(DestinationUnavailableError);
    expect(error.reason.length).toBeGreaterThan(20);
  });

  it('treats 5xx without a code and INTERNAL_SERVER_ERROR as ambiguous (the lead may exist)', () => {
    const plain = classifyBitrix24Error(502, undefined) as RetryableDeliveryError;
    const internal = classifyBitrix24Error(500, { error: 'INTERNAL_SERVER_ERROR' }) as RetryableDeliveryError;
    expect(plain).toBeInstanceOf(RetryableDeliveryError);
    expect(plain.ambiguous && internal.ambiguous).toBe(true);
  });

  it('retries METHOD_CONFIRM_WAITING as refused-before-execution', () => {
    const error = classifyBitrix24Error(401, { error: 'METHOD_CONFIRM_WAITING' }) as RetryableDeliveryError;
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.ambiguous).toBe(false);
  });

  it('knows a refused connection never reached the portal but a reset one might have', () => {
    const refused = classifyNetworkError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), 1000);
    const reset = classifyNetworkError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET' } }), 1000);
    const timeout = classifyNetworkError(Object.assign(new Error('t'), { name: 'TimeoutError' }), 1000);
    expect([refused.ambiguous, reset.ambiguous, timeout.ambiguous]).toEqual([false, true, true]);
  });
});
