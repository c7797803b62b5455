import { Packr } from 'msgpackr';

/** The options every delivery job is added with (LeadQueue.jobOptions), in the order BullMQ keeps them. */
export interface DeliveryJobOptions {
  jobId: string;
  attempts: number;
  backoff: { type: string };
}

/** BullMQ's map of one queue's keys (`queue.keys`): `''` is the queue's own prefix. */
export type QueueKeyMap = Readonly<Record<string, string>>;

// BullMQ 6 packs a job's arguments and options with these settings (redis-queue-backend.js).
const packer = new Packr({ useRecords: false, encodeUndefinedAsNil: true });

/**
 * The arguments of BullMQ's `addStandardJob` script for one delivery job (no delay, priority, parent
 * or deduplication), made here rather than by `new Job(...).addJob(pipeline)`: that path builds a Job,
 * its JSON with a dozen fields a new job never has, checks options this job never sets and returns
 * a promise, ~13 µs of the ~30 a lead's job took on the bench machine (its profile's largest BullMQ
 * share). The bytes are BullMQ's own: `standard-job.test.ts` compares them with what `Job.addJob`
 * sends for the same jobs, so a BullMQ upgrade that changes its encoding fails there first.
 *
 * `data` is the payload's JSON; `timestamp` the job's creation time (ms).
 */
export function standardJobArgs(keys: QueueKeyMap, name: string, data: string, options: DeliveryJobOptions, timestamp: number): Array<string | Buffer> {
  return [
    keys.wait!,
    keys.paused!,
    keys.meta!,
    keys.id!,
    keys.completed!,
    keys.delayed!,
    keys.active!,
    keys.events!,
    keys.marker!,
    // prefix, id, name, timestamp, parentKey, parentDependenciesKey, parent, repeatJobKey, deduplication key, deferParentRelease
    packer.pack([keys['']!, options.jobId, name, timestamp, null, null, undefined, undefined, null, null]),
    data,
    // Job's constructor puts `attempts` first (Object.assign({ attempts: 0 }, opts)).
    packer.pack({ attempts: options.attempts, jobId: options.jobId, backoff: options.backoff }),
  ];
}
