import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { leadgateMetricsIn, registeredMetricNames } from '../helpers/metric-names';

/** infra/prometheus: alert rules that name only metrics leadgate exposes, each one actionable. */
const rulesFile = join(__dirname, '../../infra/prometheus/alerts.yml');
type Rule = { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
const rules = (parse(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

const promtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('Prometheus alert rules (infra/prometheus/alerts.yml)', () => {
  const registered = registeredMetricNames();

  it('cover dead letters, paused destinations, a growing backlog, the spool, signature failures, expiring tokens and stalled delivery', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining([
      'LeadgateDeadLettersGrowing', 'LeadgateDestinationPaused', 'LeadgateBacklogGrowing', 'LeadgateSpoolInUse',
      'LeadgateSignatureFailuresSpiking', 'LeadgateMetaTokenExpiring', 'LeadgateNoDeliveriesWithBacklog',
    ]));
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s names only metrics leadgate registers', (_name, rule) => {
    const named = leadgateMetricsIn(rule.expr);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !registered.has(name))).toEqual([]);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s has a severity, a summary and a description', (_name, rule) => {
    expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toEqual(expect.any(String));
    expect(rule.annotations?.description).toEqual(expect.any(String));
  });

  it('cover the conversion loop: conversions expiring, conversions dead-lettered, a growing conversion backlog, a failing sweep', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining([
      'LeadgateConversionsExpiring', 'LeadgateConversionDeadLettersGrowing', 'LeadgateConversionBacklogGrowing', 'LeadgateConversionSweepFailing',
    ]));
    const expr = (name: string) => rules.find((r) => r.alert === name)!.expr;
    expect(expr('LeadgateConversionsExpiring')).toMatch(/leadgate_conversions_expired_total/);
    expect(expr('LeadgateConversionDeadLettersGrowing')).toMatch(/max\(leadgate_conversion_dead_letters\)/);
    // Read from Redis by every process at scrape time: aggregated with max, never summed across processes.
    expect(expr('LeadgateConversionBacklogGrowing')).toMatch(/max by \(platform, state\) \(leadgate_conversion_jobs/);
    expect(expr('LeadgateConversionBacklogGrowing')).not.toMatch(/sum by \(platform\) \(leadgate_conversion_jobs/);
  });

  it('a backlog alerts only after growing for 10 minutes', () => {
    const backlog = rules.find((r) => r.alert === 'LeadgateBacklogGrowing')!;
    expect(backlog.for).toBe('10m');
    expect(backlog.expr).toMatch(/\[10m\]/);
  });

  it('a token alerts when it expires within 7 days', () => {
    expect(rules.find((r) => r.alert === 'LeadgateMetaTokenExpiring')!.expr).toMatch(/< 7 \* 86400/);
  });

  it('a renamed metric would be caught: the check knows what is not registered', () => {
    expect(registered.has('leadgate_dead_letters')).toBe(true);
    expect(registered.has('leadgate_delivery_latency_seconds_bucket')).toBe(true);
    expect(leadgateMetricsIn('rate(leadgate_no_such_total{reason="leadgate_x"}[5m])')).toEqual(['leadgate_no_such_total']);
  });

  (promtool ? it : it.skip)('pass `promtool check rules` (where promtool is installed; .ci/run installs it)', () => {
    expect(execFileSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' })).toMatch(/SUCCESS/);
  });
});

describe('Prometheus scrape example (infra/prometheus/scrape.yml)', () => {
  it('sends the operations bearer token on every job', () => {
    const { scrape_configs: jobs } = parse(readFileSync(join(__dirname, '../../infra/prometheus/scrape.yml'), 'utf8')) as { scrape_configs: Array<{ authorization?: { type: string } }> };
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(job.authorization?.type).toBe('Bearer');
  });
});
