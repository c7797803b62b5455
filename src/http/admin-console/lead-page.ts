import type { Lead, LeadFields } from '../../lead/lead';
import { conversionJobId } from '../../queue/conversion-jobs';
import type { ConversionRecord } from '../../queue/conversion-store';
import type { DeadLetter } from '../../queue/dead-letter-store';
import type { LeadRecord } from '../../queue/lead-ledger';
import { html, type SafeHtml } from './html';
import { actionButton } from './layout';
import { statusBadge } from './pages-simple';

export interface LeadView {
  record?: LeadRecord;
  /** The lead as queued (from its dead letter or its job), while either is kept. */
  lead?: Lead;
  deadLetter?: DeadLetter;
  /** The portal's host, when known: the lead, deal, contact and company then link to `https://PORTAL/crm/<kind>/details/ID/`. */
  portalHost?: string;
  /** What became of the lead in Bitrix24, reported to Meta and Google; undefined when the loop is not configured. */
  conversions?: ConversionRecord[];
}

type CrmKind = 'lead' | 'deal' | 'contact' | 'company';

/**
 * What the lead became in Bitrix24, each once: the lead (absent on a deal destination, whose
 * bitrixLeadId is the deal), the deal it was converted into or created as, its contact and company.
 */
function crmRecords(record: LeadRecord): Array<[CrmKind, string, number]> {
  const out: Array<[CrmKind, string, number]> = [];
  const dealId = record.crm?.dealId ?? (record.entity === 'deal' ? record.bitrixLeadId : undefined);
  if (record.bitrixLeadId && record.entity !== 'deal') out.push(['lead', 'Bitrix24 lead', record.bitrixLeadId]);
  if (dealId) out.push(['deal', 'Deal', dealId]);
  if (record.crm?.contactId) out.push(['contact', 'Contact', record.crm.contactId]);
  if (record.crm?.companyId) out.push(['company', 'Company', record.crm.companyId]);
  return out;
}

function crmLink(host: string | undefined, kind: CrmKind, crmId: number): SafeHtml {
  if (!host) return html`#${crmId}`;
  return html`<a href="https://${host}/crm/${kind}/details/${crmId}/" rel="noreferrer" target="_blank">#${crmId} in the portal</a>`;
}

function fieldValue(value: LeadFields[string]): string {
  return Array.isArray(value) ? value.map((entry) => `${entry.VALUE} (${entry.VALUE_TYPE})`).join(', ') : String(value);
}

/** One lead in full, personal data included: only signed-in operators reach it. */
export function leadBody(id: string, view: LeadView, csrf: string): SafeHtml {
  const { record, lead, deadLetter } = view;
  const history = record?.history ?? deadLetter?.attempts ?? [];
  const encoded = encodeURIComponent(id);
  return html`<h1>Lead <span class="mono">${id}</span> ${record ? statusBadge(record.status) : deadLetter ? statusBadge('dead') : ''}</h1>
${deadLetter
  ? html`<section class="card" data-dead-letter>
<h2>Dead letter</h2>
<p>${deadLetter.code ? html`<strong>${deadLetter.code}</strong>: ` : ''}${deadLetter.reason} <span class="muted">(${deadLetter.deadAt})</span></p>
<div class="actions">${actionButton({ action: `/admin/dead-letters/${encoded}/replay`, label: 'Replay', csrf })}${actionButton({ action: `/admin/dead-letters/${encoded}/purge`, label: 'Purge', csrf, style: 'danger', confirm: 'Drop this lead for good?' })}</div>
</section>`
  : ''}
<section class="card">
<h2>Status</h2>
${record
  ? html`<dl>
<dt>Status</dt><dd data-status="${record.status}">${record.status}</dd>
<dt>Source</dt><dd>${record.source}${record.externalId ? html` · <span class="mono">${record.externalId}</span>` : ''}</dd>
<dt>Destination</dt><dd>${record.destination}</dd>
<dt>Received</dt><dd>${record.receivedAt}</dd>
<dt>Updated</dt><dd>${record.updatedAt}</dd>
<dt>Attempts</dt><dd>${record.attempts}</dd>
${crmRecords(record).map(([kind, label, crmId]) => html`<dt>${label}</dt><dd data-crm="${kind}">${crmLink(view.portalHost, kind, crmId)}</dd>`)}
${record.crm?.commentId ? html`<dt>Timeline comment</dt><dd>#${record.crm.commentId} <span class="muted">(the submission, added to the person's open ${record.entity === 'deal' ? 'deal' : 'lead'})</span></dd>` : ''}
${record.assignedTo ? html`<dt>Assigned to</dt><dd>user ${record.assignedTo}</dd>` : ''}
${record.lastError ? html`<dt>Last error</dt><dd>${record.lastError}</dd>` : ''}
</dl>`
  : html`<p class="muted">No status record is kept for this lead (it expired, or the id is unknown).</p>`}
</section>
${view.conversions ? conversionsCard(view.conversions, csrf) : ''}
${lead ? leadData(lead) : ''}
<section class="card">
<h2>Attempts</h2>
${history.length === 0
  ? html`<p class="muted">No attempt recorded yet.</p>`
  : html`<table><thead><tr><th>When</th><th>Outcome</th><th>Code</th><th>Bitrix24 / error text</th></tr></thead>
<tbody>${history.map((a) => html`<tr><td>${a.at}</td><td>${a.outcome}</td><td class="mono">${a.code ?? ''}</td><td>${a.message ?? ''}</td></tr>`)}</tbody></table>`}
</section>`;
}

