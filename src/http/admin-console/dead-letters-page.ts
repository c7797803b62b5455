import type { LeadFields } from '../../lead/lead';
import type { DeadLetter } from '../../queue/dead-letter-store';
import { html, type SafeHtml } from './html';
import { actionButton } from './layout';
import { maskEmail, maskName, maskPhone } from './mask';

export interface DeadLetterFilter {
  destination?: string;
  code?: string;
}

/** A failure without a Bitrix24 error code (a bare HTTP 400, a timeout) is filtered under this name. */
export const NO_CODE = '(no code)';

export function codeOf(entry: DeadLetter): string {
  return entry.code || NO_CODE;
}

export function matches(entry: DeadLetter, filter: DeadLetterFilter): boolean {
  return (!filter.destination || entry.lead.destination === filter.destination) && (!filter.code || codeOf(entry) === filter.code);
}

function firstValue(fields: LeadFields, code: string): string | undefined {
  const value = fields[code];
  if (Array.isArray(value)) return value[0]?.VALUE;
  return typeof value === 'string' && value ? value : undefined;
}

/** Who the lead is about, masked: enough to tell two dead letters apart, not to read a contact off the screen. */
function who(fields: LeadFields): string {
  const name = [firstValue(fields, 'NAME'), firstValue(fields, 'LAST_NAME')].filter(Boolean).join(' ');
  const email = firstValue(fields, 'EMAIL');
  const phone = firstValue(fields, 'PHONE');
  return [name && maskName(name), email && maskEmail(email), phone && maskPhone(phone)].filter(Boolean).join(' · ') || '—';
}

function select(name: string, label: string, options: string[], chosen?: string): SafeHtml {
  return html`<select name="${name}" aria-label="${label}"><option value="">${label}: all</option>${options.map((o) => html`<option${o === chosen ? ' selected' : ''}>${o}</option>`)}</select>`;
}

export function deadLettersBody(options: { entries: DeadLetter[]; total: number; filter: DeadLetterFilter; destinations: string[]; codes: string[]; csrf: string }): SafeHtml {
  const { entries, filter, csrf } = options;
  return html`<h1>Dead letters</h1>
<form class="bar" method="get" action="/admin/dead-letters">
${select('destination', 'Destination', options.destinations, filter.destination)}
${select('code', 'Error code', options.codes, filter.code)}
<button type="submit" class="secondary">Filter</button>
<span class="muted">${entries.length} shown of ${options.total}</span>
</form>
${entries.length === 0
  ? html`<p class="muted">No dead letters${filter.destination || filter.code ? ' match this filter' : ''}.</p>`
  : html`<table>
<thead><tr><th>Lead</th><th>Who</th><th>Destination</th><th>Code</th><th>Reason</th><th>Died</th><th></th></tr></thead>
<tbody>${entries.map((e) => {
      const id = encodeURIComponent(e.lead.id);
      return html`<tr data-lead-id="${e.lead.id}"><td><a class="mono" href="/admin/leads/${id}">${e.lead.id}</a><div class="muted">${e.lead.source.kind}:${e.lead.source.name}</div></td><td>${who(e.lead.fields)}</td><td>${e.lead.destination}</td><td class="mono">${codeOf(e)}</td><td>${e.reason}</td><td>${e.deadAt}</td>
<td><div class="actions">${actionButton({ action: `/admin/dead-letters/${id}/replay`, label: 'Replay', csrf })}${actionButton({ action: `/admin/dead-letters/${id}/purge`, label: 'Purge', csrf, style: 'danger', confirm: 'Drop this lead for good?' })}</div></td></tr>`;
    })}</tbody>
</table>`}`;
}
