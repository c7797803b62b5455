import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration, type LabelValues } from 'prom-client';
import { answeredWithin } from './settle-within';

/**
 * How long a scrape waits for a gauge read from Redis: BullMQ's reads wait for Redis as long as it
 * takes (an API started from its spool while Redis is away), and a scrape must still answer.
 */
export const SCRAPE_READ_MS = 2000;

/** What the console's overview counts over time, beside the Prometheus counters. */
export const ACTIVITY_EVENTS = ['received', 'queued', 'delivered', 'retried', 'dead', 'spam'] as const;
export type ActivityEvent = (typeof ACTIVITY_EVENTS)[number];
export interface ActivityLabels {
  /** The source kind: form, meta, google, partner. */
  source?: string;
  destination?: string;
}

/** Where the overview's counts go (Redis, shared by every process); nowhere until the runtime sets one. */
export interface ActivitySink {
  count(event: ActivityEvent, labels: ActivityLabels, n?: number): void;
  latency(destination: string, ms: number): void;
  /** The portal's operating-limit use as the latest Bitrix24 answer reported it. */
  portal(destination: string, reading: { operatingSeconds: number; operatingResetAt?: number }): void;
}

const NO_ACTIVITY: ActivitySink = { count: () => undefined, latency: () => undefined, portal: () => undefined };

/**
 * A Prometheus counter whose increments are also counted for the console's overview: the routes that
 * count received, queued and spam leads then feed both with the same call, and cannot drift apart.
 */
class ActivityCounter<T extends string> extends Counter<T> {
  constructor(configuration: CounterConfiguration<T>, event: ActivityEvent, sink: () => ActivitySink) {
    super(configuration);
    // prom-client sets `inc` on the instance in its constructor (with or without exemplars): wrap that one.
    const inc = this.inc.bind(this) as (first?: LabelValues<T> | number, value?: number) => void;
    this.inc = ((first?: LabelValues<T> | number, value?: number) => {
      inc(first, value);
      const labels = (typeof first === 'object' ? first : {}) as ActivityLabels;
      const n = typeof first === 'number' ? first : (value ?? 1);
      const counted: ActivityLabels = {};
      if (labels.source) counted.source = String(labels.source);
      if (labels.destination) counted.destination = String(labels.destination);
      sink().count(event, counted, n);
    }) as Counter<T>['inc'];
  }
}

/**
 * Every counter leadgate exposes on /metrics, in one registry per process (not prom-client's global
 * one, so tests can run several apps side by side).
 */
export class Metrics {
  readonly registry = new Registry();

  /** The overview's time-bucketed counts (the runtime sets a Redis-backed sink); a no-op by default. */
  activity: ActivitySink = NO_ACTIVITY;

  readonly received = new ActivityCounter(
    {
      name: 'leadgate_leads_received_total',
      help: 'Submissions received, by source kind.',
      labelNames: ['source'] as const,
      registers: [this.registry],
    },
    'received',
    () => this.activity,
  );

  readonly rejected = new Counter({
    name: 'leadgate_leads_rejected_total',
    help: 'Submissions refused with a 4xx/5xx, by source kind and reason.',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });

  readonly spam = new ActivityCounter(
    {
      name: 'leadgate_leads_spam_total',
      help: 'Form submissions judged spam, by source and reason: honeypot, too_fast, duplicate_window (answered as accepted, nothing queued), captcha_failed (answered 422).',
      labelNames: ['source', 'reason'] as const,
      registers: [this.registry],
    },
    'spam',
    () => this.activity,
  );

  readonly captchaUnavailable = new Counter({
    name: 'leadgate_captcha_unavailable_total',
    help: 'CAPTCHA checks the provider gave no verdict on (timeout, 5xx, network, a refused secret), by provider and the form\'s fail_mode (open: taken flagged; closed: 503).',
    labelNames: ['provider', 'fail_mode'] as const,
    registers: [this.registry],
  });

