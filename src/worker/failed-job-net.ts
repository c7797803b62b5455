import { Job, Queue, QueueEvents } from 'bullmq';
import { QUEUE_STREAMS } from '../queue/jobs';
import type { RedisClient } from '../shared/redis-client';
import { logErrors } from '../shared/log-errors';
import type { Logger } from '../shared/logger';

/** A start-up sweep handles this many; the rest wait for the next start (they stay visible in metrics). */
const SWEEP_LIMIT = 10_000;

export interface FailedJobNetOptions {
  queueName: string;
  prefix: string;
  /** BullMQ's connection for reading jobs. */
  connection: RedisClient;
  /** A connection of its own: QueueEvents blocks on it. */
  eventsConnection: RedisClient;
  logger: Logger;
  /**
   * Moves what the failed job carried somewhere a person will see it (the dead-letter queue). Must be
   * safe to call from several processes for the same job. Resolves `true` once the job's content is
   * safe elsewhere (then the job is removed), `false` to keep the job for the next sweep.
   */
  rescue(job: Job): Promise<boolean>;
}

export interface FailedJobNet {
  /** Rescues every job already in the failed set (failures that happened while no worker listened). */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

/** Failures between two sweeps are heard as events; the periodic sweep only covers a missed event. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The safety net for jobs BullMQ fails outside our processors (stalled too often, a lost lock, a
 * payload no processor could read): each is rescued, then removed, so no lead sits unseen in BullMQ's
 * failed set and no personal data stays there. Every worker process listens; `rescue` decides who acts.
 */
export function startFailedJobNet(options: FailedJobNetOptions): FailedJobNet {
  const { queueName, prefix, logger } = options;
  const queue = new Queue(queueName, { connection: options.connection, prefix, streams: QUEUE_STREAMS });
  queue.on('error', () => undefined);
  let events: QueueEvents | undefined;
  let closed = false;

  async function rescueAndRemove(job: Job): Promise<void> {
    if ((await job.getState()) !== 'failed') return;
    // Another process may be dead-lettering it right now: the job stays until its entry exists.
    if (!(await options.rescue(job))) return;
    // Another process may have removed it first; that is the same outcome.
    await job.remove().catch(() => undefined);
  }

  async function sweep(): Promise<number> {
    let rescued = 0;
    for (const job of await queue.getFailed(0, SWEEP_LIMIT - 1)) {
      await rescueAndRemove(job).then(
        () => (rescued += 1),
        (err: Error) => logger.error({ queue: queueName, jobId: job.id, err: err.message }, 'cannot rescue a failed job'),
      );
    }
    return rescued;
  }

  const sweepLogged = (): Promise<void> =>
    sweep().then(
      (n) => void (n > 0 && logger.warn({ queue: queueName, jobs: n }, 'failed jobs found by the sweep moved to the dead-letter queue')),
      (err: Error) => logger.error({ queue: queueName, err: err.message }, 'sweep of failed jobs failed'),
    );

  /**
   * Listens from the event stream's current end, then sweeps: a failure is either already in the
   * failed set when the sweep reads it, or its event comes after that point and is heard.
   */
  async function listen(): Promise<void> {
    const last = await options.connection.xrevrange(`${prefix}:${queueName}:events`, '+', '-', 'COUNT', 1);
    if (closed) return;
    events = new QueueEvents(queueName, { connection: options.eventsConnection, prefix, lastEventId: last[0]?.[0] ?? '0-0' });
    logErrors(events, logger, { queue: queueName, part: 'failed-job net' });
    events.on('failed', ({ jobId }) => {
      void (async () => {
        const job = await Job.fromId(queue, jobId);
        if (job) await rescueAndRemove(job);
      })().catch((err: Error) => logger.error({ queue: queueName, jobId, err: err.message }, 'cannot rescue a failed job; it stays in the failed set for the next sweep'));
    });
    await sweepLogged();
  }
  const listening = listen().catch((err: Error) => logger.error({ queue: queueName, err: err.message }, 'cannot listen for failed jobs; the periodic sweep still runs'));
  const timer = setInterval(() => void sweepLogged(), SWEEP_INTERVAL_MS);
  timer.unref();

  return {
    sweep,
    async close() {
      closed = true;
      clearInterval(timer);
      await listening;
      await events?.close();
      await queue.close();
      options.eventsConnection.disconnect();
    },
  };
}
