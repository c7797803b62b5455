import type { LeadFields } from '../../lead/lead';
import { DeliveryError, DestinationUnavailableError, RetryableDeliveryError } from '../delivery-errors';
import { classifyBitrix24Error, classifyForeignAnswer, classifyNetworkError, isBitrix24Answer, type Bitrix24ErrorBody } from './classify-error';
import type { OAuthTokenSource } from './oauth-session';
import { toPhpQuery } from './php-query';

/** The `time` object Bitrix24 appends to successful answers; operating counters are optional. */
export interface Bitrix24Time {
  start?: number;
  finish?: number;
  duration?: number;
  processing?: number;
  operating?: number;
  operating_reset_at?: number;
}

/** Exactly one of `webhookUrl` and `oauth` (createBitrix24Client picks from a destination's config). */
export interface Bitrix24ClientOptions {
  /** Incoming webhook: https://PORTAL/rest/USER_ID/CODE/ */
  webhookUrl?: string;
  /** OAuth application: calls go to the session's client_endpoint with `auth` in the body. */
  oauth?: OAuthTokenSource;
  timeoutMs: number;
  userAgent?: string;
  /** Called with every answer's timing, so the limiter can follow the operating budget. */
  onTime?: (time: Bitrix24Time) => void;
  /**
   * Resolves when one more request may be sent: the repeat after a token refresh is a second HTTP
   * request the caller's rate limiter did not reserve.
   */
  beforeRepeat?: () => Promise<void>;
}

export interface LeadToAdd {
  key: string;
  fields: LeadFields;
  params?: Record<string, string>;
}

/** Per lead: the new Bitrix24 lead id, or why this one lead failed. */
export type AddResult = { leadId: number } | { error: DeliveryError };

export const MAX_BATCH_COMMANDS = 50;
/** crm.lead.list answers 50 rows a page, fixed by Bitrix24. */
const LIST_PAGE_SIZE = 50;

interface BatchResult {
  result?: Record<string, unknown> | unknown[];
  result_error?: Record<string, Bitrix24ErrorBody> | unknown[];
}

/** Codes with which a portal refuses an access token before running anything. */
const TOKEN_REFUSALS = new Set(['expired_token', 'invalid_token']);

/**
 * Talks to one portal through its incoming webhook or as an OAuth application. Every failure is
 * thrown as a typed DeliveryError; what to do about it is the worker's business.
 */
export class Bitrix24Client {
  private readonly base?: string;
  private readonly session?: OAuthTokenSource;
  private lastOperatingResetAt?: number;

  constructor(private readonly options: Bitrix24ClientOptions) {
    const { webhookUrl, oauth } = options;
    if ((webhookUrl === undefined) === (oauth === undefined)) {
      throw new Error('Bitrix24Client needs exactly one of webhookUrl and oauth (build clients with createBitrix24Client)');
    }
    if (webhookUrl !== undefined) this.base = webhookUrl.endsWith('/') ? webhookUrl : `${webhookUrl}/`;
    this.session = oauth;
  }

  /**
   * Runs one REST method. As an OAuth app, an `expired_token`/`invalid_token` answer triggers one
   * refresh (shared by all workers) and one repeat: auth is checked before anything runs, so the
   * repeat duplicates nothing (reference §5.3).
   */
  async call<T>(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const session = this.session;
    if (!session) return this.send<T>(`${this.base}${method}.json`, params, signal);
    const stale = await session.current();
    try {
      return await this.send<T>(`${stale.clientEndpoint}${method}.json`, { ...params, auth: stale.accessToken }, signal);
    } catch (err) {
      if (!isTokenRefusal(err)) throw err;
    }
    const renewed = await session.refresh(stale.accessToken);
    await this.options.beforeRepeat?.();
    try {
      return await this.send<T>(`${renewed.clientEndpoint}${method}.json`, { ...params, auth: renewed.accessToken }, signal);
    } catch (err) {
      if (!isTokenRefusal(err)) throw err;
      throw new RetryableDeliveryError(`Bitrix24 refused the access token again right after a refresh (${err.code})`, {
        code: err.code,
        status: err.status,
        ambiguous: false,
      });
    }
  }

