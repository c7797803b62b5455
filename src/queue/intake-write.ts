import type { ChainableCommander } from 'ioredis';
import type { Lead } from '../lead/lead';
import type { Logger } from '../shared/logger';
import type { RedisClient } from '../shared/redis-client';
import { DELIVER_LEAD_JOB, deliverLeadJob } from './jobs';
import { QueueUnavailableError, withinWriteTimeout, type LeadQueue } from './lead-queue';
import { ReplicaWait } from './replica-wait';
import { addJobsScript, JOB_SCRIPT_KEYS, jobScriptArgs, jobScriptKeys } from './standard-job';

/**
 * What accepted leads write beside their delivery jobs (status records, the contact index, and
 * whatever a feature keeps per lead: a search index, counters): commands added to the intake's one
 * pipeline, after the jobs of every lead of the group commit, so they cost no round trip of their own
 * and may file many leads in one command. Synchronous, and free of other side effects: the pipeline
 * may still fail.
 */
export type IntakeCommands = (pipeline: ChainableCommander, leads: readonly Lead[]) => void;

/** The jobs of one destination's queue in a group commit: one call of the jobs script. */
interface QueueJobs {
  keys: Array<string | Buffer>;
  /** Each job's arguments after the keys, three a job. */
  args: Array<string | Buffer>;
  /** The call's reply once the pipeline ran: the script's answer for each job, in order. */
  reply?: [Error | null, unknown];
}

interface GroupCommit {
  pipeline: ChainableCommander;
  /** Every lead whose job is in the pipeline, for the IntakeCommands added when it is sent. */
  leads: Lead[];
  jobs: Map<string, QueueJobs>;
  /** Once the pipeline ran and (redis.waitReplicas) the replicas confirmed it; each QueueJobs has its reply. */
  done: Promise<void>;
}

/** Our name for the script that adds many jobs at once (addJobsScript), on the state connection. */
const ADD_JOBS = 'leadgateAddJobs';

/** BullMQ's own Lua script that `Queue.add` runs for a job without delay or priority. */
const ADD_STANDARD_JOB = 'addStandardJob:';

interface ScriptDefinition {
  lua: string;
  numberOfKeys: number;
}

/**
 * The intake's single Redis round trip: every lead of one acknowledgement (a form post, a partner
 * batch, drained spool entries), and of the others accepted in the same turn of the event loop,
 * becomes one pipeline holding each lead's BullMQ job, BullMQ's own job script run with the
 * arguments `Job.addJob` would give it (standard-job.ts) and `LeadQueue.jobOptions`, once per job but
 * in one call per destination's queue (addJobsScript), then the `IntakeCommands` of all its leads. It resolves once every job
 * is in Redis; a failed job is a failed write (503 or spool), a failed command beside a stored job is
 * logged and the lead still acknowledged, as when the status record was a write of its own.
 *
 * A pipeline, not a MULTI: ioredis recovers from NOSCRIPT (Redis lost its script cache: SCRIPT FLUSH)
 * by resending a pipelined script as EVAL, but inside a MULTI the error comes back in EXEC's reply and
 * every later MULTI would fail the same way until the connection is reset.
 *
 * It runs on the state connection, not BullMQ's: ioredis copies every script defined on a connection
 * into each pipeline made on it (BullMQ defines ~60, a fifth of a millisecond per pipeline), so only
 * the one script this needs is defined here, taken from the definition BullMQ itself loaded.
 */
export class IntakeWrite {
  private readonly replicas: ReplicaWait;
  /** BullMQ's job script, once adopted (adoptJobScript); until then every enqueue is refused. */
  private scriptName: string | undefined;
  private adopting: Promise<void> | undefined;
  /** The pipeline leads join until the current turn of the event loop ends. */
  private pending: GroupCommit | undefined;

  private constructor(
    private readonly state: RedisClient,
    private readonly bullmq: RedisClient,
    private readonly queue: LeadQueue,
    private readonly commands: IntakeCommands[],
    private readonly options: { prefix: string; logger: Logger; enqueueTimeoutMs?: number; waitReplicas?: { replicas: number; timeoutMs: number } },
  ) {
    // WAIT counts the writes of the connection it is sent on: the one that ran the pipeline.
    this.replicas = new ReplicaWait(state, { replicas: 0, timeoutMs: 0, ...options.waitReplicas, slotKey: options.prefix });
  }

  /**
   * Waits until BullMQ has defined its scripts on the queue's connection (`bullmq` is that
   * connection), then defines its job script on `state` too. With `waitForRedis: false` (an API that
   * starts from its spool while Redis is away) it returns at once and adopts the script once the
   * queues are ready; enqueues before that fail with QueueUnavailableError, so their leads are spooled.
   */
  static async open(deps: {
    state: RedisClient;
    bullmq: RedisClient;
    queue: LeadQueue;
    commands: IntakeCommands[];
    prefix: string;
    logger: Logger;
    enqueueTimeoutMs?: number;
    waitReplicas?: { replicas: number; timeoutMs: number };
    waitForRedis?: boolean;
  }): Promise<IntakeWrite> {
    const write = new IntakeWrite(deps.state, deps.bullmq, deps.queue, deps.commands, deps);
    const adopted = write.adoptJobScript();
    if (deps.waitForRedis ?? true) await adopted;
    else adopted.catch((err: unknown) => deps.logger.warn({ err: (err as Error).message }, 'intake: cannot take BullMQ\'s job script yet'));
    return write;
  }

