import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config';
import { buildConfig } from '../../src/config/load-config';
import { startLeadgate, type Role, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startBitrix24Simulator, type Bitrix24Simulator, type Bitrix24SimulatorOptions } from '@leadgate/simulators';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from './redis';

/** A stack always runs on one Redis server, so its config has a `redis.url`. */
export type StackConfig = Config & { redis: { url: string } };

export interface Stack {
  api: RunningLeadgate;
  sim: Bitrix24Simulator;
  config: StackConfig;
  prefix: string;
  stop(): Promise<void>;
}

type DeepPartial<T> = { [K in keyof T]?: NonNullable<T[K]> extends object ? DeepPartial<NonNullable<T[K]>> : T[K] };

/** Fast retries so retry paths finish within a test; production defaults span a day. */
export const TEST_DELIVERY = { backoff: { baseDelayMs: 50, maxDelayMs: 200 }, attempts: 8, shutdownTimeoutMs: 2000 };

/**
 * A whole leadgate (API + worker on a unique Redis prefix) in front of a Bitrix24 simulator over
 * real HTTP. `overrides` is raw config, validated like a user's file.
 */
export async function startStack(
  name: string,
  options: {
    overrides?: DeepPartial<Config> & Record<string, unknown>;
    /** Settings of the `main` destination pointing at the simulator. */
    destination?: Record<string, unknown>;
    /** The whole `main` destination, built from the running simulator (e.g. an OAuth app it issued tokens for). */
    destinationFromSim?: (sim: Bitrix24Simulator) => Record<string, unknown>;
    sim?: Bitrix24SimulatorOptions;
    role?: Role;
    redisUrl?: string;
  } = {},
): Promise<Stack> {
  const sim = await startBitrix24Simulator(options.sim ?? {});
  const prefix = uniquePrefix(name);
  const redisUrl = options.redisUrl ?? SHARED_REDIS_URL;
  const o = options.overrides ?? {};
  const spoolDirectory = mkdtempSync(join(tmpdir(), `leadgate-spool-${name}-`));
  const config = buildConfig(
    {
      acceptAnyForm: true,
      // Every stack its own spool: port 0 would otherwise make them all share data/spool/api-0.
      intake: { spool: { directory: spoolDirectory, drainIntervalMs: 100 } },
      forms: {},
      ...o,
      redis: { ...(o.redis ?? {}), url: redisUrl, prefix },
      http: { port: 0, host: '127.0.0.1', ...(o.http ?? {}) },
      worker: { port: 0, host: '127.0.0.1' },
      admin: { token: 'admin-secret', ...(o.admin ?? {}) },
      delivery: { ...TEST_DELIVERY, ...(o.delivery ?? {}) },
      destinations: o.destinations ?? { main: options.destinationFromSim ? options.destinationFromSim(sim) : { webhookUrl: sim.webhookUrl, ...options.destination } },
    },
    {},
  ) as StackConfig;
  const api = await startLeadgate({ config, role: options.role ?? 'all', logger: silentLogger });
  // A worker reads the portal's CRM mode as it starts: let that request pass before a spec injects a
  // fault meant for a lead (or counts the portal's calls).
  for (const deadline = Date.now() + 5000; (options.role ?? 'all') !== 'api' && Date.now() < deadline; ) {
    if (sim.calls().some((c) => c.method === 'crm.settings.mode.get')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const stack: Stack = {
    api,
    sim,
    config,
    prefix,
    async stop() {
      // A test may swap in another process (stack.api = …); stop whichever runs now.
      await stack.api.stop();
      await sim.close();
      rmSync(spoolDirectory, { recursive: true, force: true });
      if (!options.redisUrl) await dropPrefix(prefix).catch(() => undefined);
    },
  };
  return stack;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
