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
  return [...jobScriptKeys(keys), ...jobScriptArgs(keys, name, data, options, timestamp)];
}

/** The job script's keys: the same for every job of the queue. */
export function jobScriptKeys(keys: QueueKeyMap): string[] {
  return [keys.wait!, keys.paused!, keys.meta!, keys.id!, keys.completed!, keys.delayed!, keys.active!, keys.events!, keys.marker!];
}

/** The job script's arguments for one job (standardJobArgs after the keys). */
export function jobScriptArgs(keys: QueueKeyMap, name: string, data: string, options: DeliveryJobOptions, timestamp: number): [Buffer, string, Buffer] {
  return [
    // prefix, id, name, timestamp, parentKey, parentDependenciesKey, parent, repeatJobKey, deduplication key, deferParentRelease
    packer.pack([keys['']!, options.jobId, name, timestamp, null, null, undefined, undefined, null, null]),
    data,
    // Job's constructor puts `attempts` first (Object.assign({ attempts: 0 }, opts)).
    packer.pack({ attempts: options.attempts, jobId: options.jobId, backoff: options.backoff }),
  ];
}

/** How many keys BullMQ's addStandardJob takes (standardJobArgs' first nine arguments). */
export const JOB_SCRIPT_KEYS = 9;

/**
 * A script that runs BullMQ's own `addStandardJob` (its Lua text, `lua`, unchanged) once for each of
 * many jobs of one queue: KEYS are the queue's nine keys, ARGV the jobs' other arguments, three each
 * (standardJobArgs after the keys). It answers what the script answered for each job, in order, or an
 * error for a job the script failed on (pcall: a failed job leaves the others as separate calls did).
 *
 * One call for a group commit's jobs instead of one each: the nine keys are sent once, not with every
 * job (~450 of a lead's ~1,900 bytes to Redis), and the client builds, writes and parses one command
 * instead of one per lead (bench: a third less client time per job in commits of 8).
 */
export function addJobsScript(lua: string): string {
  return `local function addStandardJob(KEYS, ARGV)
${lua}
end
local keys = { ${Array.from({ length: JOB_SCRIPT_KEYS }, (_, i) => `KEYS[${i + 1}]`).join(', ')} }
local added = {}
for i = 1, #ARGV, 3 do
  local ok, reply = pcall(addStandardJob, keys, { ARGV[i], ARGV[i + 1], ARGV[i + 2] })
  if ok then added[#added + 1] = reply else added[#added + 1] = { err = tostring(reply) } end
end
return added`;
}
