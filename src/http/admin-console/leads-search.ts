import { Router, type Request } from 'express';
import { contactHash, normaliseContact } from '../../lead/contact-key';
import type { Lead, LeadSourceKind } from '../../lead/lead';
import { leadIdsForReference } from '../../lead/lead-id';
import { contactLeadIds } from '../../queue/contact-index';
import type { LeadRecord, LeadStatus } from '../../queue/lead-ledger';
import { LEAD_STATUSES, LeadSearchIndex, type LeadSearchFilter } from '../../queue/lead-search-index';
import { decodeCursor, encodeCursor, type WalkCursor } from '../../queue/sorted-set-walk';
import type { ConsoleDeps } from './console-deps';
import { pageChrome } from './console-session';
import { html, type SafeHtml } from './html';
import { page } from './layout';
import { maskEmail, maskName, maskPhone } from './mask';
import { statusBadge } from './pages-simple';

export const PAGE_SIZE = 50;
const KIND_LABELS: Record<LeadSourceKind, string> = { form: 'website forms', meta: 'Meta', google: 'Google', partner: 'partners', webhook: 'webhooks', linkedin: 'LinkedIn', tiktok: 'TikTok' };
const KINDS = Object.keys(KIND_LABELS) as LeadSourceKind[];
/** Contacts and references find few leads: at most this many are read and filtered in memory. */
const MAX_CANDIDATES = 1000;
const PHONE = /^\+?[0-9 ()./-]{5,40}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The search form's fields as the URL carries them (strings, so the form shows what was asked). */
export interface LeadQuery {
  q: string;
  status: string;
  kind: string;
  source: string;
  destination: string;
  from: string;
  to: string;
}

export function readLeadQuery(req: Request): LeadQuery {
  const text = (name: string, max = 200) => (typeof req.query[name] === 'string' ? String(req.query[name]).trim().slice(0, max) : '');
  return { q: text('q'), status: text('status', 20), kind: text('kind', 20), source: text('source'), destination: text('destination'), from: text('from', 10), to: text('to', 10) };
}

/** The filter the index understands; dates are whole UTC days, `to` included. */
export function leadFilter(query: LeadQuery): LeadSearchFilter {
  const day = (value: string) => (DAY.test(value) && Number.isFinite(Date.parse(`${value}T00:00:00Z`)) ? Date.parse(`${value}T00:00:00Z`) : undefined);
  const from = day(query.from);
  const to = day(query.to);
  return {
    ...((LEAD_STATUSES as readonly string[]).includes(query.status) ? { status: query.status as LeadStatus } : {}),
    ...((KINDS as readonly string[]).includes(query.kind) ? { kind: query.kind as LeadSourceKind } : {}),
    ...(query.source ? { source: query.source } : {}),
    ...(query.destination ? { destination: query.destination } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to: to + 86_400_000 } : {}),
  };
}

function filtered(filter: LeadSearchFilter): boolean {
  return Object.keys(filter).length > 0;
}

/** The same filter applied to records read directly (a contact's or a reference's few leads). */
function recordMatches(record: LeadRecord, filter: LeadSearchFilter): boolean {
  const received = Date.parse(record.receivedAt);
  return (!filter.status || record.status === filter.status)
    && (!filter.kind || record.source.startsWith(`${filter.kind}:`))
    && (!filter.source || record.source === filter.source)
    && (!filter.destination || record.destination === filter.destination)
    && (filter.from === undefined || received >= filter.from)
    && (filter.to === undefined || received < filter.to);
}

interface Row {
  record: LeadRecord;
  who: string;
}

export interface LeadResults {
  rows: Row[];
  next?: WalkCursor;
  /** The walk stopped at its budget: `next` continues it, back to this received time. */
  partial?: { before: string; scanned: number };
  /** What the query was taken for, masked when it is a contact. */
  label?: string;
}

function firstValue(lead: Lead, code: string): string | undefined {
  const value = lead.fields[code];
  if (Array.isArray(value)) return value[0]?.VALUE;
  return typeof value === 'string' && value ? value : undefined;
}

