import type { CaptchaReply, CaptchaVerifyRequest } from '../../sources/captcha-decision';

/** A siteverify reply as JSON, or why there is none to read. */
export type SiteverifyAnswer = { ok: true; body: Record<string, unknown> } | { ok: false; reply: Extract<CaptchaReply, { kind: 'unavailable' }> };

/**
 * POSTs a form-urlencoded body (every provider takes it) and reads a JSON object back, all within
 * `timeoutMs`: the reference's advice is to never wait on a provider indefinitely. Anything but a 2xx
 * JSON object is no verdict; the caller's failMode decides what that means.
 */
export async function postSiteverify(url: string, form: URLSearchParams, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<SiteverifyAnswer> {
  const unavailable = (reason: 'timeout' | 'status' | 'network' | 'malformed'): SiteverifyAnswer => ({ ok: false, reply: { kind: 'unavailable', reason } });
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return unavailable('status');
    }
    let body: unknown;
    try {
      body = JSON.parse(await response.text());
    } catch (err) {
      if (isTimeout(err)) return unavailable('timeout');
      return unavailable('malformed');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body) || typeof (body as { success?: unknown }).success !== 'boolean') return unavailable('malformed');
    return { ok: true, body: body as Record<string, unknown> };
  } catch (err) {
    return unavailable(isTimeout(err) ? 'timeout' : 'network');
  }
}

function isTimeout(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/** The reply fields every provider shares (`success`, `error-codes`, `hostname`), typed defensively. */
export function commonReply(body: Record<string, unknown>): Extract<CaptchaReply, { kind: 'answered' }> {
  const codes = body['error-codes'];
  return {
    kind: 'answered',
    success: body.success === true,
    errorCodes: Array.isArray(codes) ? codes.filter((c): c is string => typeof c === 'string') : [],
    ...(typeof body.hostname === 'string' ? { hostname: body.hostname } : {}),
  };
}

/** The body every provider takes: secret, token and, when known, the visitor's IP. */
export function siteverifyForm(request: CaptchaVerifyRequest): URLSearchParams {
  const form = new URLSearchParams({ secret: request.secret, response: request.token });
  if (request.remoteIp) form.set('remoteip', request.remoteIp);
  return form;
}
