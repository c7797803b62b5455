/**
 * What Meta's Conversions API checks in a CRM event (Conversion Leads payload specification,
 * developers.facebook.com/documentation/ads-commerce/conversions-api/conversion-leads-integration):
 * event_name, event_time (Unix seconds, at most 7 days old: "Event Timestamp Too Old", code 100,
 * subcode 2804003), action_source, user_data with lead_id (a 15–17 digit integer) or other customer
 * data, custom_data.event_source "crm" and lead_event_source. One bad event fails the whole request.
 */
export const MAX_EVENTS = 1000;
const SEVEN_DAYS_S = 7 * 86_400;
/** Meta refuses events too far in the future as well. */
const FUTURE_SLACK_S = 10 * 60;
const ACTION_SOURCES = new Set(['email', 'website', 'app', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other']);

export interface GraphErrorBody {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  fbtrace_id: string;
}

export function invalid(message: string, subcode?: number, title?: string): GraphErrorBody {
  return {
    message: 'Invalid parameter',
    type: 'OAuthException',
    code: 100,
    ...(subcode !== undefined ? { error_subcode: subcode } : {}),
    error_user_title: title ?? 'Invalid parameter',
    error_user_msg: message,
    fbtrace_id: `Sim${Math.random().toString(36).slice(2, 12)}`,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The first problem of the request's `data`, or undefined when Meta would take every event. */
export function validateEvents(data: unknown, rawLeadIds: Array<string | null>, nowS: number): GraphErrorBody | undefined {
  if (!Array.isArray(data) || data.length === 0) return invalid('data must be a non-empty array of events');
  if (data.length > MAX_EVENTS) return invalid(`at most ${MAX_EVENTS} events per request; got ${data.length}`);
  for (const [i, event] of data.entries()) {
    const at = `event ${i}`;
    if (!isObject(event)) return invalid(`${at}: must be an object`);
    if (typeof event.event_name !== 'string' || event.event_name.trim() === '') return invalid(`${at}: event_name is required`);
    if (typeof event.event_time !== 'number' || !Number.isInteger(event.event_time)) return invalid(`${at}: event_time must be a Unix timestamp in seconds`);
    if (event.event_time > 100_000_000_000) return invalid(`${at}: event_time looks like milliseconds`);
    if (event.event_time < nowS - SEVEN_DAYS_S) {
      return invalid(`${at}: The timestamp for this event is more than 7 days in the past.`, 2804003, 'Event Timestamp Too Old');
    }
    if (event.event_time > nowS + FUTURE_SLACK_S) return invalid(`${at}: event_time is in the future`, 2804004, 'Event Timestamp In Future');
    if (typeof event.action_source !== 'string' || !ACTION_SOURCES.has(event.action_source)) return invalid(`${at}: action_source is required and must be one of ${[...ACTION_SOURCES].join(', ')}`);
    if (!isObject(event.user_data) || Object.keys(event.user_data).length === 0) return invalid(`${at}: user_data needs lead_id or customer information`);
    if (event.user_data.lead_id !== undefined) {
      const raw = rawLeadIds[i];
      if (raw === null || raw === undefined) return invalid(`${at}: user_data.lead_id must be an integer (the Meta lead id), not a string`);
      if (!/^[0-9]{15,17}$/.test(raw)) return invalid(`${at}: user_data.lead_id must be a 15 to 17 digit integer`);
    }
    if (event.action_source === 'system_generated') {
      const custom = event.custom_data;
      if (!isObject(custom) || custom.event_source !== 'crm') return invalid(`${at}: custom_data.event_source must be "crm" for CRM events`);
      if (typeof custom.lead_event_source !== 'string' || custom.lead_event_source === '') return invalid(`${at}: custom_data.lead_event_source (the CRM's name) is required`);
      if (custom.value !== undefined && (typeof custom.value !== 'number' || typeof custom.currency !== 'string' || !/^[A-Za-z]{3}$/.test(custom.currency))) {
        return invalid(`${at}: custom_data.value needs a number and a three-letter currency`);
      }
    }
    if (event.event_id !== undefined && typeof event.event_id !== 'string') return invalid(`${at}: event_id must be a string`);
  }
  return undefined;
}

/**
 * Each event's user_data.lead_id exactly as written (digits when an unquoted number, null when a
 * string or absent): JSON.parse would round a 17-digit id.
 */
export function rawLeadIds(body: string, count: number): Array<string | null> {
  const ids: Array<string | null> = [];
  const re = /"lead_id"\s*:\s*("?)([0-9]*)"?/g;
  for (let m = re.exec(body); m && ids.length < count; m = re.exec(body)) ids.push(m[1] === '"' ? null : m[2]!);
  while (ids.length < count) ids.push(null);
  return ids;
}
