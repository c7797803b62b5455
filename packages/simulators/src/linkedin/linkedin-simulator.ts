import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A lead form as the Lead Sync API's `GET /rest/leadForms/{id}` returns it. */
export interface LinkedInSimForm {
  id: number;
  name: string;
  questions: Array<{ questionId: number; name: string; label: string; predefinedField?: string; options?: Array<{ id: number; label: string }> }>;
  consents?: Array<{ consentId: number; text: string }>;
}

/** A form response as `GET /rest/leadFormResponses/{id}` returns it (built by `addResponse`). */
export interface LinkedInSimResponse {
  id: string;
  formId: number;
  answers: Array<{ questionId: number; text?: string; options?: number[] }>;
  consents?: Array<{ consentId: number; accepted: boolean }>;
  testLead?: boolean;
  sponsoredAccount?: string;
  campaign?: string;
  creative?: string;
  submittedAt?: number;
}

export interface LinkedInSimulatorOptions {
  clientId?: string;
  clientSecret: string;
  /** The member token the API accepts at start. */
  accessToken: string;
  /** The refresh token the token endpoint accepts. */
  refreshToken?: string;
  /** The scopes token introspection reports (default r_marketing_leadgen_automation,r_organization_admin). */
  scope?: string;
  host?: string;
  port?: number;
}

export interface LinkedInApiCall {
  method: string;
  path: string;
  token?: string;
  version?: string;
  status: number;
}

export interface LinkedInSimulator {
  url: string;
  /** The token the API accepts now (changes on refresh). */
  accessToken(): string;
  addForm(form: LinkedInSimForm): void;
  addResponse(response: LinkedInSimResponse): void;
  /** The token the API accepts stops working with EXPIRED_ACCESS_TOKEN (65601); a refresh issues a new one. */
  expireToken(): void;
  /** Every token, and the refresh token, stops working (REVOKED_ACCESS_TOKEN, invalid_grant). */
  revokeAll(): void;
  /** The next `count` API calls answer `status` with LinkedIn's error body. */
  failNext(count: number, status: number, code: string): void;
  calls(): LinkedInApiCall[];
  /** The notification body LinkedIn sends for a stored response. */
  notificationBody(responseId: string, action?: 'CREATED' | 'DELETED'): string;
  /** Posts a notification, signed with X-LI-Signature (or with another secret / none). */
  sendNotification(webhookUrl: string, responseId: string, options?: { action?: 'CREATED' | 'DELETED'; signWith?: string | false; body?: string }): Promise<Response>;
  /** LinkedIn's validation: GET ?challengeCode=<uuid>, true when the answer is right and came within 3 s. */
  sendChallenge(webhookUrl: string): Promise<{ ok: boolean; status: number; body: unknown; ms: number }>;
  close(): Promise<void>;
}

const hmacHex = (secret: string, text: string | Buffer): string => createHmac('sha256', secret).update(text).digest('hex');

