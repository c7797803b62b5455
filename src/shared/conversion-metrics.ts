import { Counter, Gauge } from 'prom-client';
import { SCRAPE_READ_MS, type Metrics } from './metrics';
import { answeredWithin } from './settle-within';

/** The conversion loop's counters, registered once in a process's Metrics registry. */
export class ConversionMetrics {
  readonly crmEvents: Counter<'destination' | 'event'>;
  readonly reads: Counter<'destination' | 'outcome'>;
  readonly queued: Counter<'platform' | 'event'>;
  readonly sent: Counter<'platform' | 'event'>;
  readonly expired: Counter<'platform' | 'event'>;
  readonly retried: Counter<'platform' | 'kind'>;
  readonly deadLettered: Counter<'platform' | 'code'>;
  readonly sweeps: Counter<'destination' | 'outcome'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.crmEvents = new Counter({ name: 'leadgate_bitrix24_events_total', help: 'Bitrix24 outgoing events accepted, by destination and event.', labelNames: ['destination', 'event'], registers });
    this.reads = new Counter({
      name: 'leadgate_conversion_reads_total',
      help: 'Bitrix24 records read for conversions, by outcome: matched (a leadgate lead), not_ours, no_identity (no Meta lead id or Google click), not_found.',
      labelNames: ['destination', 'outcome'],
      registers,
    });
    this.queued = new Counter({ name: 'leadgate_conversions_queued_total', help: 'Conversions found for the first time (one per lead, platform and event), by platform and event.', labelNames: ['platform', 'event'], registers });
    this.sent = new Counter({ name: 'leadgate_conversions_sent_total', help: 'Conversions the platform accepted, by platform and event.', labelNames: ['platform', 'event'], registers });
    this.expired = new Counter({
      name: 'leadgate_conversions_expired_total',
      help: 'Conversions too old to send (Meta: stage older than 7 days; Google: more than 90 days after the click), by platform and event.',
      labelNames: ['platform', 'event'],
      registers,
    });
    this.retried = new Counter({ name: 'leadgate_conversions_retried_total', help: 'Failed conversion sends and Bitrix24 reads that will be retried, by platform (or bitrix24) and error kind.', labelNames: ['platform', 'kind'], registers });
    this.deadLettered = new Counter({ name: 'leadgate_conversions_dead_lettered_total', help: 'Conversions (and Bitrix24 reads) dead-lettered, by platform and code.', labelNames: ['platform', 'code'], registers });
    this.sweeps = new Counter({ name: 'leadgate_conversion_sweeps_total', help: 'Stage-history sweeps, by destination and outcome (done, failed).', labelNames: ['destination', 'outcome'], registers });
  }

  /** Dead conversion letters waiting for an operator, read from Redis when scraped. */
  observeDeadLetters(read: () => Promise<number>, metrics: Metrics): void {
    new Gauge({
      name: 'leadgate_conversion_dead_letters',
      help: 'Conversions (and Bitrix24 reads) in the conversion dead-letter list.',
      registers: [metrics.registry],
      async collect() {
        this.set(await read().catch(() => Number.NaN));
      },
    });
  }

  /**
   * The loop's jobs in Redis by queue and state, read when scraped (every process reports the shared
   * totals): `platform` is meta or google for the sends, bitrix24 for the record reads.
   */
  observeBacklog(read: () => Promise<Record<string, Record<string, number>>>, metrics: Metrics): void {
    new Gauge({
      name: 'leadgate_conversion_jobs',
      help: 'Conversion-loop jobs in Redis by platform (meta, google; bitrix24 for the record reads) and state (wait, active, delayed, prioritized, failed).',
      labelNames: ['platform', 'state'] as const,
      registers: [metrics.registry],
      async collect() {
        this.reset();
        const jobs = await answeredWithin(read(), SCRAPE_READ_MS).catch(() => ({}) as Record<string, Record<string, number>>);
        for (const [platform, counts] of Object.entries(jobs)) for (const [state, count] of Object.entries(counts)) this.set({ platform, state }, count);
      },
    });
  }
}

const perRegistry = new WeakMap<Metrics, ConversionMetrics>();

export function conversionMetrics(metrics: Metrics): ConversionMetrics {
  let found = perRegistry.get(metrics);
  if (!found) {
    found = new ConversionMetrics(metrics);
    perRegistry.set(metrics, found);
  }
  return found;
}
