/**
 * Meta Conversions API for CRM events (Conversion Leads): POST /{dataset id}/events with up to 1,000
 * events. Failures are typed like the Graph client's (src/clients/meta), with advice for a dataset
 * token; an event Meta finds too old (code 100, subcode 2804003 "Event Timestamp Too Old") is its
 * own type, since it can never be sent.
 */
import { classifyGraphError, type GraphErrorBody } from '../meta/classify-graph-error';
import { GraphRequestError, GraphTransientError, type MetaGraphError } from '../meta/graph-errors';

/** One CRM event as the payload specification describes it. */
export interface CapiEvent {
  event_name: string;
  /** Unix seconds: when the lead reached the stage. */
  event_time: number;
  action_source: 'system_generated';
  /** Deduplicates a resend of the same event. */
  event_id: string;
  user_data: { lead_id: string };
  custom_data: { event_source: 'crm'; lead_event_source: string; value?: number; currency?: string };
}

export interface MetaCapiClientOptions {
  graphUrl: string;
  version: string;
  datasetId: string;
  accessToken: string;
  testEventCode?: string;
  timeoutMs: number;
}

/** Meta's hard limit per request. */
export const MAX_CAPI_BATCH = 1000;
/** Meta refuses events older than this (the stage time, not the send time). */
export const CAPI_MAX_AGE_MS = 7 * 86_400_000;
const TOO_OLD_SUBCODE = 2804003;

/** The event's time is past Meta's 7-day limit: it expires, it is never retried. */
export class CapiEventTooOldError extends GraphRequestError {}

function reclassify(status: number, error: GraphErrorBody | undefined, usage: string | null): MetaGraphError {
  const base = classifyGraphError(status, error, usage);
  const said = base.details.graphMessage ? ` Meta said: "${base.details.graphMessage}"` : '';
  const where = `HTTP ${status}${base.details.code !== undefined ? `, code ${base.details.code}` : ''}${base.details.subcode !== undefined ? `, subcode ${base.details.subcode}` : ''}`;
  if (base.details.code === 100 && base.details.subcode === TOO_OLD_SUBCODE) {
    return new CapiEventTooOldError(`Meta refused the event as older than 7 days (${where}).${said}`, base.details);
  }
  switch (base.kind) {
    case 'auth':
      base.message = `Meta refused the Conversions API token (${where}): set a valid system-user token in conversions.meta.accessToken.${said}`;
      break;
    case 'permission':
      base.message = `Meta refused the dataset (${where}): the token's system user needs access to dataset conversions.meta.datasetId.${said}`;
      break;
    case 'request':
      base.message = `Meta refused the events (${where}): check the event (name, lead id, time) and conversions.meta.${said}`;
      break;
    default:
      break;
  }
  return base;
}

/** lead_id is a 15–17 digit integer: JSON numbers above 2^53 lose digits, so the digits go into the text as written. */
export function capiBody(events: CapiEvent[], accessToken: string, testEventCode?: string): string {
  const json = JSON.stringify({ data: events, ...(testEventCode ? { test_event_code: testEventCode } : {}), access_token: accessToken });
  return json.replace(/"lead_id":"([0-9]{1,32})"/g, '"lead_id":$1');
}

export class MetaCapiClient {
  private readonly url: string;

  constructor(private readonly options: MetaCapiClientOptions) {
    if (!/^[0-9]{1,32}$/.test(options.datasetId)) throw new Error('dataset id must be digits');
    this.url = `${options.graphUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.version)}/${options.datasetId}/events`;
  }

  /** Sends one batch; resolves with Meta's count of events received, or throws a MetaGraphError. */
  async send(events: CapiEvent[]): Promise<{ eventsReceived: number; fbtraceId?: string }> {
    if (events.length === 0 || events.length > MAX_CAPI_BATCH) throw new RangeError(`1 to ${MAX_CAPI_BATCH} events per request`);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: capiBody(events, this.options.accessToken, this.options.testEventCode),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const reason = (err as { name?: unknown } | null)?.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : 'network error';
      throw new GraphTransientError(`Meta Conversions API unreachable (${reason}); retrying.`, {});
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const answer = (body ?? {}) as { events_received?: unknown; fbtrace_id?: unknown; error?: GraphErrorBody };
    if (response.status >= 300 || answer.error) throw reclassify(response.status, answer.error, response.headers.get('x-business-use-case-usage'));
    if (typeof answer.events_received !== 'number') {
      throw new GraphTransientError(`Meta Conversions API answered ${response.status} without events_received; retrying.`, { status: response.status });
    }
    return { eventsReceived: answer.events_received, ...(typeof answer.fbtrace_id === 'string' ? { fbtraceId: answer.fbtrace_id } : {}) };
  }
}
