import { Worker, type Job } from 'bullmq';
import { deliveryQueueName } from '../../src/queue/jobs';
import { postJson, type Stack } from './stack';

/**
 * What the delivery specs look at from the outside: the lead's status over HTTP, the simulator's
 * leads, BullMQ's own view of a job. Only HTTP, Redis and the simulator, so a spec reads the same
 * against any leadgate version.
 */
export interface LeadView {
  status: string;
  bitrixLeadId?: number;
  lastError?: string;
  attempts?: number;
  history: Array<{ at: string; outcome: string; code?: string; message?: string }>;
}

export async function leadView(apiUrl: string, id: string): Promise<LeadView> {
  const response = await fetch(`${apiUrl}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } });
  return (await response.json()) as LeadView;
}

/** Posts `n` contact-form leads and returns their ids (every one must be accepted). */
export async function submitLeads(apiUrl: string, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const response = await postJson(`${apiUrl}/v1/forms/contact`, { name: `Lead ${i}`, email: `${tag}${i}@example.com` });
    if (response.status !== 202) throw new Error(`lead ${i} answered ${response.status}: ${await response.text()}`);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

/** The portal's calls for leads: without the CRM-mode read each worker makes when it starts. */
export function leadCalls(sim: Stack['sim']): ReturnType<Stack['sim']['calls']> {
  return sim.calls().filter((c) => c.method !== 'crm.settings.mode.get');
}

/** Live copies of a lead in the simulated portal (deleted ones excluded). */
export function copiesOf(sim: Stack['sim'], id: string): number {
  return sim.leads().filter((l) => String(l.fields.ORIGIN_ID) === id).length;
}

/** The portal creates a lead for `id` the way a worker's request would have (real HTTP). */
export async function createInPortal(sim: Stack['sim'], id: string): Promise<number> {
  const response = await postJson(`${sim.webhookUrl}crm.lead.add.json`, { fields: { TITLE: `Lead ${id}`, ORIGINATOR_ID: 'leadgate', ORIGIN_ID: id } });
  const body = (await response.json()) as { result: number };
  return Number(body.result);
}

/**
 * A worker that takes the next delivery job and dies: it holds the job's lock for `lockMs` and never
 * renews it, so BullMQ's stall check (in whichever worker runs next) takes the job over.
 */
export async function takeJobAndDie(stack: Pick<Stack, 'config' | 'prefix'>, lockMs = 1000): Promise<Job> {
  const doomed = new Worker(deliveryQueueName('main'), null, { connection: { url: stack.config.redis.url }, prefix: stack.prefix, lockDuration: lockMs, autorun: false });
  try {
    const job = await doomed.getNextJob('a-worker-that-died');
    if (!job) throw new Error('no job to take');
    return job;
  } finally {
    await doomed.close();
  }
}

/** Sum of a Prometheus metric's samples whose labels include every given label. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function metricsOf(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}
