import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { leadgateMetricsIn, registeredMetricNames } from '../helpers/metric-names';

/** infra/grafana/leadgate.json: an importable dashboard whose every query reads a metric leadgate exposes. */
type Target = { expr: string; datasource: { uid: string } };
type Panel = { id: number; type: string; title: string; datasource?: { uid: string }; gridPos: { h: number; w: number; x: number; y: number }; targets?: Target[] };
const dashboard = JSON.parse(readFileSync(join(__dirname, '../../infra/grafana/leadgate.json'), 'utf8')) as {
  uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query: unknown }> };
};
const graphs = dashboard.panels.filter((p) => p.type !== 'row');

describe('Grafana dashboard (infra/grafana/leadgate.json)', () => {
  it('is an importable dashboard: uid, schemaVersion, unique panel ids, every panel placed on the 24-column grid', () => {
    expect(dashboard.uid).toBe('leadgate');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
  });

  it('lets the viewer pick the Prometheus data source and the destinations', () => {
    const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(variables.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.destination).toMatchObject({ type: 'query' });
    for (const panel of graphs) {
      expect(panel.datasource?.uid).toBe('${datasource}');
      for (const target of panel.targets ?? []) expect(target.datasource.uid).toBe('${datasource}');
    }
  });

  it('has the panels an operator looks for', () => {
    const titles = graphs.map((p) => p.title);
    for (const wanted of [
      'Received per source', 'Queued per source and destination', 'Delivered per destination', 'Retried per destination and code',
      'Dead-lettered per destination and code', 'Spam and rejected per source', 'Backlog by state', 'Delivery latency p50 / p95',
      'Destination paused', 'Dead letters', 'Spool depth', 'Spool oldest lead', 'Requests by method', 'Throttles',
      'Duplicates removed (1 h)', 'Meta token expiry',
      'Conversions sent per platform and event', 'Conversions expired and dead-lettered', 'Conversion backlog by state',
      'Conversion retries', 'Bitrix24 events, reads and sweeps', 'Conversion dead letters', 'Conversions expired (24 h)',
    ]) expect(titles).toContain(wanted);
    const latency = graphs.find((p) => p.title === 'Delivery latency p50 / p95')!.targets!.map((t) => t.expr).join('\n');
    expect(latency).toMatch(/histogram_quantile\(0\.5,/);
    expect(latency).toMatch(/histogram_quantile\(0\.95,/);
  });

  it.each(graphs.map((p) => [p.title, p] as const))('"%s" queries only metrics leadgate registers', (_title, panel) => {
    const registered = registeredMetricNames();
    const named = (panel.targets ?? []).flatMap((t) => leadgateMetricsIn(t.expr));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !registered.has(name))).toEqual([]);
  });
});