/** X-LI-Signature: hex HMAC-SHA256 of "hmacsha256=" + the body, keyed with the client secret. */
export function linkedInSignature(body: string, clientSecret: string): string {
  return hmacHex(clientSecret, `hmacsha256=${body}`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-restli-protocol-version': '2.0.0' });
  res.end(JSON.stringify(body));
}

/** LinkedIn's error body (api-guide "Error handling"): `{status, serviceErrorCode, code, message}`. */
const apiError = (status: number, code: string, serviceErrorCode: number, message: string) => ({ status, serviceErrorCode, code, message });

const localized = (text: string) => ({ localized: { en_US: text }, preferredLocale: { country: 'US', language: 'en' } });

/**
 * A LinkedIn stand-in over real HTTP: the Lead Sync API's form and form-response reads (Bearer token,
 * `LinkedIn-Version` required, LinkedIn's error bodies for expired/revoked/invalid tokens, missing
 * permissions, unknown ids), the OAuth token endpoint's refresh grant, and a sender of signed lead
 * notifications and validation challenges.
 */
export async function startLinkedInSimulator(options: LinkedInSimulatorOptions): Promise<LinkedInSimulator> {
  const clientId = options.clientId ?? '86abcdefghijkl';
  let token = options.accessToken;
  const expired = new Set<string>();
  let revoked = false;
  let refreshToken = options.refreshToken;
  const forms = new Map<string, LinkedInSimForm>();
  const responses = new Map<string, LinkedInSimResponse>();
  const failures: Array<{ status: number; code: string }> = [];
  const log: LinkedInApiCall[] = [];
  const scope = options.scope ?? 'r_marketing_leadgen_automation,r_organization_admin';

  function formBody(form: LinkedInSimForm) {
    return {
      id: form.id,
      name: form.name,
      state: 'PUBLISHED',
      content: {
        questions: form.questions.map((q) => ({
          questionId: q.questionId,
          name: q.name,
          question: localized(q.label),
          ...(q.predefinedField ? { predefinedField: q.predefinedField } : {}),
          questionDetails: q.options
            ? { multipleChoiceQuestionDetails: { options: q.options.map((o) => ({ id: o.id, text: localized(o.label) })) } }
            : { textQuestionDetails: { maxResponseLength: 300 } },
        })),
        consents: (form.consents ?? []).map((c) => ({ consentId: c.consentId, content: localized(c.text), required: false })),
      },
    };
  }

  function responseBody(r: LinkedInSimResponse) {
    return {
      id: r.id,
      owner: { sponsoredAccount: r.sponsoredAccount ?? 'urn:li:sponsoredAccount:522529623' },
      submitter: 'urn:li:person:xxxxxxxx',
      submittedAt: r.submittedAt ?? Date.now(),
      testLead: r.testLead ?? false,
      leadType: 'SPONSORED',
      versionedLeadGenFormUrn: `urn:li:versionedLeadGenForm:(urn:li:leadGenForm:${r.formId},1)`,
      leadMetadata: { sponsoredLeadMetadata: { campaign: r.campaign ?? 'urn:li:sponsoredCampaign:259483736' } },
      associatedEntity: { associatedCreative: r.creative ?? 'urn:li:sponsoredCreative:198765432' },
      formResponse: {
        answers: r.answers.map((a) => ({
          questionId: a.questionId,
          answerDetails: a.options ? { multipleChoiceAnswer: { options: a.options } } : { textQuestionAnswer: { answer: a.text ?? '' } },
        })),
        consentResponses: (r.consents ?? []).map((c) => ({ consentId: c.consentId, accepted: c.accepted })),
      },
    };
  }

  function api(req: IncomingMessage, url: URL): { status: number; body: unknown } {
    const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const version = req.headers['linkedin-version'];
    const answer = (status: number, body: unknown) => {
      log.push({ method: req.method ?? 'GET', path: url.pathname, ...(presented ? { token: presented } : {}), ...(typeof version === 'string' ? { version } : {}), status });
      return { status, body };
    };
    if (!presented) return answer(401, apiError(401, 'INVALID_ACCESS_TOKEN', 65600, 'Invalid access token'));
    if (revoked) return answer(401, apiError(401, 'REVOKED_ACCESS_TOKEN', 65602, 'The token used in the request has been revoked by the user'));
    if (expired.has(presented)) return answer(401, apiError(401, 'EXPIRED_ACCESS_TOKEN', 65601, 'The token used in the request has expired'));
    if (presented !== token) return answer(401, apiError(401, 'INVALID_ACCESS_TOKEN', 65600, 'Invalid access token'));
    if (typeof version !== 'string' || !/^[0-9]{6}$/.test(version)) return answer(426, apiError(426, 'VERSION_MISSING', 0, 'A version must be present. Please specify a version by adding the LinkedIn-Version header.'));
    const failure = failures.shift();
    if (failure) return answer(failure.status, apiError(failure.status, failure.code, 0, `simulated ${failure.code}`));
    const responseMatch = /^\/rest\/leadFormResponses\/([^/]+)$/.exec(url.pathname);
    if (responseMatch) {
      const found = responses.get(decodeURIComponent(responseMatch[1]!));
      return found ? answer(200, responseBody(found)) : answer(404, apiError(404, 'NOT_FOUND', 0, 'Not Found'));
    }
    const formMatch = /^\/rest\/leadForms\/([0-9]+)$/.exec(url.pathname);
    if (formMatch) {
      const found = forms.get(formMatch[1]!);
      return found ? answer(200, formBody(found)) : answer(404, apiError(404, 'NOT_FOUND', 0, 'Not Found'));
    }
    return answer(404, apiError(404, 'RESOURCE_NOT_FOUND', 0, `No virtual resource found for ${url.pathname}`));
  }

  async function tokenEndpoint(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const form = new URLSearchParams(text);
    if (form.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant_type must be refresh_token' } };
    if (form.get('client_id') !== clientId || form.get('client_secret') !== options.clientSecret) return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } };
    if (revoked || !refreshToken || form.get('refresh_token') !== refreshToken) return { status: 400, body: { error: 'invalid_grant', error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked.' } };
    token = `AQX-${randomUUID()}`;
    return { status: 200, body: { access_token: token, expires_in: 5_184_000, refresh_token: refreshToken, refresh_token_expires_in: 31_536_000 } };
  }

  /** POST /oauth/v2/introspectToken: LinkedIn's token introspection (client credentials + token). */
  async function introspect(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const form = new URLSearchParams(text);
    if (form.get('client_id') !== clientId || form.get('client_secret') !== options.clientSecret) return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } };
    const presented = form.get('token') ?? '';
    const status = revoked ? 'revoked' : expired.has(presented) ? 'expired' : presented === token ? 'active' : undefined;
    if (!status) return { status: 200, body: { active: false } };
    return { status: 200, body: { active: status === 'active', client_id: clientId, authorized_at: Math.floor(Date.now() / 1000) - 86_400, created_at: Math.floor(Date.now() / 1000) - 86_400, status, expires_at: Math.floor(Date.now() / 1000) + 59 * 86_400, scope: scope, auth_type: '3L' } };
  }

  /**
   * Control routes, so a person can play LinkedIn from curl: `POST /_sim/forms` (a form),
   * `POST /_sim/responses` (a response to it), `POST /_sim/notifications {targetUrl, responseId,
   * action?}` (LinkedIn's signed notification, answered with what the target said) and
   * `POST /_sim/challenge {targetUrl}` (the URL validation).
   */
  async function control(req: IncomingMessage, path: string): Promise<{ status: number; body: unknown }> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const input = JSON.parse(text || '{}') as Record<string, unknown>;
    switch (path) {
      case '/_sim/forms':
        if (typeof input.id !== 'number' || !Array.isArray(input.questions)) return { status: 400, body: { error: 'a form needs a numeric id and questions' } };
        forms.set(String(input.id), input as unknown as LinkedInSimForm);
        return { status: 201, body: { ok: true, id: input.id } };
      case '/_sim/responses':
        if (typeof input.id !== 'string' || typeof input.formId !== 'number' || !Array.isArray(input.answers)) return { status: 400, body: { error: 'a response needs a string id, a numeric formId and answers' } };
        responses.set(input.id, input as unknown as LinkedInSimResponse);
        return { status: 201, body: { ok: true, id: input.id } };
      case '/_sim/notifications': {
        if (typeof input.targetUrl !== 'string' || typeof input.responseId !== 'string') return { status: 400, body: { error: 'body must be {"targetUrl", "responseId", "action"?}' } };
        const action = input.action === 'DELETED' ? 'DELETED' : 'CREATED';
        const body = notificationBody(input.responseId, action);
        const sent = await fetch(input.targetUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'X-LI-Signature': linkedInSignature(body, options.clientSecret) }, body });
        return { status: 200, body: { status: sent.status, answer: (await sent.json().catch(() => undefined)) as unknown } };
      }
      case '/_sim/challenge':
        if (typeof input.targetUrl !== 'string') return { status: 400, body: { error: 'body must be {"targetUrl"}' } };
        return { status: 200, body: await challenge(input.targetUrl) };
      default:
        return { status: 404, body: { error: `no control route ${path}` } };
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    if (req.method === 'POST' && url.pathname.startsWith('/_sim/')) {
      control(req, url.pathname).then((a) => send(res, a.status, a.body), (err: Error) => send(res, 400, { error: err.message }));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/oauth/v2/introspectToken') {
      introspect(req).then((a) => send(res, a.status, a.body), () => send(res, 500, { error: 'server_error' }));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/oauth/v2/accessToken') {
      tokenEndpoint(req).then((a) => send(res, a.status, a.body), () => send(res, 500, { error: 'server_error' }));
      return;
    }
    if (req.method !== 'GET') return send(res, 405, apiError(405, 'METHOD_NOT_ALLOWED', 0, 'Method not allowed'));
    const a = api(req, url);
    send(res, a.status, a.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const notificationBody = (responseId: string, action: 'CREATED' | 'DELETED' = 'CREATED'): string => {
    const r = responses.get(responseId);
    return JSON.stringify({
      type: 'LEAD_ACTION',
      leadGenFormResponse: `urn:li:leadGenFormResponse:${responseId}`,
      leadGenForm: `urn:li:versionedLeadGenForm:(urn:li:leadGenForm:${r?.formId ?? 1}, 1)`,
      owner: { sponsoredAccount: r?.sponsoredAccount ?? 'urn:li:sponsoredAccount:522529623' },
      associatedEntity: { sponsoredCreative: r?.creative ?? 'urn:li:sponsoredCreative:198765432' },
      leadType: 'SPONSORED',
      leadAction: action,
      occurredAt: Date.now(),
    });
  };

  async function challenge(webhookUrl: string): Promise<{ ok: boolean; status: number; body: unknown; ms: number }> {
    const code = randomUUID();
    const started = Date.now();
    const response = await fetch(`${webhookUrl}?challengeCode=${code}`, { signal: AbortSignal.timeout(3000) });
    const ms = Date.now() - started;
    const body = (await response.json().catch(() => undefined)) as { challengeCode?: string; challengeResponse?: string } | undefined;
    const ok = response.status === 200 && (response.headers.get('content-type') ?? '').includes('application/json') && body?.challengeCode === code && body.challengeResponse === hmacHex(options.clientSecret, code) && ms < 3000;
    return { ok, status: response.status, body, ms };
  }

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    accessToken: () => token,
    addForm: (form) => forms.set(String(form.id), form),
    addResponse: (response) => responses.set(response.id, response),
    expireToken: () => expired.add(token),
    revokeAll: () => {
      revoked = true;
      refreshToken = undefined;
    },
    failNext: (count, status, code) => {
      for (let i = 0; i < count; i += 1) failures.push({ status, code });
    },
    calls: () => [...log],
    notificationBody,
    async sendNotification(webhookUrl, responseId, sendOptions = {}) {
      const body = sendOptions.body ?? notificationBody(responseId, sendOptions.action);
      const secret = sendOptions.signWith === undefined ? options.clientSecret : sendOptions.signWith;
      return fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(secret === false ? {} : { 'X-LI-Signature': linkedInSignature(body, secret) }) }, body });
    },
    sendChallenge: challenge,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
