import { html, type SafeHtml } from './html';
import { actionButton } from './layout';
import { pendingJobs, portalCells, type DestinationOverview } from './overview-page';

/** The last `leadgate check` run from the console, kept in Redis for every API process to show. */
export interface CheckResult {
  ok: boolean;
  lines: string[];
  at: string;
  actor: string;
}

/** Only the states that hold jobs: an empty queue reads as such. */
function backlogText(backlog: Record<string, number>): string {
  const busy = Object.entries(backlog).filter(([, n]) => n > 0);
  return busy.length ? busy.map(([state, n]) => `${state} ${n}`).join(' · ') : 'empty';
}

export function destinationsBody(destinations: DestinationOverview[], csrf: string, check?: CheckResult): SafeHtml {
  return html`<h1>Destinations</h1>
<table>
<thead><tr><th>Destination</th><th>Delivery</th><th>Backlog</th><th>Request bucket</th><th>Operating limit (10 min)</th><th></th></tr></thead>
<tbody>${destinations.map((d) => {
    const { name, portal, health, backlog } = d;
    const cells = portalCells(d);
    return html`<tr data-destination="${name}">
<td><strong>${name}</strong><div class="muted mono">${portal ?? '—'}</div></td>
<td>${health.open ? html`<span class="badge open">paused</span>` : html`<span class="badge closed">delivering</span>`}${health.since ? html`<div class="muted">since ${health.since}</div>` : ''}${health.open ? html`<div><span class="mono">${health.code ?? ''}</span> ${health.reason ?? ''}</div>${health.lastProbeError ? html`<div class="muted">last probe ${health.lastProbeAt ?? ''}: ${health.lastProbeError}</div>` : ''}` : ''}</td>
<td class="mono nowrap" data-pending="${pendingJobs(backlog)}">${backlogText(backlog)}</td>
${cells.bucket}
${cells.operating}
<td>${health.open ? actionButton({ action: `/admin/destinations/${encodeURIComponent(name)}/resume`, label: 'Resume', csrf }) : ''}</td>
</tr>`;
  })}</tbody>
</table>
<p class="muted">A destination pauses itself when the portal refuses every lead alike (revoked webhook, missing scope); its leads wait in the queue. Resume once the cause is fixed: a worker's probe also resumes it on its own. The request bucket is the budget every worker draws on (Bitrix24's leaky bucket, less headroom); operating time is what the latest answer reported for the last 10 minutes.</p>
<section class="card" data-check>
<h2>leadgate check</h2>
<p class="muted">Redis, each portal's webhook or OAuth token, mapped fields, SOURCE_ID/STATUS_ID values and assigned users, as <code>leadgate check</code> reports them. It calls every portal (a few requests each).</p>
${actionButton({ action: '/admin/destinations/check', label: 'Run check now', csrf })}
${check
  ? html`<p data-check-outcome="${check.ok ? 'passed' : 'failed'}"><span class="badge ${check.ok ? 'closed' : 'open'}">${check.ok ? 'passed' : 'failed'}</span> <span class="muted">run by ${check.actor} at ${check.at}</span></p>
<pre class="output">${check.lines.join('\n')}</pre>`
  : html`<p class="muted">Not run from the console yet.</p>`}
</section>`;
}
