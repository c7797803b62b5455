import { Histogram } from 'prom-client';
import { conversionMetrics } from '../../src/shared/conversion-metrics';
import { Metrics } from '../../src/shared/metrics';

/** Every metric name a process registers, the collected-at-scrape gauges included. */
export function registeredMetricNames(): Set<string> {
  const metrics = new Metrics({ defaultMetrics: true });
  metrics.observeBacklog(async () => ({ jobs: {}, deadLetters: 0, paused: {} }));
  metrics.observeSpool(() => ({ leads: 0, oldestSeconds: 0 }));
  metrics.observeMetaTokens(async () => ({}));
  const conversions = conversionMetrics(metrics);
  conversions.observeDeadLetters(async () => 0, metrics);
  conversions.observeBacklog(async () => ({}), metrics);
  const names = new Set<string>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    names.add(metric.name);
    // A histogram is queried through its series.
    if (metric instanceof Histogram) for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

/** leadgate_* identifiers in a PromQL expression (label values in quotes excluded). */
export function leadgateMetricsIn(expr: string): string[] {
  return [...expr.replace(/"[^"]*"/g, '""').matchAll(/\bleadgate_[a-z0-9_]+/g)].map((m) => m[0]);
}
