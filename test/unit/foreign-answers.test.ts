import { classifyBitrix24Error, classifyForeignAnswer, isBitrix24Answer, parseRetryAfter } from '../../src/clients/bitrix24/classify-error';
import {
  DestinationThrottledError,
  DestinationUnavailableError,
  PermanentDeliveryError,
  RetryableDeliveryError,
  type DeliveryError,
} from '../../src/clients/delivery-errors';

/** What an error means for the lead, in one word. */
function verdict(error: DeliveryError): string {
  if (error instanceof DestinationThrottledError) return `throttle ${error.retryAfterMs}`;
  if (error instanceof DestinationUnavailableError) return 'pause';
  if (error instanceof PermanentDeliveryError) return 'dead';
  if (error instanceof RetryableDeliveryError) return error.ambiguous ? 'retry, look first' : 'retry';
  return 'unknown';
}

describe('#4 which answers are Bitrix24 speaking about the lead', () => {
  it.each([
    [{ result: 7 }, true],
    [{ result: null }, true],
    [{ error: '', error_description: 'Invalid value' }, true],
    [{ error: 'QUERY_LIMIT_EXCEEDED' }, true],
    [{ message: 'Forbidden' }, false],
    [{ error: 403 }, false],
    [[{ result: 1 }], false],
    ['<html>403 Forbidden</html>', false],
    [undefined, false],
    [null, false],
  ])('%j is a Bitrix24 answer: %s', (body, expected) => {
    expect(isBitrix24Answer(body)).toBe(expected);
  });
});

describe('#4 an answer from in front of the portal is the destination’s problem, never the lead’s', () => {
  it.each([
    [429, '7', 'throttle 7000'],
    [429, null, 'throttle 5000'],
    [401, null, 'pause'],
    [403, null, 'pause'],
    [404, null, 'pause'],
    [405, null, 'pause'],
    [407, null, 'pause'],
    [410, null, 'pause'],
    [451, null, 'pause'],
    [400, null, 'retry'],
    [413, null, 'retry'],
    [414, null, 'retry'],
    [408, null, 'retry, look first'],
    [500, null, 'retry, look first'],
    [502, null, 'retry, look first'],
    [504, null, 'retry, look first'],
  ])('HTTP %i (Retry-After %s) → %s', (status, retryAfter, expected) => {
    expect(verdict(classifyForeignAnswer(status, retryAfter))).toBe(expected);
  });

  it('reads Retry-After as seconds or an HTTP date, clamped to ten minutes, and ignores junk', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('86400', now)).toBe(600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("#4 Bitrix24's own answers", () => {
  it.each([
    [400, '', 'pause'],
    [422, '', 'pause'],
    [403, '', 'pause'],
    [404, '', 'pause'],
    [401, '', 'pause'],
    [429, '', 'throttle 5000'],
    [500, 'INTERNAL_SERVER_ERROR', 'retry, look first'],
  ])('HTTP %i with error code "%s" → %s', (status, code, expected) => {
    expect(verdict(classifyBitrix24Error(status, { error: code, error_description: 'Access denied.' }))).toBe(expected);
  });

  it("reads the code-less 'Access denied.' the portal sends as a 400 (also inside batch results) as the webhook user's rights, not the lead's data", () => {
    const denied = classifyBitrix24Error(400, { error: '', error_description: 'Access denied.' });
    expect(verdict(denied)).toBe('pause');
    expect(denied.code).toBe('ACCESS_DENIED');
    expect(verdict(classifyBitrix24Error(400, { error: '', error_description: ' access denied ' }))).toBe('pause');
    // Any other code-less 400 text is the lead's own data, and so is a text that merely mentions access.
    expect(verdict(classifyBitrix24Error(400, { error: '', error_description: 'Invalid value for field STATUS_ID' }))).toBe('dead');
    expect(verdict(classifyBitrix24Error(400, { error: '', error_description: 'Access denied. Field UF_CRM_X is read-only' }))).toBe('dead');
  });
});
