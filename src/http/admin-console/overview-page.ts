import type { ActivityRange, ActivityWindow, LatencySummary } from '../../queue/activity';
import { ACTIVITY_EVENTS, type ActivityEvent } from '../../shared/metrics';
import { colourFor, legend, stackedBars } from './bar-chart';
import type { DestinationHealth, PortalUse } from './console-deps';
import { html, type SafeHtml } from './html';

export type Breakdown = 'source' | 'destination';

export interface DestinationOverview {
  name: string;
  portal?: string;
  health: DestinationHealth;
  backlog: Record<string, number>;
  use: PortalUse;
}

export interface OverviewData {
  generatedAt: string;
  activity: ActivityWindow;
  destinations: DestinationOverview[];
  deadLetters: number;
}

export const EVENT_LABELS: Record<ActivityEvent, string> = {
  received: 'Received',
  queued: 'Queued',
  delivered: 'Delivered',
  retried: 'Retried',
  dead: 'Dead-lettered',
  spam: 'Spam',
};

/** Received and spam are counted as submissions arrive, before a lead (and its destination) exists. */
const DESTINATION_EVENTS = new Set<ActivityEvent>(['queued', 'delivered', 'retried', 'dead']);

const RANGE_LABELS: Record<ActivityRange, string> = { hour: 'Last hour', day: 'Last day', week: 'Last week' };

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Jobs still to deliver: failed jobs are the dead letters' business, shown apart. */
export function pendingJobs(backlog: Record<string, number>): number {
  return (backlog.wait ?? 0) + (backlog.active ?? 0) + (backlog.delayed ?? 0) + (backlog.prioritized ?? 0);
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `≤${ms} ms`;
  if (ms < 120_000) return `≤${ms / 1000} s`;
  if (ms < 7_200_000) return `≤${Math.round(ms / 60_000)} min`;
  return `≤${Math.round(ms / 3_600_000)} h`;
}

/** The page's frame: range and breakdown switches, and the part the script renews every few seconds. */
export function overviewBody(range: ActivityRange, by: Breakdown, live: SafeHtml): SafeHtml {
  const link = (r: ActivityRange, b: Breakdown) => `/admin/overview?range=${r}&by=${b}`;
  return html`<h1>Overview</h1>
<nav class="tabs" aria-label="Time range">${(Object.keys(RANGE_LABELS) as ActivityRange[]).map(
    (r) => html`<a href="${link(r, by)}"${r === range ? html` aria-current="true"` : ''}>${RANGE_LABELS[r]}</a>`,
  )}<span class="spacer"></span>${(['source', 'destination'] as const).map((b) => html`<a href="${link(range, b)}"${b === by ? html` aria-current="true"` : ''}>per ${b}</a>`)}</nav>
<div id="overview-live" data-live-url="/admin/overview/live?range=${range}&amp;by=${by}" data-live-ms="5000">${live}</div>`;
}

/** Everything that changes: re-rendered on the server for each poll, so the page and its updates look alike. */
export function overviewLive(data: OverviewData, by: Breakdown): SafeHtml {
  const { activity } = data;
  const table = (event: ActivityEvent) => (by === 'source' ? activity.series[event].bySource : activity.series[event].byDestination);
  const names = [...new Set(ACTIVITY_EVENTS.flatMap((e) => Object.keys(table(e))))];
  const colours = colourFor(names);
  const total = (event: ActivityEvent) => sum(Object.values(activity.series[event].byDestination).flat()) || sum(Object.values(activity.series[event].bySource).flat());
  const backlog = sum(data.destinations.map((d) => pendingJobs(d.backlog)));
  const overall = activity.latency['*'];
  return html`<div class="tiles">
${ACTIVITY_EVENTS.map((event) => html`<div class="tile" data-event="${event}"><span class="muted">${EVENT_LABELS[event]}</span><strong data-total="${event}">${total(event)}</strong></div>`)}
<div class="tile"><span class="muted">Backlog</span><strong data-backlog>${backlog}</strong></div>
<div class="tile"><span class="muted">Dead letters</span><strong><a href="/admin/dead-letters">${data.deadLetters}</a></strong></div>
<div class="tile"><span class="muted">Latency p50</span><strong data-latency="p50">${formatMs(overall?.p50Ms)}</strong></div>
<div class="tile"><span class="muted">Latency p95</span><strong data-latency="p95">${formatMs(overall?.p95Ms)}</strong></div>
</div>
<div class="charts">
${ACTIVITY_EVENTS.map((event) => {
  const series = table(event);
  const totals = Object.fromEntries(Object.entries(series).map(([name, values]) => [name, sum(values)]));
  return html`<section class="card chart-card" data-chart="${event}">
<h2>${EVENT_LABELS[event]} per ${by}</h2>
${stackedBars({ label: `${EVENT_LABELS[event]} per ${by}, ${activity.starts.length} buckets`, series, starts: activity.starts, bucketMs: activity.bucketMs, colours })}
${Object.keys(series).length ? legend(Object.keys(series).sort(), colours, totals) : html`<p class="muted">None in this range.</p>`}
</section>`;
})}
</div>
${breakdownTable('Per source', activity, 'source')}
${breakdownTable('Per destination', activity, 'destination')}
<h2>Portals</h2>
${portalsTable(data.destinations, activity.latency)}
<p class="muted" data-generated-at="${data.generatedAt}">Updated ${data.generatedAt.slice(11, 19)} UTC; every process counts into Redis and writes once a second. Delivered, retried and dead-lettered count deliveries by the lead's source kind; latency is from receipt to the lead's existence in Bitrix24 (histogram bucket bounds).</p>`;
}

