import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from 'express';
import type { RedisClient } from '../shared/redis-client';
import type { Config } from '../config/config';
import { createCaptchaVerifier } from '../clients/captcha/captcha-verifier';
import { createApi, createConsoleApp, operationsDeps, type AppDeps } from '../http/app';
import { createHttpServer } from '../http/http-server';
import { createIntake } from '../http/intake';
import { adminForgetRouter } from '../http/routes/admin-forget';
import { bitrix24EventsRouter } from '../http/routes/bitrix24-events';
import { operationsApp } from '../http/routes/operations';
import { createSourceRouters } from '../http/source-routers';
import { ActivityRecorder } from '../queue/activity';
import { ConversionQueues } from '../queue/conversion-queues';
import { ConversionStore } from '../queue/conversion-store';
import { DeadLetterQueue } from '../queue/dead-letter-queue';
import { DeadLetterStore } from '../queue/dead-letter-store';
import { IdempotencyStore } from '../queue/idempotency-store';
import { LeadLedger } from '../queue/lead-ledger';
import { IntakeWrite } from '../queue/intake-write';
import { LeadQueue } from '../queue/lead-queue';
import { MetaLeadQueue } from '../queue/meta-lead-queue';
import { LinkedInLeadQueue } from '../queue/linkedin-lead-queue';
import { forgetLead } from '../queue/forget-lead';
import { createRedis, waitForRedis } from '../queue/redis-connection';
import { watchForHang } from '../queue/hang-watchdog';
import { SeenIds } from '../queue/seen-ids';
import type { Logger } from '../shared/logger';
import { startStatusCompactor } from '../queue/status-buckets';
import { Metrics } from '../shared/metrics';
import { startConversionWorkers, type ConversionWorkers } from '../worker/conversion-workers';
import { startDeliveryWorkers, type DeliveryWorkers } from '../worker/delivery-worker';
import { conversionMetrics } from '../shared/conversion-metrics';
import { readBreakerState, type BreakerState } from '../worker/destination-breaker';
import { startMetaFetchWorker, type MetaFetchWorker } from '../worker/meta-fetch-worker';
import { startLinkedInFetchWorker } from '../worker/linkedin-fetch-worker';
import { metaPageReaders, openMetaTokenStore } from '../worker/meta-token-store';
import { consoleActions } from './console-actions';
import { openIntakeSpool } from './open-intake-spool';
import { settleWithin } from '../shared/settle-within';
import { ErasureMarkers } from '../queue/erasure-markers';
import type { IntakeSpool } from '../queue/intake-spool/intake-spool';

export type Role = 'api' | 'worker' | 'all';

export interface RunningLeadgate {
  /** Base URL of the HTTP server (API, or the worker's health/metrics server). */
  url: string;
  server: Server;
  /** Base URL of the API's separate operations server, when `http.operations.port` is set. */
  operationsUrl?: string;
  /** Base URL of the console's own server, when `admin.port` is set. */
  adminUrl?: string;
  metrics: Metrics;
  workers?: DeliveryWorkers;
  /** The `meta-leads` consumer (Graph API reads), when Meta is configured. */
  metaWorker?: MetaFetchWorker;
  /** The conversion loop's consumers, when `conversions` is configured. */
  conversionWorkers?: ConversionWorkers;
  stop(): Promise<void>;
}

function metaLeadQueue(redis: RedisClient, config: Config): MetaLeadQueue {
  return new MetaLeadQueue(redis, {
    prefix: config.redis.prefix,
    attempts: config.delivery.attempts,
    completedRetentionSeconds: config.delivery.deliveredRetentionSeconds,
    waitReplicas: waitReplicas(config),
  });
}

/** The `linkedin-leads` producer, when LinkedIn is configured. */
function linkedInLeadQueue(redis: RedisClient, config: Config): LinkedInLeadQueue | undefined {
  if (!config.sources?.linkedin) return undefined;
  return new LinkedInLeadQueue(redis, {
    prefix: config.redis.prefix,
    attempts: config.delivery.attempts,
    completedRetentionSeconds: config.delivery.deliveredRetentionSeconds,
    waitReplicas: waitReplicas(config),
  });
}