  private async send<T>(url: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    let response: Response;
    let text: string;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': this.options.userAgent ?? 'leadgate/0.1',
        },
        body: JSON.stringify(params),
        // A moved portal answers 302; following it would turn the POST into a GET and drop the lead.
        redirect: 'manual',
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      text = await response.text();
    } catch (err) {
      throw classifyNetworkError(err, this.options.timeoutMs, signal?.aborted === true && !timeout.aborted);
    }
    if (response.status >= 300 && response.status < 400) {
      // The portal moved: every lead would be redirected alike, so the destination pauses until its URL is fixed.
      const fix = this.session ? 'the OAuth client_endpoint is stale' : 'update the webhook URL';
      throw new DestinationUnavailableError(
        `Bitrix24 portal moved (HTTP ${response.status} to ${response.headers.get('location') ?? '?'}): ${fix}`,
        { code: 'PORTAL_MOVED', status: response.status },
      );
    }
    const body = parseJson(text);
    if (!isBitrix24Answer(body)) throw classifyForeignAnswer(response.status, response.headers.get('retry-after'));
    const answer = body as { result?: T; time?: Bitrix24Time } & Bitrix24ErrorBody;
    if (answer.time) {
      if (answer.time.operating_reset_at) this.lastOperatingResetAt = answer.time.operating_reset_at;
      this.options.onTime?.(answer.time);
    }
    if (response.status >= 300 || answer.error !== undefined) {
      throw classifyBitrix24Error(response.status, answer, { operatingResetAt: this.lastOperatingResetAt });
    }
    return answer.result as T;
  }

  async addLead(fields: LeadFields, params: Record<string, string> = {}, signal?: AbortSignal): Promise<number> {
    const id = await this.call<number | string>('crm.lead.add', { fields, params }, signal);
    return Number(id);
  }

  /**
   * Adds up to 50 leads in one `batch` request (halt=0), so one bad lead does not stop its
   * neighbours. A failure of the request itself is thrown; per-lead failures are returned.
   */
  async addLeads(leads: LeadToAdd[], signal?: AbortSignal): Promise<Map<string, AddResult>> {
    if (leads.length > MAX_BATCH_COMMANDS) throw new RangeError(`at most ${MAX_BATCH_COMMANDS} leads per batch`);
    const cmd: Record<string, string> = {};
    for (const lead of leads) cmd[lead.key] = `crm.lead.add?${toPhpQuery({ fields: lead.fields, params: lead.params ?? {} })}`;
    const answer = await this.call<BatchResult>('batch', { halt: 0, cmd }, signal);
    const results = new Map<string, AddResult>();
    const ok = (Array.isArray(answer.result) ? {} : answer.result) ?? {};
    const failed = (Array.isArray(answer.result_error) ? {} : answer.result_error) ?? {};
    for (const lead of leads) {
      const error = failed[lead.key];
      const id = ok[lead.key];
      if (error) results.set(lead.key, { error: classifyBitrix24Error(400, error, { operatingResetAt: this.lastOperatingResetAt }) });
      else if (id !== undefined && id !== null && Number(id) > 0) results.set(lead.key, { leadId: Number(id) });
      else {
        results.set(lead.key, {
          error: classifyBitrix24Error(500, { error: 'ERROR_UNEXPECTED_ANSWER', error_description: 'batch answer has no result for this command' }),
        });
      }
    }
    return results;
  }

  /**
   * Every lead created with our ORIGINATOR_ID for these ORIGIN_IDs (at most 50 ids), oldest first, so
   * a duplicate shows up as a second id. Pages with `>ID` and `start=-1` (no COUNT(*) on the portal).
   */
  async findLeadsByOrigin(originatorId: string, originIds: string[], signal?: AbortSignal): Promise<Map<string, number[]>> {
    const found = new Map<string, number[]>();
    if (originIds.length === 0) return found;
    if (originIds.length > 50) throw new RangeError('at most 50 origin ids per lookup');
    for (let afterId = 0; ; ) {
      const rows = await this.call<Array<{ ID: string; ORIGIN_ID: string }>>('crm.lead.list', {
        filter: { ORIGINATOR_ID: originatorId, '@ORIGIN_ID': originIds, '>ID': afterId },
        select: ['ID', 'ORIGIN_ID'],
        order: { ID: 'ASC' },
        start: -1,
      }, signal);
      for (const row of rows ?? []) {
        const id = Number(row.ID);
        found.set(row.ORIGIN_ID, [...(found.get(row.ORIGIN_ID) ?? []), id]);
        afterId = Math.max(afterId, id);
      }
      if (!rows || rows.length < LIST_PAGE_SIZE) return found;
    }
  }

  /** Removes one lead (a duplicate leadgate created itself). */
  async deleteLead(id: number, signal?: AbortSignal): Promise<void> {
    await this.call<boolean>('crm.lead.delete', { id }, signal);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isTokenRefusal(err: unknown): err is DeliveryError {
  return err instanceof DeliveryError && TOKEN_REFUSALS.has(err.code.toLowerCase());
}
