import { createHash } from 'node:crypto';
import type { LeadFields } from '../../lead/lead';
import type { BulkJob } from '../../queue/dead-letter-bulk';
import { deadLetterCode } from '../../queue/dead-letter-index';
import type { DeadLetter } from '../../queue/dead-letter-store';
import { encodeCursor, type WalkCursor } from '../../queue/sorted-set-walk';
import { html, type SafeHtml } from './html';
import { actionButton, csrfField } from './layout';
import { maskEmail, maskName, maskPhone } from './mask';

/** The filter as the URL (or the bulk form) carries it. */
export interface DeadLetterQuery {
  destination: string;
  code: string;
  source: string;
  from: string;
  to: string;
}

/**
 * The dead-letter pages' script: select every row of a page, confirm a bulk purge, and keep a bulk
 * job's progress current by polling its JSON until it is done. Served from /admin/assets (CSP 'self').
 */
export const DEAD_LETTERS_JS = `
document.addEventListener('change', function (event) {
  var all = event.target.closest && event.target.closest('input[data-select-all]');
  if (!all) return;
  document.querySelectorAll('input[name=id][form=bulk-selected]').forEach(function (box) { box.checked = all.checked; });
});
document.addEventListener('click', function (event) {
  var button = event.target.closest && event.target.closest('button[data-confirm-click]');
  if (button && !window.confirm(button.getAttribute('data-confirm-click'))) event.preventDefault();
});
var job = document.querySelector('[data-bulk-job]');
function poll() {
  if (!job || job.getAttribute('data-status') !== 'running') return;
  fetch('/admin/bulk/' + encodeURIComponent(job.getAttribute('data-bulk-job')) + '/progress', { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (response) { return response.ok ? response.json() : Promise.reject(new Error('HTTP ' + response.status)); })
    .then(function (state) {
      ['total', 'done', 'skipped', 'failed', 'status', 'updatedAt', 'lastError'].forEach(function (name) {
        var field = job.querySelector('[data-field=' + name + ']');
        if (field) field.textContent = state[name] === undefined ? '' : String(state[name]);
      });
      var bar = job.querySelector('progress');
      if (bar) bar.value = state.done + state.skipped + state.failed;
      job.setAttribute('data-status', state.status);
      if (state.status !== 'running') job.querySelectorAll('[data-when-done]').forEach(function (el) { el.hidden = false; });
    })
    .catch(function () { /* the next poll tries again */ })
    .then(function () { setTimeout(poll, 1000); });
}
poll();
`;

export const DEAD_LETTERS_JS_VERSION = createHash('sha256').update(DEAD_LETTERS_JS).digest('hex').slice(0, 12);

function script(): SafeHtml {
  return html`<script src="/admin/assets/dead-letters.js?v=${DEAD_LETTERS_JS_VERSION}" defer></script>`;
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

function queryString(query: DeadLetterQuery, after?: WalkCursor): string {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ''));
  if (after) params.set('after', encodeCursor(after));
  return params.toString();
}

function hiddenFilter(query: DeadLetterQuery): SafeHtml {
  return html`${Object.entries(query).map(([name, value]) => (value ? html`<input type="hidden" name="${name}" value="${value}">` : ''))}`;
}

