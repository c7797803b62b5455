/**
 * One chaos scenario end to end: a private Redis with AOF, an in-process Bitrix24 simulator over
 * real HTTP, one `leadgate api` and two `leadgate worker` processes; the scenario's own faults;
 * then wait until the system is quiet and judge what reached the portal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBitrix24Simulator, type Bitrix24Simulator, type Bitrix24SimulatorOptions, type SimulatedCall } from '@leadgate/simulators';
import { freePort } from './free-port';
import type { FeedResult } from './lead-feeder';
import { LeadgateCluster } from './leadgate-cluster';
import { RedisProcess } from './redis-process';
import { judge, report, waitUntilQuiet, type Verdict } from './verdict';

/** Fast retries and takeovers so a scenario settles in seconds; production defaults span a day. */
export const CHAOS_DELIVERY = {
  attempts: 30,
  backoff: { baseDelayMs: 200, maxDelayMs: 2000 },
  lockDurationMs: 2000,
  maxStalls: 20,
  shutdownTimeoutMs: 3000,
  duplicateCheckDelayMs: 3000,
};

export interface ScenarioContext {
  sim: Bitrix24Simulator;
  cluster: LeadgateCluster;
  redis: RedisProcess;
  runId: string;
  /** Called with every portal call-log entry, synchronously, right after the answer was written. */
  onCall(listener: ((call: SimulatedCall) => void) | undefined): void;
}

export interface ScenarioSettings {
  name: string;
  sim?: Bitrix24SimulatorOptions;
  delivery?: Record<string, unknown>;
  destination?: Record<string, unknown>;
  settleTimeoutMs?: number;
}

export async function runScenario(settings: ScenarioSettings, body: (ctx: ScenarioContext) => Promise<FeedResult>): Promise<Verdict> {
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `leadgate-chaos-${settings.name}-`));
  let listener: ((call: SimulatedCall) => void) | undefined;
  const sim = await startBitrix24Simulator({ ...settings.sim, onCall: (call) => listener?.(call) });
  const redis = new RedisProcess(await freePort(), dir);
  let cluster: LeadgateCluster | undefined;
  try {
    await redis.start();
    cluster = await LeadgateCluster.create({
      dir,
      redisUrl: redis.url,
      webhookUrl: sim.webhookUrl,
      workers: 2,
      delivery: { ...CHAOS_DELIVERY, ...settings.delivery },
      destination: settings.destination,
    });
    if (cluster.skippedKeys.length > 0) {
      process.stdout.write(`chaos ${settings.name}: config schema lacks delivery.${cluster.skippedKeys.join(', delivery.')}; running without\n`);
    }
    await cluster.start();
    const runId = `${settings.name}-${startedAt.toString(36)}`;
    const fed = await body({ sim, cluster, redis, runId, onCall: (l) => (listener = l) });
    listener = undefined;
    await cluster.restartAllWorkers();
    const settled = await waitUntilQuiet(sim, redis.url, fed.accepted, settings.settleTimeoutMs ?? 90_000);
    const kills = cluster.kills + redis.kills;
    const verdict = await judge({ scenario: settings.name, kills, startedAt, settled, unanswered: fed.unanswered, refused: fed.refused.length }, sim, redis.url, fed.accepted);
    report(verdict);
    if (fed.refused.length > 0) process.stdout.write(`chaos ${settings.name}: refused ${JSON.stringify(fed.refused.slice(0, 3))}\n`);
    return verdict;
  } finally {
    await cluster?.stop();
    await redis.stop().catch(() => undefined);
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
