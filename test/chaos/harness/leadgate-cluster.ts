/**
 * Real leadgate processes on one Redis: one `leadgate api` and N `leadgate worker`, each its own OS
 * process started from a YAML file, so SIGKILL and SIGTERM hit them exactly as in production.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { exited, spawnLeadgate } from '../../helpers/spawn-leadgate';
import { sleep } from '../../helpers/wait-for';
import { freePort } from './free-port';

/** Hash-tagged, so every scenario's keys share one slot and the harness runs on Redis Cluster too. */
export const CHAOS_PREFIX = '{chaos}';
export const CHAOS_FORM = 'chaos';

export interface ClusterSettings {
  dir: string;
  redisUrl: string;
  /** The whole `redis` section (Sentinel, Cluster, waitReplicas) instead of `redisUrl`; the prefix is added. */
  redis?: Record<string, unknown>;
  webhookUrl: string;
  workers: number;
  /** `delivery` keys; keys the config schema does not know yet are left out (and named in `skippedKeys`). */
  delivery?: Record<string, unknown>;
  /** Settings of the `main` destination besides its webhook URL. */
  destination?: Record<string, unknown>;
  /** Further top-level sections (`sources`, `conversions`), the same in every process's file. */
  sections?: Record<string, unknown>;
}

interface WorkerSlot {
  configFile: string;
  port: number;
  child?: ChildProcess;
}

export class LeadgateCluster {
  readonly apiUrl: string;
  /** The API's config file: also what `leadgate dlq` and the harness's Redis reads use. */
  readonly configFile: string;
  readonly skippedKeys: string[];
  kills = 0;
  private api?: ChildProcess;
  private readonly workers: WorkerSlot[];

  private constructor(
    private readonly apiPort: number,
    configFile: string,
    workers: WorkerSlot[],
    skippedKeys: string[],
  ) {
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.configFile = configFile;
    this.workers = workers;
    this.skippedKeys = skippedKeys;
  }

  static async create(s: ClusterSettings): Promise<LeadgateCluster> {
    const { delivery, skipped } = knownDeliveryKeys(s.delivery ?? {});
    const apiPort = await freePort();
    const write = (name: string, workerPort: number): string => {
      const file = join(s.dir, name);
      const config = {
        redis: { ...(s.redis ?? { url: s.redisUrl }), prefix: CHAOS_PREFIX },
        http: { host: '127.0.0.1', port: apiPort, rateLimit: { windowMs: 60_000, limit: 1_000_000 } },
        worker: { host: '127.0.0.1', port: workerPort },
        admin: { token: 'chaos-admin' },
        // In the scenario's directory, so a restarted API finds what the killed one spooled.
        intake: { spool: { directory: join(s.dir, 'spool'), drainIntervalMs: 200 } },
        acceptAnyForm: true,
        forms: {},
        delivery,
        destinations: { main: { webhookUrl: s.webhookUrl, probeIntervalMs: 1000, ...s.destination } },
        ...s.sections,
      };
      writeFileSync(file, stringify(config));
      return file;
    };
    const configFile = write('api.yaml', 0);
    const workers: WorkerSlot[] = [];
    for (let i = 0; i < s.workers; i++) {
      const port = await freePort();
      workers.push({ configFile: write(`worker-${i}.yaml`, port), port });
    }
    return new LeadgateCluster(apiPort, configFile, workers, skipped);
  }

  async start(): Promise<void> {
    this.api = spawnLeadgate(['-c', this.configFile, 'api']);
    for (const w of this.workers) this.spawnWorker(w);
    await Promise.all([waitHealthy(`${this.apiUrl}/healthz`), ...this.workers.map((w) => waitHealthy(`http://127.0.0.1:${w.port}/healthz`))]);
  }

  /** SIGKILL the API process (its spool stays on disk); restartApi starts it again on the same port and files. */
  async killApi(): Promise<void> {
    if (!this.api || this.api.exitCode !== null || this.api.signalCode !== null) return;
    this.api.kill('SIGKILL');
    await exited(this.api);
    this.kills++;
  }

  async restartApi(): Promise<void> {
    this.api = spawnLeadgate(['-c', this.configFile, 'api']);
    await waitHealthy(`${this.apiUrl}/healthz`);
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** SIGKILL, no questions asked; the slot stays empty until restartWorker. */
  killWorker(index: number): boolean {
    const child = this.workers[index]?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return false;
    child.kill('SIGKILL');
    this.kills++;
    return true;
  }

  async restartWorker(index: number): Promise<void> {
    const w = this.workers[index];
    if (!w) return;
    if (w.child) await exited(w.child);
    this.spawnWorker(w);
  }

  isWorkerRunning(index: number): boolean {
    const child = this.workers[index]?.child;
    return Boolean(child && child.exitCode === null && child.signalCode === null);
  }

  /** SIGTERM every worker; resolves with how long each took to exit (ms) and its exit code. */
  async terminateWorkers(): Promise<Array<{ ms: number; code: number | null }>> {
    const started = Date.now();
    return Promise.all(
      this.workers.map(async (w) => {
        if (!w.child) return { ms: 0, code: null };
        w.child.kill('SIGTERM');
        const code = await exited(w.child);
        return { ms: Date.now() - started, code };
      }),
    );
  }

  async restartAllWorkers(): Promise<void> {
    for (let i = 0; i < this.workers.length; i++) if (!this.isWorkerRunning(i)) await this.restartWorker(i);
    await Promise.all(this.workers.map((w) => waitHealthy(`http://127.0.0.1:${w.port}/healthz`)));
  }

  async stop(): Promise<void> {
    const children = [this.api, ...this.workers.map((w) => w.child)].filter((c): c is ChildProcess => c !== undefined);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => exited(c)));
  }

  private spawnWorker(w: WorkerSlot): void {
    w.child = spawnLeadgate(['-c', w.configFile, 'worker']);
  }
}

/** `delivery` keys the checked-in schema accepts, so the suite runs before and after a key is added. */
function knownDeliveryKeys(delivery: Record<string, unknown>): { delivery: Record<string, unknown>; skipped: string[] } {
  const schema = JSON.parse(readFileSync(join(__dirname, '../../../schemas/config.schema.json'), 'utf8')) as {
    properties: { delivery: { properties: Record<string, unknown> } };
  };
  const known = new Set(Object.keys(schema.properties.delivery.properties));
  const kept: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(delivery)) {
    if (known.has(key)) kept[key] = value;
    else skipped.push(key);
  }
  return { delivery: kept, skipped };
}

async function waitHealthy(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy`);
    await sleep(100);
  }
}