  private adoptJobScript(): Promise<void> {
    this.adopting ??= (async () => {
      await Promise.all(this.queue.all().map((q) => q.waitUntilReady()));
      const scripts = (this.bullmq as unknown as { scriptsSet: Record<string, ScriptDefinition> }).scriptsSet;
      const name = Object.keys(scripts).find((n) => n.startsWith(ADD_STANDARD_JOB));
      if (!name) throw new Error(`BullMQ defined no ${ADD_STANDARD_JOB}<version> script on its connection: is this the bullmq version in package.json?`);
      const definition = scripts[name]!;
      if (definition.numberOfKeys !== JOB_SCRIPT_KEYS) throw new Error(`BullMQ's ${name} takes ${definition.numberOfKeys} keys, not ${JOB_SCRIPT_KEYS}: is this the bullmq version in package.json?`);
      const command = `${ADD_JOBS}:${name}`;
      if (!(this.state as unknown as { scriptsSet: Record<string, unknown> }).scriptsSet[command]) {
        this.state.defineCommand(command, { lua: addJobsScript(definition.lua), numberOfKeys: JOB_SCRIPT_KEYS });
      }
      this.scriptName = command;
    })();
    // A failed attempt (a queue that gave up waiting) is tried again by the next enqueue.
    this.adopting.catch(() => (this.adopting = undefined));
    return this.adopting;
  }

  /** One lead; resolves only once Redis holds it all, else QueueUnavailableError. */
  async enqueue(lead: Lead): Promise<void> {
    await this.enqueueMany([lead]);
  }

  /**
   * Resolves only once Redis holds every job, whatever their destinations. The leads join the
   * pipeline of this turn of the event loop (see GroupCommit), so concurrent posts share one write.
   */
  async enqueueMany(leads: Lead[]): Promise<void> {
    if (leads.length === 0) return;
    if (this.scriptName === undefined) {
      void this.adoptJobScript().catch(() => undefined);
      throw new QueueUnavailableError(new Error('Redis has not answered since this process started'));
    }
    const commit = this.pending ?? this.startCommit();
    const mine: Array<[QueueJobs, number]> = [];
    const timestamp = Date.now();
    for (const lead of leads) {
      const queueKeys = this.queue.queueFor(lead.destination).keys;
      let jobs = commit.jobs.get(lead.destination);
      if (!jobs) {
        jobs = { keys: jobScriptKeys(queueKeys), args: [] };
        commit.jobs.set(lead.destination, jobs);
      }
      mine.push([jobs, jobs.args.length / 3]);
      jobs.args.push(...jobScriptArgs(queueKeys, DELIVER_LEAD_JOB, JSON.stringify(deliverLeadJob(lead)), this.queue.jobOptions(lead), timestamp));
      commit.leads.push(lead);
    }
    await withinWriteTimeout(
      commit.done.then(() => this.check(mine)),
      this.options.enqueueTimeoutMs,
    );
  }

  /**
   * Group commit: every lead accepted during one turn of the event loop (concurrent posts whose
   * bodies arrived together) goes out in one pipeline, sent when the turn ends (setImmediate). Under
   * load that is one socket write and one Redis read for several posts instead of one each, the
   * largest CPU cost of intake after the HTTP parsing itself; alone, a post waits for nothing more
   * than the end of its own turn.
   */
  private startCommit(): GroupCommit {
    const pipeline = this.state.pipeline();
    const addJobs = (pipeline as unknown as Record<string, (...args: Array<string | Buffer>) => void>)[this.scriptName!]!;
    let send!: () => void;
    const sent = new Promise<void>((resolve) => (send = resolve));
    const commit: GroupCommit = {
      pipeline,
      leads: [],
      jobs: new Map(),
      // One WAIT after the whole pipeline covers every lead in it (replica-wait.ts).
      done: sent.then(async () => {
        const groups = [...commit.jobs.values()];
        for (const { keys, args } of groups) addJobs.call(pipeline, ...keys, ...args);
        for (const add of this.commands) add(pipeline, commit.leads);
        const replies = (await pipeline.exec()) ?? [];
        groups.forEach((group, i) => (group.reply = replies[i] ?? [new Error('no reply for the jobs'), null]));
        // The jobs are durable: a command beside them that failed when run only costs what it kept (a
        // status record's early answer, an index entry), never a lead; it is logged, the leads acknowledged.
        const failed = replies.slice(groups.length).find(([err]) => err);
        if (failed && replies.slice(0, groups.length).every(([err]) => !err)) {
          this.options.logger.warn({ leads: commit.leads.length, err: (failed[0] as Error).message }, 'intake: a command beside the jobs failed');
        }
        await this.replicas.confirm();
      }),
    };
    // Rejections are each waiter's own (enqueueMany); this copy only must not go unhandled.
    commit.done.catch(() => undefined);
    this.pending = commit;
    setImmediate(() => {
      this.pending = undefined;
      send();
    });
    return commit;
  }

  /** This caller's share of the replies: its jobs must be stored (a command beside them may fail: see startCommit). */
  private check(mine: Array<[QueueJobs, number]>): void {
    for (const [jobs, position] of mine) {
      const [err, replies] = jobs.reply ?? [new Error('no reply for the jobs'), null];
      if (err) throw err;
      const reply = (replies as unknown[] | null)?.[position];
      // BullMQ's job script answers the job id, or a negative code for an error of its own; the jobs
      // script an error for a job that script failed on.
      if (reply instanceof Error) throw reply;
      if (reply === undefined) throw new Error('no reply for the job');
      if (typeof reply === 'number' && reply < 0) throw new Error(`BullMQ refused the job (code ${reply})`);
    }
  }
}
