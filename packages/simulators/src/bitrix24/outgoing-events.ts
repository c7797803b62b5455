/**
 * Outgoing events as a portal sends them to a handler (an "outgoing webhook" or an application's
 * event.bind): a form-encoded POST with PHP bracket keys, `event`, `event_handler_id`,
 * `data[FIELDS][ID]`, `ts` and `auth[...]` carrying the handler's `application_token`
 * (b24-rest-docs, e.g. api-reference/crm/leads/events/on-crm-lead-update.md). The portal sends
 * each event once and does not resend a failed one; `dropNext` loses events on purpose.
 */
export const OUTGOING_EVENTS = ['ONCRMLEADADD', 'ONCRMLEADUPDATE', 'ONCRMDEALADD', 'ONCRMDEALUPDATE'] as const;
export type OutgoingEventName = (typeof OUTGOING_EVENTS)[number];

export interface EventSubscription {
  /** The handler URL events are POSTed to. */
  url: string;
  /** Sent as auth[application_token]; the handler checks it. */
  applicationToken: string;
  /** Default: every event. */
  events?: OutgoingEventName[];
}

export interface SentEvent {
  event: OutgoingEventName;
  id: number;
  url: string;
  at: string;
  /** The handler's HTTP status; absent when the event was dropped or the request failed. */
  status?: number;
  dropped?: boolean;
  error?: string;
}

export class OutgoingEvents {
  private subscriptions: Array<EventSubscription & { handlerId: number }> = [];
  private log: SentEvent[] = [];
  private inFlight = new Set<Promise<void>>();
  private nextHandlerId = 1;
  /** The next this many events are lost (never sent), as when a handler was unreachable. */
  dropNext = 0;

  /** Who the portal is, in each event's auth[]: set once the server listens. */
  portal = { domain: 'portal.invalid', memberId: '', clientEndpoint: '' };

  subscribe(subscription: EventSubscription): number {
    const handlerId = this.nextHandlerId++;
    this.subscriptions.push({ ...subscription, handlerId });
    return handlerId;
  }

  emit(event: OutgoingEventName, id: number, nowMs: number): void {
    for (const sub of this.subscriptions) {
      if (sub.events && !sub.events.includes(event)) continue;
      const entry: SentEvent = { event, id, url: sub.url, at: new Date(nowMs).toISOString() };
      this.log.push(entry);
      if (this.dropNext > 0) {
        this.dropNext--;
        entry.dropped = true;
        continue;
      }
      const body = encodeEvent(event, id, nowMs, sub.handlerId, { ...this.portal, applicationToken: sub.applicationToken });
      const sending = fetch(sub.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, signal: AbortSignal.timeout(10_000) })
        .then(async (res) => {
          entry.status = res.status;
          await res.arrayBuffer().catch(() => undefined);
        })
        .catch((err: Error) => {
          entry.error = err.message;
        })
        .finally(() => this.inFlight.delete(sending));
      this.inFlight.add(sending);
    }
  }

  /** Resolves once every event sent so far has been answered (or failed). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  sent(): SentEvent[] {
    return this.log.map((e) => ({ ...e }));
  }

  reset(): void {
    this.subscriptions = [];
    this.log = [];
    this.dropNext = 0;
  }
}

/** http_build_query of the event, as PHP encodes it (brackets percent-encoded). */
export function encodeEvent(
  event: string,
  id: number,
  nowMs: number,
  handlerId: number,
  auth: { domain: string; memberId: string; clientEndpoint: string; applicationToken: string },
): string {
  const pairs: Array<[string, string]> = [
    ['event', event],
    ['event_handler_id', String(handlerId)],
    ['data[FIELDS][ID]', String(id)],
    ['ts', String(Math.floor(nowMs / 1000))],
    ['auth[domain]', auth.domain],
    ['auth[client_endpoint]', auth.clientEndpoint],
    ['auth[server_endpoint]', 'https://oauth.bitrix.info/rest/'],
    ['auth[member_id]', auth.memberId],
    ['auth[application_token]', auth.applicationToken],
  ];
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