export function deadLettersBody(options: {
  entries: DeadLetter[];
  total: number;
  query: DeadLetterQuery;
  next?: WalkCursor;
  paged: boolean;
  destinations: string[];
  codes: string[];
  sources: string[];
  jobs: BulkJob[];
  csrf: string;
}): SafeHtml {
  const { entries, query, csrf } = options;
  const filtered = Object.values(query).some(Boolean);
  const first = queryString(query);
  return html`<h1>Dead letters</h1>
<form class="bar" method="get" action="/admin/dead-letters" role="search">
${select('destination', 'Destination', options.destinations, query.destination)}
${select('code', 'Error code', options.codes, query.code)}
${select('source', 'Source', options.sources, query.source)}
<label class="muted">died from <input type="date" name="from" value="${query.from}" aria-label="Died from (UTC)"></label>
<label class="muted">to <input type="date" name="to" value="${query.to}" aria-label="Died until (UTC)"></label>
<button type="submit" class="secondary">Filter</button>
${filtered ? html`<a href="/admin/dead-letters">Clear</a>` : ''}
<span class="muted">${options.total} dead letter(s) in all</span>
</form>
<section class="card bulk">
<h2>${filtered ? 'Everything this filter matches' : 'Every dead letter'}</h2>
<div class="actions">
<form class="inline" method="post" action="/admin/dead-letters/bulk" data-confirm="Replay every dead letter ${filtered ? 'this filter matches' : 'there is'}?">${csrfField(csrf)}<input type="hidden" name="scope" value="filter">${hiddenFilter(query)}<button type="submit" name="action" value="replay">Replay all matching</button></form>
<form class="inline" method="post" action="/admin/dead-letters/bulk" data-confirm="Drop every dead letter ${filtered ? 'this filter matches' : 'there is'} for good?">${csrfField(csrf)}<input type="hidden" name="scope" value="filter">${hiddenFilter(query)}<button type="submit" class="danger" name="action" value="purge">Purge all matching</button></form>
</div>
<p class="muted">A bulk action runs in chunks with a progress page; it survives a restart of the API (another process takes it up).</p>
${options.jobs.length > 0 ? html`<ul class="jobs">${options.jobs.map((j) => html`<li><a href="/admin/bulk/${j.id}">${j.action} · ${j.description}</a> <span class="muted">${j.status}, ${j.done}/${j.total}, ${j.createdAt}</span></li>`)}</ul>` : ''}
</section>
<form id="bulk-selected" method="post" action="/admin/dead-letters/bulk" class="bar">${csrfField(csrf)}<input type="hidden" name="scope" value="selected">
<button type="submit" class="secondary" name="action" value="replay">Replay selected</button>
<button type="submit" class="danger" name="action" value="purge" data-confirm-click="Drop the selected dead letters for good?">Purge selected</button>
</form>
${entries.length === 0
  ? html`<p class="muted">${options.paged ? 'No more dead letters.' : `No dead letters${filtered ? ' match this filter' : ''}.`}</p>`
  : html`<table>
<thead><tr><th><input type="checkbox" data-select-all aria-label="Select every dead letter on this page"></th><th>Lead</th><th>Who</th><th>Destination</th><th>Code</th><th>Reason</th><th>Died</th><th></th></tr></thead>
<tbody>${entries.map((e) => {
      const id = encodeURIComponent(e.lead.id);
      return html`<tr data-lead-id="${e.lead.id}"><td><input type="checkbox" name="id" value="${e.lead.id}" form="bulk-selected" aria-label="Select ${e.lead.id}"></td><td><a class="mono" href="/admin/leads/${id}">${e.lead.id}</a><div class="muted">${e.lead.source.kind}:${e.lead.source.name}</div></td><td>${who(e.lead.fields)}</td><td>${e.lead.destination}</td><td class="mono">${deadLetterCode(e)}</td><td>${e.reason}</td><td class="nowrap">${e.deadAt.replace('T', ' ').slice(0, 19)}</td>
<td><div class="actions">${actionButton({ action: `/admin/dead-letters/${id}/replay`, label: 'Replay', csrf })}${actionButton({ action: `/admin/dead-letters/${id}/purge`, label: 'Purge', csrf, style: 'danger', confirm: 'Drop this lead for good?' })}</div></td></tr>`;
    })}</tbody>
</table>`}
<nav class="pager" aria-label="Pages">
${options.paged ? html`<a href="/admin/dead-letters${first ? `?${first}` : ''}">« Newest</a>` : ''}
${options.next ? html`<a rel="next" href="/admin/dead-letters?${queryString(query, options.next)}">Older »</a>` : ''}
</nav>
${script()}`;
}

export function bulkJobBody(job: BulkJob): SafeHtml {
  const handled = job.done + job.skipped + job.failed;
  const verb = job.action === 'replay' ? 'Replayed' : 'Purged';
  return html`<h1>Bulk ${job.action} <span class="mono">${job.id}</span></h1>
<section class="card" data-bulk-job="${job.id}" data-status="${job.status}">
<p>${job.description} · started ${job.createdAt} by ${job.actor}</p>
<progress max="${Math.max(job.total, 1)}" value="${job.total === 0 ? 1 : handled}"></progress>
<dl>
<dt>Status</dt><dd data-field="status">${job.status}</dd>
<dt>Dead letters</dt><dd data-field="total">${job.total}</dd>
<dt>${verb}</dt><dd data-field="done">${job.done}</dd>
<dt>Skipped</dt><dd><span data-field="skipped">${job.skipped}</span> <span class="muted">(no longer dead-lettered when their turn came)</span></dd>
<dt>Failed</dt><dd data-field="failed">${job.failed}</dd>
<dt>Last error</dt><dd data-field="lastError">${job.lastError ?? ''}</dd>
<dt>Updated</dt><dd data-field="updatedAt">${job.updatedAt}</dd>
</dl>
<p data-when-done${job.status === 'running' ? ' hidden' : ''}>Finished. <a href="/admin/dead-letters">Back to the dead letters</a> · <a href="/admin/audit">audit log</a></p>
</section>
${script()}`;
}