  readonly duplicatesIgnored = new Counter({
    name: 'leadgate_webhook_duplicates_total',
    help: 'Webhook deliveries of a lead already taken in (platforms retry and send twice), acknowledged and ignored, by source.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly testLeadsDropped = new Counter({
    name: 'leadgate_test_leads_dropped_total',
    help: 'Leads the platform marks as tests, dropped by the testLeads: drop policy, by source.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly queued = new ActivityCounter(
    {
      name: 'leadgate_leads_queued_total',
      help: 'Leads durably enqueued, by source kind and destination.',
      labelNames: ['source', 'destination'] as const,
      registers: [this.registry],
    },
    'queued',
    () => this.activity,
  );

  readonly delivered = new Counter({
    name: 'leadgate_leads_delivered_total',
    help: 'Leads that exist in Bitrix24 (created, or found after an ambiguous failure).',
    labelNames: ['destination', 'how'] as const,
    registers: [this.registry],
  });

  readonly retried = new Counter({
    name: 'leadgate_delivery_retries_total',
    help: 'Failed delivery attempts that will be retried, by destination and error code.',
    labelNames: ['destination', 'code'] as const,
    registers: [this.registry],
  });

  readonly throttled = new Counter({
    name: 'leadgate_destination_throttled_total',
    help: 'Times a destination was paused by Bitrix24 limits (QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT).',
    labelNames: ['destination', 'code'] as const,
    registers: [this.registry],
  });

  readonly deadLettered = new Counter({
    name: 'leadgate_leads_dead_lettered_total',
    help: 'Leads moved to the dead-letter queue, by destination and error code.',
    labelNames: ['destination', 'code'] as const,
    registers: [this.registry],
  });

  readonly duplicatesRemoved = new Counter({
    name: 'leadgate_duplicates_removed_total',
    help: 'Later copies of a lead deleted from Bitrix24 (a request that timed out committed after all), by destination.',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  readonly fetchFailures = new Counter({
    name: 'leadgate_source_fetch_failures_total',
    help: 'Failed reads of a lead from its platform (Meta Graph API), by source and kind (rate_limited, transient, auth, permission, request, unknown_page, mapping).',
    labelNames: ['source', 'kind'] as const,
    registers: [this.registry],
  });

  readonly metaBackfilled = new Counter({
    name: 'leadgate_meta_backfilled_total',
    help: 'Meta leads no webhook brought, found by the backfill poller and queued, by Page.',
    labelNames: ['page'] as const,
    registers: [this.registry],
  });

  readonly metaBackfillErrors = new Counter({
    name: 'leadgate_meta_backfill_errors_total',
    help: 'Backfill polls of a Page that failed, by Page and kind (rate_limited, transient, auth, permission, request, queue).',
    labelNames: ['page', 'kind'] as const,
    registers: [this.registry],
  });

  /**
   * Page-token health as the workers last found it (read from Redis when scraped, so an API process
   * shows it too): ok 1/0 and seconds until the token or its data access expires (+Inf: never).
   */
  observeMetaTokens(read: () => Promise<Record<string, { ok: boolean; expiresInSeconds?: number }>>): void {
    type Tokens = Awaited<ReturnType<typeof read>>;
    let pending: Promise<Tokens> | undefined;
    const snapshot = (): Promise<Tokens> =>
      (pending ??= read().catch(() => ({}) as Tokens).finally(() => setTimeout(() => (pending = undefined), 0)));
    new Gauge({
      name: 'leadgate_meta_token_ok',
      help: '1 while a Meta Page token is valid, can read leads and does not expire within tokenHealth.warnDays; 0 otherwise (absent until checked).',
      labelNames: ['page'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [page, token] of Object.entries(await snapshot())) this.set({ page }, token.ok ? 1 : 0);
      },
    });
    new Gauge({
      name: 'leadgate_meta_token_expiry_seconds',
      help: 'Seconds until a Meta Page token (or its data access) expires; +Inf when it never does, negative once expired.',
      labelNames: ['page'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [page, token] of Object.entries(await snapshot())) {
          if (token.expiresInSeconds !== undefined) this.set({ page }, token.expiresInSeconds);
        }
      },
    });
  }

  readonly requests = new Counter({
    name: 'leadgate_bitrix24_requests_total',
    help: 'HTTP requests sent to Bitrix24, by destination and method.',
    labelNames: ['destination', 'method'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'leadgate_delivery_latency_seconds',
    help: 'Time from receipt of a lead to its existence in Bitrix24.',
    labelNames: ['destination'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400],
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'leadgate_bitrix24_batch_size',
    help: 'Leads carried per Bitrix24 request.',
    labelNames: ['destination'] as const,
    buckets: [1, 2, 5, 10, 20, 30, 40, 50],
    registers: [this.registry],
  });


  readonly spooled = new Counter({
    name: 'leadgate_spool_spooled_total',
    help: 'Leads written to the local intake spool because Redis could not take them, by source kind.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly spoolDrained = new Counter({
    name: 'leadgate_spool_drained_total',
    help: 'Spooled leads moved into their queue once Redis answered (a lead drained again after a crash counts again).',
    registers: [this.registry],
  });

  readonly spoolErased = new Counter({
    name: 'leadgate_spool_erased_total',
    help: 'Spooled leads dropped instead of queued: their person was erased (leadgate forget) while they waited.',
    registers: [this.registry],
  });
  readonly spoolCorrupt = new Counter({
    name: 'leadgate_spool_corrupt_records_total',
    help: 'Spool records skipped on reading, by kind: torn (a write cut short by a crash, never acknowledged), checksum, unreadable.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  /** The spool's depth and the age of its oldest lead, read from this process's own spool when scraped. */
  observeSpool(read: () => { leads: number; oldestSeconds: number }): void {
    new Gauge({
      name: 'leadgate_spool_leads',
      help: 'Leads in this API process\'s intake spool, waiting for Redis.',
      registers: [this.registry],
      collect() {
        this.set(read().leads);
      },
    });
    new Gauge({
      name: 'leadgate_spool_oldest_seconds',
      help: 'Age of the oldest lead in this API process\'s intake spool (0 when empty).',
      registers: [this.registry],
      collect() {
        this.set(read().oldestSeconds);
      },
    });
  }


  /**
   * Backlog per destination and state, paused destinations and the dead-letter count, read from Redis when scraped (so
   * every process reports the shared truth, not its own share). `observeBacklog` supplies the reader.
   */
  observeBacklog(read: () => Promise<{ jobs: Record<string, Record<string, number>>; deadLetters: number; paused: Record<string, boolean> }>): void {
    let pending: ReturnType<typeof read> | undefined;
    // Both gauges are collected in one scrape; share one Redis read between them.
    const snapshot = () => (pending ??= answeredWithin(read(), SCRAPE_READ_MS).finally(() => setTimeout(() => (pending = undefined), 0)));
    new Gauge({
      name: 'leadgate_queue_jobs',
      help: 'Delivery jobs in Redis by destination and state (wait, active, delayed, prioritized, failed).',
      labelNames: ['destination', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const { jobs } = await snapshot().catch(() => ({ jobs: {} as Record<string, Record<string, number>> }));
        for (const [destination, counts] of Object.entries(jobs)) {
          for (const [state, count] of Object.entries(counts)) this.set({ destination, state }, count);
        }
      },
    });
    new Gauge({
      name: 'leadgate_destination_paused',
      help: '1 while a destination is paused by its circuit breaker (auth or portal error), else 0.',
      labelNames: ['destination'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const { paused } = await snapshot().catch(() => ({ paused: {} as Record<string, boolean> }));
        for (const [destination, open] of Object.entries(paused)) this.set({ destination }, open ? 1 : 0);
      },
    });
    new Gauge({
      name: 'leadgate_dead_letters',
      help: 'Leads in the dead-letter queue, waiting for an operator.',
      registers: [this.registry],
      async collect() {
        const { deadLetters } = await snapshot().catch(() => ({ deadLetters: Number.NaN }));
        this.set(deadLetters);
      },
    });
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'leadgate_' });
  }
}