/** `redis.waitReplicas`: a lead is acknowledged only once that many replicas hold it. */
function waitReplicas(config: Config): { replicas: number; timeoutMs: number } {
  return { replicas: config.redis.waitReplicas, timeoutMs: config.redis.waitReplicasTimeoutMs };
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve(`http://${shownHost}:${address.port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets would hold close() open; in-flight requests still finish.
    server.closeIdleConnections();
  });
}

/**
 * Starts leadgate in one role on one Redis. `api` serves intake; `worker` delivers and serves only
 * health and metrics; `all` does both in one process. Scale out by running more of either.
 */
export async function startLeadgate(options: {
  config: Config;
  role: Role;
  logger: Logger;
  /** Which of `http.processes` API processes this is, when more than one run: each keeps its own spool. */
  processIndex?: number;
  /** Extra routers beside the built-in sources (Meta, Google, partners), mounted behind the same limits. */
  sourceRouters?: (deps: { config: Config; intake: ReturnType<typeof createIntake>; redis: RedisClient }) => Router[];
}): Promise<RunningLeadgate> {
  const { config, role, logger } = options;
  const metrics = new Metrics({ defaultMetrics: true });
  // BullMQ gets connections of its own: ioredis copies the scripts BullMQ defines on a connection into
  // every MULTI made on it, which doubled the cost of each status write when they shared one.
  // Auto-pipelined: the single commands of concurrent requests (the per-address rate limit, reads)
  // leave in one write per turn of the event loop instead of one each; pipelines and MULTIs are not
  // affected (the intake's own pipeline groups its leads itself: intake-write.ts).
  const producer = createRedis(config.redis, 'producer', { connectionName: 'state', enableAutoPipelining: true }, logger);
  const queueRedis = createRedis(config.redis, 'producer', { connectionName: 'queue' }, logger);
  const workerRedis = role === 'api' ? undefined : createRedis(config.redis, 'worker', { connectionName: 'worker-state' }, logger);
  const workerBull = role === 'api' ? undefined : createRedis(config.redis, 'worker', { connectionName: 'worker-queue' }, logger);
  // An API with the intake spool answers without Redis, so it starts without it too (a host reboot where
  // Redis comes up later, a failover in progress): after a short wait it serves from the spool, which
  // drains once Redis answers. Anything else needs Redis to do its work and fails to start without it.
  const startsWithoutRedis = role === 'api' && config.intake.spool.enabled;
  const connected = Promise.all([producer, queueRedis, workerRedis, workerBull].map((r) => (r ? waitForRedis(r, 10_000) : undefined)));
  if (!startsWithoutRedis) await connected;
  else if (!(await settleWithin(connected.catch(() => undefined), REDIS_START_WAIT_MS)) || producer.status !== 'ready' || queueRedis.status !== 'ready') {
    logger.warn({ role, redis: producer.status }, 'Redis does not answer; starting anyway: leads go to the intake spool until it does');
  }
  // The API's two connections answer requests: with a spool to fall back on, a hung Redis must not cost
  // each request its command timeouts. Without one, failing at once would only turn a wait into a 503.
  const watched = role !== 'worker' && config.intake.spool.enabled ? ([['state', producer], ['queue', queueRedis]] as const) : [];
  const watchdogs = watched.map(([name, r]) => watchForHang(r, { timeoutMs: config.redis.hangTimeoutMs, logger, name }));

  const prefix = config.redis.prefix;
  // The console's overview counts, from every process into the same Redis hashes, one pipeline a second.
  const activity = new ActivityRecorder(producer, prefix);
  metrics.activity = activity;
  activity.start();
  const ledger = new LeadLedger(producer, prefix, config.delivery.statusRetentionSeconds);
  const queue = new LeadQueue(queueRedis, {
    prefix,
    destinations: Object.keys(config.destinations),
    attempts: config.delivery.attempts,
    deliveredRetentionSeconds: config.delivery.deliveredRetentionSeconds,
    waitReplicas: waitReplicas(config),
  });
  const metaQueue = metaLeadQueue(queueRedis, config);
  const linkedinQueue = linkedInLeadQueue(queueRedis, config);
  // The breaker's record, and the queue's own paused flag: should they ever disagree, /readyz says so.
  const destinationStatus = async () =>
    Object.fromEntries(
      await Promise.all(
        Object.keys(config.destinations).map(async (name) => {
          const [state, paused] = await Promise.all([readBreakerState(producer, prefix, name), queue.queueFor(name).isPaused()]);
          const status: BreakerState = paused && !state.open ? { open: true, code: 'QUEUE_PAUSED', reason: 'the delivery queue is paused with no breaker record; a worker resumes it on its next probe tick' } : state;
          return [name, status] as const;
        }),
      ),
    );
  const deadLetterStore = new DeadLetterStore(producer, prefix);
  // The conversion loop (Bitrix24 stage changes → Meta and Google), when configured.
  const conversionStore = config.conversions ? new ConversionStore(producer, prefix, config.conversions.retentionDays) : undefined;
  const conversionQueues = config.conversions
    ? new ConversionQueues(queueRedis, { prefix, attempts: config.delivery.attempts, completedRetentionSeconds: config.delivery.deliveredRetentionSeconds })
    : undefined;
  if (conversionStore) conversionMetrics(metrics).observeDeadLetters(() => conversionStore.deadLetterCount(), metrics);
  if (conversionQueues) conversionMetrics(metrics).observeBacklog(() => conversionQueues.jobCounts(), metrics);
  metrics.observeBacklog(async () => ({
    jobs: Object.fromEntries(
      await Promise.all(
        Object.keys(config.destinations).map(
          async (name) => [name, await queue.queueFor(name).getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed')] as const,
        ),
      ),
    ),
    deadLetters: await deadLetterStore.count(),
    paused: Object.fromEntries(Object.entries(await destinationStatus()).map(([name, state]) => [name, state.open])),
  }));

  // Page-token health as the workers found it: every process shows it in /readyz and /metrics.
  const meta = config.sources?.meta;
  const metaPages = meta?.appSecret ? metaPageReaders(openMetaTokenStore(producer, prefix, meta.tokenHealth), meta.pages) : undefined;
  if (metaPages) metrics.observeMetaTokens(metaPages.gauges);

  let server: Server;
  let port: number;
  let host: string;
  let spool: IntakeSpool | undefined;
  let operationsServer: Server | undefined;
  let adminServer: Server | undefined;
  let publicUrl: string | undefined;
  if (role === 'worker') {
    const app = operationsApp({ redis: workerRedis!, metrics, role, token: config.http.operations.token, destinationStatus, ...(metaPages ? { metaPages: metaPages.statuses } : {}) });
    server = createHttpServer(app, config.http);
    port = config.worker.port;
    host = config.worker.host;
  } else {
    const seen = new SeenIds(producer, prefix);
    const write = await IntakeWrite.open({ state: producer, bullmq: queueRedis, queue, commands: [ledger.queuedCommands], prefix, logger, waitReplicas: waitReplicas(config), waitForRedis: queueRedis.status === 'ready' });
    // Erasures run by `forget` anywhere reach leads this process still holds in its spool.
    const erased = new ErasureMarkers(producer, prefix, Math.max(config.delivery.statusRetentionSeconds, config.delivery.deliveredRetentionSeconds));
    spool = await openIntakeSpool(config, options.processIndex, { queue: write, metaQueue, ...(linkedinQueue ? { linkedinQueue } : {}), seen, erased, ping: () => producer.ping(), metrics, logger });
    const intake = createIntake({ queue: write, metaQueue, ...(linkedinQueue ? { linkedinQueue } : {}), spool, metrics, logger });
    const idempotency = new IdempotencyStore(producer, prefix);
    const appDeps: AppDeps = {
      config,
      redis: producer,
      intake,
      ledger,
      idempotency,
      metrics,
      logger,
      destinationStatus,
      ...(metaPages ? { metaPages: metaPages.statuses } : {}),
      ...(conversionStore ? { conversions: conversionStore } : {}),
      spool,
      captcha: createCaptchaVerifier(),
      console: consoleActions({
        config, redis: producer, queue, deadLetters: new DeadLetterQueue(deadLetterStore, queue, ledger, metaQueue, linkedinQueue),
        ...(conversionStore && conversionQueues ? { conversions: { store: conversionStore, queues: conversionQueues } } : {}),
      }),
      sourceRouters: [
        ...createSourceRouters({
          config,
          redis: producer,
          intake,
          ledger,
          seen,
          idempotency,
          ...(linkedinQueue ? { linkedinQueue } : {}),
          forgetLead: (leadId) => forgetLead({ redis: producer, prefix, destinations: Object.keys(config.destinations) }, leadId),
        }),
        ...(options.sourceRouters?.({ config, intake, redis: producer }) ?? []),
        ...(conversionQueues ? [bitrix24EventsRouter({ conversions: config.conversions, queues: conversionQueues, metrics })] : []),
        adminForgetRouter({ config, redis: producer, ...(spool ? { spool } : {}) }),
      ],
      // Read once the public server listens: the console on its own port shows this address in snippets
      // (on the public port it shows the address it was opened at, which a proxy may have rewritten).
      ...(config.admin.port !== undefined ? { publicUrl: () => publicUrl } : {}),
    };
    server = createHttpServer(createApi(appDeps).listener, config.http);
    if (config.admin.port !== undefined) adminServer = createHttpServer(createConsoleApp(appDeps), config.http);
    port = config.http.port;
    host = config.http.host;
    if (config.http.operations.port !== undefined) {
      const ops = operationsDeps({ config, redis: producer, metrics, destinationStatus, ...(metaPages ? { metaPages: metaPages.statuses } : {}), spool });
      operationsServer = createHttpServer(operationsApp({ ...ops, role }), config.http);
    }
  }
  const workers = workerRedis && workerBull ? startDeliveryWorkers({ config, redis: workerRedis, bullConnection: workerBull, logger, metrics }) : undefined;
  const metaWorker = workerRedis
    ? startMetaFetchWorker({
        config,
        redis: workerBull!,
        state: workerRedis,
        metaQueue,
        queue,
        ledger: new LeadLedger(workerRedis, prefix, config.delivery.statusRetentionSeconds),
        deadLetters: new DeadLetterStore(workerRedis, prefix),
        metrics,
        logger,
      })
    : undefined;
  // A delivered lead's status record moves into shared buckets once nothing writes it any more: after
  // the late duplicate check, with a margin.
  const compactor = workerRedis
    ? startStatusCompactor({
        redis: workerRedis,
        prefix,
        retentionSeconds: config.delivery.statusRetentionSeconds,
        graceMs: config.delivery.duplicateCheckDelayMs + COMPACTION_MARGIN_MS,
        onError: (err) => logger.warn({ err: err.message }, 'cannot compact delivered status records'),
      })
    : undefined;
  const conversionWorkers = workerRedis && workerBull ? startConversionWorkers({ config, bullConnection: workerBull, redis: workerRedis, metrics, logger }) : undefined;
  const linkedinWorker = workerRedis
    ? startLinkedInFetchWorker({
        config,
        redis: workerBull!,
        state: workerRedis,
        queue,
        ledger: new LeadLedger(workerRedis, prefix, config.delivery.statusRetentionSeconds),
        deadLetters: new DeadLetterStore(workerRedis, prefix),
        metrics,
        logger,
      })
    : undefined;
  const url = await listen(server, port, host);
  publicUrl = url;
  const adminUrl = adminServer ? await listen(adminServer, config.admin.port!, config.admin.host ?? host) : undefined;
  const operationsUrl = operationsServer ? await listen(operationsServer, config.http.operations.port!, config.http.operations.host ?? host) : undefined;
  const sources = {
    meta: Boolean(config.sources?.meta?.appSecret), google: Boolean(config.sources?.google), linkedin: Boolean(config.sources?.linkedin),
    tiktok: Boolean(config.sources?.tiktok), partners: Object.keys(config.sources?.partners ?? {}).length, webhooks: Object.keys(config.sources?.webhooks ?? {}).length,
  };
  logger.info({ role, url, ...(operationsUrl ? { operationsUrl } : {}), ...(adminUrl ? { adminUrl } : {}), destinations: Object.keys(config.destinations), sources }, 'leadgate started');

  let stopping: Promise<void> | undefined;
  return {
    url,
    server,
    ...(operationsUrl ? { operationsUrl } : {}),
    ...(adminUrl ? { adminUrl } : {}),
    metrics,
    workers,
    metaWorker,
    ...(conversionWorkers ? { conversionWorkers } : {}),
    stop() {
      stopping ??= (async () => {
        logger.info({ role }, 'shutting down');
        for (const watchdog of watchdogs) watchdog.stop();
        await Promise.all([closeServer(server), operationsServer && closeServer(operationsServer), adminServer && closeServer(adminServer)]);
        // BullMQ's close waits for its connections to be ready first: with Redis away that is never. The
        // jobs held are safe either way (unsure leads are looked up by whoever takes them next), so the
        // shutdown waits as long as for requests in flight, then lets go of Redis instead of hanging.
        const workersClosed = Promise.all([compactor?.stop(), workers?.close(), metaWorker?.close(), conversionWorkers?.close(), linkedinWorker?.close(), spool?.close()]);
        if (!(await settleWithin(workersClosed, config.delivery.shutdownTimeoutMs + SHUTDOWN_GRACE_MS))) {
          logger.warn({ role, redis: producer.status }, 'workers did not close in time (Redis away?); letting go of Redis without them');
        }
        const queuesClosed = (async () => {
          await activity.stop();
          await Promise.all([queue.close(), conversionQueues?.close(), metaQueue.close(), linkedinQueue?.close()]);
        })();
        if (!(await settleWithin(queuesClosed, SHUTDOWN_GRACE_MS))) logger.warn({ role, redis: producer.status }, 'queues did not close in time (Redis away?)');
        producer.disconnect();
        queueRedis.disconnect();
        workerRedis?.disconnect();
        workerBull?.disconnect();
      })();
      return stopping;
    },
  };
}

/** How long after the late duplicate check a delivered record is left whole before it is compacted. */
const COMPACTION_MARGIN_MS = 5 * 60_000;

/** What a shutdown waits beyond the requests in flight before it lets go of a Redis that does not answer. */
const SHUTDOWN_GRACE_MS = 2000;
/** How long an API with a spool waits for Redis at start before it serves from the spool. */
const REDIS_START_WAIT_MS = 3000;

/** Operator access to the dead-letter queue, for the CLI. */
export async function openDeadLetters(config: Config): Promise<{ dlq: DeadLetterQueue; close(): Promise<void> }> {
  const redis = createRedis(config.redis, 'producer');
  await waitForRedis(redis, 5000);
  const ledger = new LeadLedger(redis, config.redis.prefix, config.delivery.statusRetentionSeconds);
  const queue = new LeadQueue(redis, {
    prefix: config.redis.prefix,
    destinations: Object.keys(config.destinations),
    attempts: config.delivery.attempts,
    deliveredRetentionSeconds: config.delivery.deliveredRetentionSeconds,
  });
  const metaQueue = metaLeadQueue(redis, config);
  const linkedinQueue = linkedInLeadQueue(redis, config);
  const dlq = new DeadLetterQueue(new DeadLetterStore(redis, config.redis.prefix), queue, ledger, metaQueue, linkedinQueue);
  return {
    dlq,
    async close() {
      await metaQueue.close();
      await linkedinQueue?.close();
      await queue.close();
      redis.disconnect();
    },
  };
}
