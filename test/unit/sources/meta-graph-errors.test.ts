import { classifyGraphError, retryAfterFromUsage } from '../../../src/clients/meta/classify-graph-error';
import {
  GraphAuthError, GraphPermissionError, GraphRateLimitedError, GraphRequestError, GraphTransientError, MetaGraphError,
} from '../../../src/clients/meta/graph-errors';

const classify = (status: number, code?: number, subcode?: number, extra: Record<string, unknown> = {}) =>
  classifyGraphError(status, { message: 'm', type: 'OAuthException', code, error_subcode: subcode, fbtrace_id: 'T', ...extra });

describe('classifyGraphError', () => {
  it.each([4, 17, 32, 341, 613, 80001, 80004, 80005])('code %i is a rate limit: retry later', (code) => {
    const error = classify(400, code);
    expect(error).toBeInstanceOf(GraphRateLimitedError);
    expect(error.retryable).toBe(true);
    expect(error.kind).toBe('rate_limited');
  });

  it.each([[190, undefined], [190, 463], [190, 467], [102, undefined], [104, undefined], [100, 460]])(
    'code %s subcode %s is an auth failure: dead-letter and tell the operator to issue a new token', (code, subcode) => {
      const error = classify(400, code, subcode);
      expect(error).toBeInstanceOf(GraphAuthError);
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/issue a new long-lived Page access token/);
    });

  it('says why a token was rejected', () => {
    expect(classify(400, 190, 463).message).toMatch(/code 190, subcode 463: the token has expired/);
  });

  it.each([[10, undefined], [200, undefined], [299, undefined], [3, undefined], [100, 33]])(
    'code %s subcode %s is a permission problem naming leads_retrieval', (code, subcode) => {
      const error = classify(400, code, subcode);
      expect(error).toBeInstanceOf(GraphPermissionError);
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/leads_retrieval/);
    });

  it('treats codes 1 and 2, is_transient and 5xx as transient', () => {
    for (const error of [classify(500, 1), classify(503, 2), classify(400, 9999, undefined, { is_transient: true }), classifyGraphError(502, undefined)]) {
      expect(error).toBeInstanceOf(GraphTransientError);
      expect(error.retryable).toBe(true);
    }
  });

  it('treats other 4xx (bad parameter, wrong appsecret_proof) as a permanent request error', () => {
    const error = classify(400, 100);
    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error.retryable).toBe(false);
  });

  it('treats a bare 429 as a rate limit', () => {
    expect(classifyGraphError(429, undefined)).toBeInstanceOf(GraphRateLimitedError);
  });

  it('keeps Meta details for logs, and every class shares a base the worker can test', () => {
    const error = classify(400, 190, 463);
    expect(error).toBeInstanceOf(MetaGraphError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('GraphAuthError');
    expect(error.details).toEqual({ status: 400, code: 190, subcode: 463, type: 'OAuthException', fbtraceId: 'T', graphMessage: 'm' });
  });

  it('reads how long until access is regained from X-Business-Use-Case-Usage', () => {
    const header = JSON.stringify({ '1234': [{ type: 'leadgen', call_count: 100, estimated_time_to_regain_access: 5 }] });
    expect(retryAfterFromUsage(header)).toBe(300_000);
    expect(retryAfterFromUsage('not json')).toBeUndefined();
    expect((classifyGraphError(400, { code: 80005 }, header) as GraphRateLimitedError).retryAfterMs).toBe(300_000);
  });
});
