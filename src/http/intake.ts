import type { Lead } from '../lead/lead';
import type { IntakeSpool } from '../queue/intake-spool/intake-spool';
import type { FetchMetaLeadJob } from '../queue/jobs';
import type { IntakeWrite } from '../queue/intake-write';
import type { FetchLinkedInLeadJob, LinkedInLeadQueue } from '../queue/linkedin-lead-queue';
import { QueueUnavailableError } from '../queue/lead-queue';
import type { MetaLeadQueue } from '../queue/meta-lead-queue';
import { withoutRedaction, type Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { HttpError, queueUnavailable } from './http-error';

/** Where an accepted lead is: in Redis, or in this process's spool until Redis answers. */
export type Accepted = 'queued' | 'spooled';

/** Platform ids a route could not remember in Redis before answering: the spool's drainer does it. */
export interface AcceptOptions {
  seen?: { source: string; ids: string[] };
}

export interface Intake {
  metrics: Metrics;
  logger: Logger;
  /**
   * True when a lead Redis cannot take is spooled instead of refused: a Redis read that would only
   * refine the answer (an idempotency binding, a webhook's seen ids) is then skipped, not a 503.
   */
  canSpool: boolean;
  /** Enqueues (or spools) a normalised lead; resolves only once it is durable, else throws a 503 HttpError. */
  accept(lead: Lead, options?: AcceptOptions): Promise<Accepted>;
  /** Enqueues (or spools) leads all or none (one atomic write per destination), else throws a 503 HttpError. */
  acceptMany(leads: Lead[]): Promise<Accepted>;
  /** Meta fetch jobs of one webhook, all or none, queued or spooled; else throws a 503 HttpError. */
  acceptFetchJobs(jobs: FetchMetaLeadJob[]): Promise<Accepted>;
  /** LinkedIn read jobs of one notification, queued or spooled; else throws a 503 HttpError. */
  acceptLinkedInJobs(jobs: FetchLinkedInLeadJob[]): Promise<Accepted>;
}

/** The one way every route hands a lead to the queue: durable first (Redis, else the spool), acknowledged second. */
export function createIntake(deps: {
  /** Each lead's job, status record and indexes, in one round trip. */
  queue: Pick<IntakeWrite, 'enqueue' | 'enqueueMany'>;
  metaQueue: Pick<MetaLeadQueue, 'enqueueAll'>;
  /** With sources.linkedin. */
  linkedinQueue?: Pick<LinkedInLeadQueue, 'enqueue'>;
  spool?: Pick<IntakeSpool, 'spoolLeads' | 'spoolMetaJobs' | 'spoolLinkedInJobs'>;
  metrics: Metrics;
  logger: Logger;
}): Intake {
  const { spool, logger } = deps;
  const queuedLog = withoutRedaction(logger);
  return {
    metrics: deps.metrics,
    logger,
    canSpool: spool !== undefined,
    async accept(lead, options = {}) {
      return durably([lead.id], () => deps.queue.enqueue(lead), () => spool!.spoolLeads([lead], options.seen), () => recorded(lead));
    },
    async acceptMany(leads) {
      if (leads.length === 0) return 'queued';
      const ids = leads.map((l) => l.id);
      return durably(ids, () => deps.queue.enqueueMany(leads), () => spool!.spoolLeads(leads), () => {
        for (const lead of leads) recorded(lead);
      });
    },
    async acceptFetchJobs(jobs) {
      if (jobs.length === 0) return 'queued';
      return durably(jobs.map((j) => j.leadId), () => deps.metaQueue.enqueueAll(jobs), () => spool!.spoolMetaJobs(jobs), () => undefined);
    },
    async acceptLinkedInJobs(jobs) {
      const queue = deps.linkedinQueue;
      if (jobs.length === 0) return 'queued';
      if (!queue) throw new Error('LinkedIn notifications accepted without sources.linkedin');
      return durably(jobs.map((j) => j.leadId), async () => {
        for (const job of jobs) await queue.enqueue(job);
      }, () => spool!.spoolLinkedInJobs(jobs), () => undefined);
    },
  };

  async function durably(leadIds: string[], enqueue: () => Promise<void>, toSpool: () => Promise<void>, afterQueued: () => void): Promise<Accepted> {
    try {
      await enqueue();
    } catch (err) {
      if (!(err instanceof QueueUnavailableError)) throw err;
      if (!spool) throw refused(leadIds, err.message);
      try {
        await toSpool();
      } catch (spoolErr) {
        throw refused(leadIds, `${err.message}; spool: ${(spoolErr as Error).message}`);
      }
      logger.info({ leadIds, err: err.message }, 'lead spooled; it is queued once Redis answers');
      return 'spooled';
    }
    afterQueued();
    return 'queued';
  }

  function refused(leadIds: string[], reason: string): HttpError {
    logger.error({ leadIds, err: reason }, 'cannot enqueue lead; answering 503');
    return queueUnavailable();
  }

  function recorded(lead: Lead): void {
    deps.metrics.queued.inc({ source: lead.source.kind, destination: lead.destination });
    queuedLog.info({ leadId: lead.id, source: `${lead.source.kind}:${lead.source.name}`, destination: lead.destination }, 'lead queued');
  }
}