/** Who the lead is about, masked, while its job or dead letter still holds it. */
function whoOf(lead: Lead | undefined): string {
  if (!lead) return '—';
  const name = [firstValue(lead, 'NAME'), firstValue(lead, 'LAST_NAME')].filter(Boolean).join(' ');
  const email = firstValue(lead, 'EMAIL');
  const phone = firstValue(lead, 'PHONE');
  return [name && maskName(name), email && maskEmail(email), phone && maskPhone(phone)].filter(Boolean).join(' · ') || '—';
}

/**
 * GET /admin/leads: a lead id opens the lead; an email or phone (by hash), a partner external_ref or a
 * platform lead id finds its leads; the filters (status, source kind, source, destination, received
 * dates) walk the search index, newest first, a page at a time.
 */
export function leadsSearchRouter(deps: ConsoleDeps): Router {
  const { config } = deps;
  const index = new LeadSearchIndex(deps.redis, config.redis.prefix, config.delivery.statusRetentionSeconds);
  const router = Router();

  async function rowsOf(records: LeadRecord[]): Promise<Row[]> {
    return Promise.all(
      records.map(async (record) => {
        const lead = (await deps.deadLetters.show(record.id).catch(() => undefined))?.lead ?? (await deps.queuedLead(record.id, record.destination).catch(() => undefined));
        return { record, who: whoOf(lead) };
      }),
    );
  }

  async function records(ids: string[]): Promise<LeadRecord[]> {
    return (await Promise.all(ids.map((id) => deps.ledger.get(id)))).filter((r): r is LeadRecord => r !== undefined);
  }

  /** A contact or reference: its leads are few, read whole, filtered and paged in memory. */
  async function byQuery(q: string, filter: LeadSearchFilter, cursor: WalkCursor | undefined): Promise<LeadResults> {
    const isEmail = q.includes('@');
    const isPhone = !isEmail && PHONE.test(q);
    const ids = new Set<string>([q]);
    if (isEmail || isPhone) for (const id of await contactLeadIds(deps.redis, config.redis.prefix, contactHash(q))) ids.add(id);
    for (const id of leadIdsForReference(q, { partners: Object.keys(config.sources?.partners ?? {}), webhooks: Object.keys(config.sources?.webhooks ?? {}) })) ids.add(id);
    const found = (await records([...ids].slice(0, MAX_CANDIDATES)))
      .filter((r) => recordMatches(r, filter))
      .map((r) => ({ r, at: Date.parse(r.receivedAt) }))
      .sort((a, b) => b.at - a.at || (a.r.id < b.r.id ? 1 : -1));
    const start = cursor ? found.findIndex(({ r, at }) => at < cursor.at || (at === cursor.at && r.id < cursor.id)) : 0;
    const pageOf = start < 0 ? [] : found.slice(start, start + PAGE_SIZE);
    const more = start >= 0 && found.length > start + PAGE_SIZE;
    const last = pageOf[pageOf.length - 1];
    return {
      rows: await rowsOf(pageOf.map(({ r }) => r)),
      ...(more && last ? { next: { at: last.at, id: last.r.id } } : {}),
      ...(isEmail ? { label: maskEmail(normaliseContact(q)) } : isPhone ? { label: maskPhone(normaliseContact(q)) } : { label: 'this reference' }),
    };
  }

  async function byIndex(filter: LeadSearchFilter, cursor: WalkCursor | undefined): Promise<LeadResults> {
    const walked = await index.search(filter, { ...(cursor ? { cursor } : {}), limit: PAGE_SIZE });
    const found = await records(walked.entries.map((e) => e.id));
    return {
      rows: await rowsOf(found),
      ...(walked.next ? { next: walked.next } : {}),
      ...(walked.partial && walked.next ? { partial: { before: new Date(walked.next.at).toISOString(), scanned: walked.scanned } } : {}),
    };
  }

  router.get('/leads', async (req, res) => {
    const query = readLeadQuery(req);
    const filter = leadFilter(query);
    const cursor = decodeCursor(req.query.after);
    const choices = await index.dimensions();
    const options = {
      statuses: [...LEAD_STATUSES],
      sources: [...new Set([...choices.sources, ...Object.keys(config.forms).map((f) => `form:${f}`), ...Object.keys(config.sources?.partners ?? {}).map((p) => `partner:${p}`)])].sort(),
      destinations: [...new Set([...Object.keys(config.destinations), ...choices.destinations])].sort(),
    };
    if (query.q && !filtered(filter) && !cursor && (await deps.ledger.get(query.q))) {
      res.redirect(303, `/admin/leads/${encodeURIComponent(query.q)}`);
      return;
    }
    const results = query.q ? await byQuery(query.q, filter, cursor) : await byIndex(filter, cursor);
    const notFound = query.q !== '' && results.rows.length === 0 && !cursor;
    res.status(notFound ? 404 : 200).send(
      page(
        { title: 'Leads', section: 'leads', ...pageChrome(res), ...(notFound ? { notice: { text: 'No lead matches this id, contact or reference.', error: true } } : {}) },
        leadsSearchBody(query, options, results, cursor !== undefined),
      ),
    );
  });

  return router;
}

