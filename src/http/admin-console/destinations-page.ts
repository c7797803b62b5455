import { html, type SafeHtml } from './html';
import { actionButton } from './layout';
import type { DestinationHealth } from './console-deps';

/** Only the states that hold jobs: an empty queue reads as such. */
function backlogText(backlog: Record<string, number>): string {
  const busy = Object.entries(backlog).filter(([, n]) => n > 0);
  return busy.length ? busy.map(([state, n]) => `${state} ${n}`).join(' · ') : 'empty';
}

export function destinationsBody(destinations: Array<{ name: string; portal?: string; health: DestinationHealth; backlog: Record<string, number> }>, csrf: string): SafeHtml {
  return html`<h1>Destinations</h1>
<table>
<thead><tr><th>Destination</th><th>Portal</th><th>Delivery</th><th>Reason</th><th>Backlog</th><th></th></tr></thead>
<tbody>${destinations.map(({ name, portal, health, backlog }) => html`<tr data-destination="${name}">
<td><strong>${name}</strong></td>
<td class="mono">${portal ?? '—'}</td>
<td>${health.open ? html`<span class="badge open">paused</span>` : html`<span class="badge closed">delivering</span>`}${health.since ? html`<div class="muted">since ${health.since}</div>` : ''}</td>
<td>${health.open ? html`<span class="mono">${health.code ?? ''}</span> ${health.reason ?? ''}${health.lastProbeError ? html`<div class="muted">last probe ${health.lastProbeAt ?? ''}: ${health.lastProbeError}</div>` : ''}` : '—'}</td>
<td class="mono nowrap">${backlogText(backlog)}</td>
<td>${health.open ? actionButton({ action: `/admin/destinations/${encodeURIComponent(name)}/resume`, label: 'Resume', csrf }) : ''}</td>
</tr>`)}</tbody>
</table>
<p class="muted">A destination pauses itself when the portal refuses every lead alike (revoked webhook, missing scope); its leads wait in the queue. Resume once the cause is fixed: a worker's probe also resumes it on its own.</p>`;
}