function leadData(lead: Lead): SafeHtml {
  const utm = Object.entries(lead.utm).filter(([, v]) => v);
  const clickIds = Object.entries(lead.tracking.clickIds ?? {});
  return html`<section class="card">
<h2>Fields (Bitrix24 codes)</h2>
<dl>${Object.entries(lead.fields).map(([code, value]) => html`<dt class="mono">${code}</dt><dd>${fieldValue(value)}</dd>`)}</dl>
${lead.extras.length > 0 ? html`<h2>Extra fields (in ${lead.trackingField})</h2><dl>${lead.extras.map((e) => html`<dt>${e.label}</dt><dd>${e.value}</dd>`)}</dl>` : ''}
<h2>Attribution</h2>
<dl>
<dt>UTM</dt><dd>${utm.length ? utm.map(([k, v]) => `utm_${k}=${v}`).join(', ') : '—'}</dd>
<dt>Click ids</dt><dd class="mono">${clickIds.length ? clickIds.map(([k, v]) => `${k}=${v}`).join(', ') : '—'}</dd>
${lead.tracking.pageUrl ? html`<dt>Page</dt><dd>${lead.tracking.pageUrl}</dd>` : ''}
${lead.tracking.referrer ? html`<dt>Referrer</dt><dd>${lead.tracking.referrer}</dd>` : ''}
</dl>
</section>`;
}

const PLATFORM_NAMES: Record<ConversionRecord['platform'], string> = { meta: 'Meta', google: 'Google Ads' };

/**
 * The lead's conversion events, oldest stage first: which Bitrix24 stage became which platform event,
 * when, and where it stands. A dead one can be sent again from here, as `leadgate conversions dlq replay` does.
 */
function conversionsCard(conversions: ConversionRecord[], csrf: string): SafeHtml {
  return html`<section class="card" data-conversions>
<h2>Conversions</h2>
${conversions.length === 0
  ? html`<p class="muted">No mapped Bitrix24 stage reached yet: nothing reported to Meta or Google.</p>`
  : html`<table><thead><tr><th>Platform</th><th>Event</th><th>Bitrix24 stage</th><th>Stage reached</th><th>State</th><th>Attempts</th><th>Updated</th><th></th></tr></thead>
<tbody>${conversions.map((c) => html`<tr data-conversion="${c.platform}:${c.eventName}" data-state="${c.status}">
<td>${PLATFORM_NAMES[c.platform] ?? c.platform}</td><td>${c.eventName}</td><td class="mono">${c.stage.entity} #${c.stage.crmId} · ${c.stage.stageId}</td><td>${c.stage.at}</td>
<td>${statusBadge(c.status)}${c.error ? html`<div class="muted" data-reason>${c.code ? html`<strong>${c.code}</strong>: ` : ''}${c.error}</div>` : ''}</td>
<td>${c.attempts}</td><td>${c.updatedAt}</td>
<td>${c.status === 'dead' ? actionButton({ action: `/admin/conversions/${encodeURIComponent(conversionJobId(c))}/replay`, label: 'Replay', csrf }) : ''}</td>
</tr>`)}</tbody></table>`}
</section>`;
}