function select(name: string, label: string, options: Array<[string, string]>, chosen: string): SafeHtml {
  return html`<select name="${name}" aria-label="${label}"><option value="">${label}: all</option>${options.map(([value, text]) => html`<option value="${value}"${value === chosen ? ' selected' : ''}>${text}</option>`)}</select>`;
}

function queryString(query: LeadQuery, after?: WalkCursor): string {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ''));
  if (after) params.set('after', encodeCursor(after));
  return params.toString();
}

export function leadsSearchBody(query: LeadQuery, options: { statuses: string[]; sources: string[]; destinations: string[] }, results: LeadResults, paged: boolean): SafeHtml {
  const pair = (v: string): [string, string] => [v, v];
  const first = queryString(query);
  return html`<h1>Leads</h1>
<form class="bar search" method="get" action="/admin/leads" role="search">
<input type="search" name="q" value="${query.q}" placeholder="Lead id, email, phone or external_ref" aria-label="Lead id, email, phone or external_ref">
${select('status', 'Status', options.statuses.map(pair), query.status)}
${select('kind', 'Source', KINDS.map((k) => [k, KIND_LABELS[k]]), query.kind)}
${select('source', 'Form / partner', options.sources.map(pair), query.source)}
${select('destination', 'Destination', options.destinations.map(pair), query.destination)}
<label class="muted">from <input type="date" name="from" value="${query.from}" aria-label="Received from (UTC)"></label>
<label class="muted">to <input type="date" name="to" value="${query.to}" aria-label="Received until (UTC)"></label>
<button type="submit">Find</button>
${first ? html`<a href="/admin/leads">Clear</a>` : ''}
</form>
${results.label && query.q ? html`<h2>Leads about ${results.label}</h2>` : ''}
${results.rows.length === 0
  ? html`<p class="muted">${paged ? 'No more leads.' : 'No lead matches.'} Status records, and so the search, keep leads for <code>delivery.statusRetentionSeconds</code> after they were received.</p>`
  : html`<table class="leads">
<thead><tr><th>Lead</th><th>Who</th><th>Status</th><th>Source</th><th>Destination</th><th>Received (UTC)</th><th>Attempts</th></tr></thead>
<tbody>${results.rows.map(({ record: r, who }) => html`<tr data-lead-id="${r.id}"><td><a class="mono" href="/admin/leads/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${who}</td><td>${statusBadge(r.status)}</td><td>${r.source}${r.externalId ? html`<div class="muted mono">${r.externalId}</div>` : ''}</td><td>${r.destination}</td><td class="nowrap">${r.receivedAt.replace('T', ' ').slice(0, 19)}</td><td>${r.attempts}</td></tr>`)}</tbody>
</table>`}
${results.partial ? html`<p class="muted" role="status">Looked at ${results.partial.scanned} leads, back to ${results.partial.before}, without filling the page.</p>` : ''}
<nav class="pager" aria-label="Pages">
${paged ? html`<a href="/admin/leads${first ? `?${first}` : ''}">« Newest</a>` : ''}
${results.next ? html`<a rel="next" href="/admin/leads?${queryString(query, results.next)}">${results.partial ? 'Continue searching »' : 'Older »'}</a>` : ''}
</nav>`;
}