function breakdownTable(title: string, activity: ActivityWindow, by: Breakdown): SafeHtml {
  const table = (event: ActivityEvent) => (by === 'source' ? activity.series[event].bySource : activity.series[event].byDestination);
  const names = [...new Set(ACTIVITY_EVENTS.flatMap((e) => Object.keys(table(e))))].sort();
  return html`<h2>${title}</h2>
${names.length === 0
  ? html`<p class="muted">Nothing counted in this range yet.</p>`
  : html`<table data-breakdown="${by}">
<thead><tr><th>${by}</th>${ACTIVITY_EVENTS.map((e) => html`<th>${EVENT_LABELS[e]}</th>`)}</tr></thead>
<tbody>${names.map((name) => html`<tr data-name="${name}"><td><strong>${name}</strong></td>${ACTIVITY_EVENTS.map((e) => (by === 'destination' && !DESTINATION_EVENTS.has(e) ? html`<td class="muted">—</td>` : html`<td data-count="${e}">${sum(table(e)[name] ?? [])}</td>`))}</tr>`)}</tbody>
</table>`}`;
}

export function meter(value: number, max: number, label: string): SafeHtml {
  const ratio = max > 0 ? Math.min(1, value / max) : 0;
  const level = ratio >= 0.9 ? 'bad' : ratio >= 0.6 ? 'warn' : 'ok';
  return html`<svg class="meter" width="120" height="10" role="img" aria-label="${label}"><rect width="120" height="10" rx="3" fill="#e8ebf1"></rect><rect width="${Math.round(120 * ratio)}" height="10" rx="3" fill="${level === 'bad' ? '#b42318' : level === 'warn' ? '#a15c00' : '#1d7a46'}"></rect></svg>`;
}

/** Bucket level, operating-limit use and breaker state per destination: shared by the overview and the destinations page. */
export function portalCells(d: DestinationOverview): { bucket: SafeHtml; operating: SafeHtml; breaker: SafeHtml } {
  const { bucket, operating } = d.use;
  return {
    bucket: html`<td data-bucket>${meter(bucket.level, bucket.capacity, `bucket ${bucket.level} of ${bucket.capacity}`)} <span class="mono">${bucket.level} / ${bucket.capacity}</span><div class="muted">drains ${bucket.drainPerSecond}/s, portal limit ${bucket.limit}${bucket.pausedForMs > 0 ? html`; <strong>held ${Math.ceil(bucket.pausedForMs / 1000)} s</strong>` : ''}</div></td>`,
    operating: operating
      ? html`<td data-operating>${meter(operating.seconds, operating.limitSeconds, `operating ${operating.seconds} of ${operating.limitSeconds} s`)} <span class="mono">${operating.seconds.toFixed(1)} / ${operating.limitSeconds} s</span><div class="muted">as of ${operating.at.slice(11, 19)} UTC${operating.resetAt ? `, resets ${operating.resetAt.slice(11, 19)}` : ''}</div></td>`
      : html`<td data-operating class="muted">no recent answer</td>`,
    breaker: d.health.open
      ? html`<td><span class="badge open">paused</span> <span class="mono">${d.health.code ?? ''}</span><div class="muted">${d.health.reason ?? ''}</div></td>`
      : html`<td><span class="badge closed">delivering</span></td>`,
  };
}

function portalsTable(destinations: DestinationOverview[], latency: Record<string, LatencySummary>): SafeHtml {
  return html`<table data-portals>
<thead><tr><th>Destination</th><th>Breaker</th><th>Backlog</th><th>Request bucket</th><th>Operating limit (10 min)</th><th>Latency p50 / p95</th></tr></thead>
<tbody>${destinations.map((d) => {
    const cells = portalCells(d);
    const l = latency[d.name];
    return html`<tr data-destination="${d.name}"><td><a href="/admin/destinations"><strong>${d.name}</strong></a><div class="muted mono">${d.portal ?? ''}</div></td>${cells.breaker}<td class="mono" data-pending>${pendingJobs(d.backlog)}</td>${cells.bucket}${cells.operating}<td class="mono">${formatMs(l?.p50Ms)} / ${formatMs(l?.p95Ms)}</td></tr>`;
  })}</tbody>
</table>`;
}
