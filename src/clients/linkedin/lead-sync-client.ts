import type { LinkedInLeadForm, LinkedInLeadResponse } from '../../sources/linkedin/linkedin-lead';

export type LinkedInErrorKind = 'auth' | 'rate_limited' | 'transient' | 'permission' | 'not_found' | 'request';

/** A failed Lead Sync API call, typed by what the worker should do about it. */
export class LinkedInApiError extends Error {
  constructor(message: string, readonly kind: LinkedInErrorKind, readonly status: number, readonly code?: string) {
    super(message);
    this.name = 'LinkedInApiError';
  }

  /** Rate limits and LinkedIn's own failures pass; permissions and unknown responses do not. */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'transient';
  }
}

/** Supplies the member token and renews it when LinkedIn refuses it (linkedin-tokens.ts). */
export interface LinkedInTokenSource {
  current(): Promise<string>;
  /** After a 401 with `rejected`: a fresh token (refreshed by one process), or a LinkedInApiError 'auth'. */
  renew(rejected: string): Promise<string>;
}

/** LinkedIn's error body: `{status, serviceErrorCode, code, message}` (api-guide "Error handling"). */
function classify(status: number, body: { code?: string; message?: string; serviceErrorCode?: number }): LinkedInApiError {
  const what = `LinkedIn answered ${status}${body.code ? ` ${body.code}` : ''}${body.message ? `: ${body.message.slice(0, 200)}` : ''}`;
  if (status === 401) return new LinkedInApiError(what, 'auth', status, body.code);
  if (status === 403) return new LinkedInApiError(`${what} (the token's member needs r_marketing_leadgen_automation on the organisation or ad account)`, 'permission', status, body.code);
  if (status === 404) return new LinkedInApiError(what, 'not_found', status, body.code);
  if (status === 429) return new LinkedInApiError(what, 'rate_limited', status, body.code);
  if (status >= 500) return new LinkedInApiError(what, 'transient', status, body.code);
  return new LinkedInApiError(what, 'request', status, body.code);
}

/**
 * Reads lead form responses and forms from the Lead Sync API (`/rest/leadFormResponses/{id}`,
 * `/rest/leadForms/{id}`) with the versioned Rest.li headers. A refused token is renewed once and
 * the call repeated; every other failure is a typed LinkedInApiError.
 */
export class LeadSyncClient {
  constructor(private readonly options: { apiUrl: string; apiVersion: string; timeoutMs: number; tokens: LinkedInTokenSource }) {}

  fetchResponse(responseId: string): Promise<LinkedInLeadResponse> {
    return this.get(`/rest/leadFormResponses/${encodeURIComponent(responseId)}`) as Promise<LinkedInLeadResponse>;
  }

  fetchForm(formId: string): Promise<LinkedInLeadForm> {
    return this.get(`/rest/leadForms/${encodeURIComponent(formId)}`) as Promise<LinkedInLeadForm>;
  }

  private async get(path: string): Promise<unknown> {
    const token = await this.options.tokens.current();
    try {
      return await this.once(path, token);
    } catch (err) {
      if (!(err instanceof LinkedInApiError) || err.kind !== 'auth') throw err;
      return this.once(path, await this.options.tokens.renew(token));
    }
  }

  private async once(path: string, token: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.options.apiUrl), {
        headers: { authorization: `Bearer ${token}`, 'linkedin-version': this.options.apiVersion, 'x-restli-protocol-version': '2.0.0' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new LinkedInApiError(`cannot reach LinkedIn: ${(err as Error).message}`, 'transient', 0);
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      if (response.ok) throw new LinkedInApiError('LinkedIn answered with a body that is not JSON', 'transient', response.status);
      body = {};
    }
    if (!response.ok) throw classify(response.status, (body ?? {}) as { code?: string; message?: string });
    return body;
  }
}
