import type { AuditEntry } from '../../queue/audit-log';
import type { LeadRecord } from '../../queue/lead-ledger';
import { html, type SafeHtml } from './html';

export function loginBody(error?: string): SafeHtml {
  return html`<section class="card login">
<h1>leadgate console</h1>
${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
<form method="post" action="/admin/login">
<label for="token">Your token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
<p class="muted">Your own operator token (<code>admin.operators</code>), or this gateway's <code>admin.token</code> (ADMIN_TOKEN).</p>
</section>`;
}

export function statusBadge(status: string): SafeHtml {
  return html`<span class="badge ${status}">${status}</span>`;
}

/** The search box, and the leads a contact search found (status records only: no personal data). */
export function leadsBody(query: string, found?: { label: string; records: LeadRecord[] }): SafeHtml {
  return html`<h1>Leads</h1>
<form class="bar" method="get" action="/admin/leads" role="search">
<input type="search" name="q" value="${query}" placeholder="Lead id, email or phone" aria-label="Lead id, email or phone">
<button type="submit">Find</button>
</form>
${found
  ? html`<h2>${found.records.length} lead(s) about ${found.label}</h2>
${found.records.length === 0 ? html`<p class="muted">No lead with this contact is kept (status records expire with <code>delivery.statusRetentionSeconds</code>).</p>` : leadTable(found.records)}`
  : html`<p class="muted">Find a lead by its id (as answered to the form or API), or by the email or phone it carried: contacts are looked up by their hash.</p>`}`;
}

function leadTable(records: LeadRecord[]): SafeHtml {
  return html`<table>
<thead><tr><th>Lead</th><th>Status</th><th>Source</th><th>Destination</th><th>Received</th><th>Attempts</th></tr></thead>
<tbody>${records.map(
    (r) => html`<tr><td><a class="mono" href="/admin/leads/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${statusBadge(r.status)}</td><td>${r.source}</td><td>${r.destination}</td><td>${r.receivedAt}</td><td>${r.attempts}</td></tr>`,
  )}</tbody>
</table>`;
}

export function auditBody(entries: AuditEntry[]): SafeHtml {
  return html`<h1>Audit log</h1>
<p class="muted">Every sign-in and action in this console, newest first (last 5000, kept 90 days).</p>
<table>
<thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Outcome</th><th>Address</th></tr></thead>
<tbody>${entries.map(
    (e) => html`<tr><td>${e.at}</td><td>${e.actor}</td><td>${e.action}</td><td class="mono">${e.target ?? ''}</td><td>${e.outcome}</td><td class="mono">${e.ip ?? ''}</td></tr>`,
  )}</tbody>
</table>`;
}
