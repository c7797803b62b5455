import { answerMetaSubscription } from '../../../src/sources/meta/subscription';

const query = (overrides: Record<string, unknown> = {}) => ({
  'hub.mode': 'subscribe', 'hub.verify_token': 'verify-me', 'hub.challenge': '1158201444', ...overrides,
});

describe('answerMetaSubscription (GET handshake)', () => {
  it('echoes the challenge when the verify token matches', () => {
    expect(answerMetaSubscription(query(), 'verify-me')).toEqual({ status: 200, challenge: '1158201444' });
  });

  it('refuses a stale or missing verify token, a wrong mode, and a missing challenge', () => {
    expect(answerMetaSubscription(query({ 'hub.verify_token': 'old-token' }), 'verify-me').status).toBe(403);
    expect(answerMetaSubscription(query({ 'hub.verify_token': undefined }), 'verify-me').status).toBe(403);
    expect(answerMetaSubscription(query({ 'hub.mode': 'unsubscribe' }), 'verify-me').status).toBe(403);
    expect(answerMetaSubscription(query({ 'hub.challenge': undefined }), 'verify-me').status).toBe(403);
  });

  it('does not reflect arbitrary text as the challenge', () => {
    expect(answerMetaSubscription(query({ 'hub.challenge': '<script>alert(1)</script>' }), 'verify-me').status).toBe(403);
  });

  it('fails closed when no verify token is configured', () => {
    expect(answerMetaSubscription(query({ 'hub.verify_token': '' }), undefined)).toEqual({ status: 403, reason: 'no verify token is configured' });
  });
});
