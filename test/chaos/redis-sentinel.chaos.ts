/**
 * Redis behind Sentinel (a master, a replica, three Sentinels) while leads flow through real api and
 * worker processes: first `SENTINEL FAILOVER`, then the new master SIGKILLed and started again (it
 * comes back as a replica). Intake keeps answering (202, or 503 while the master changes, which the
 * client retries with the same Idempotency-Key); with `redis.waitReplicas: 1` every 202 was on a
 * replica before it was sent, so none is lost, and none reaches the portal twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBitrix24Simulator } from '@leadgate/simulators';
import { sleep } from '../helpers/wait-for';
import { feedLeads } from './harness/lead-feeder';
import { LeadgateCluster } from './harness/leadgate-cluster';
import { SENTINEL_MASTER, SentinelTopology } from './harness/redis-topology';
import { CHAOS_DELIVERY } from './harness/scenario';
import { expectedVerdict, judge, report, waitUntilQuiet } from './harness/verdict';

const LEADS = Number(process.env.CHAOS_LEADS ?? 250);

it('Sentinel failover and a SIGKILLed master while leads flow: every 202 delivered once (waitReplicas 1)', async () => {
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'leadgate-chaos-sentinel-'));
  const sim = await startBitrix24Simulator();
  let topology: SentinelTopology | undefined;
  let cluster: LeadgateCluster | undefined;
  try {
    topology = await SentinelTopology.start();
    cluster = await LeadgateCluster.create({
      dir,
      redisUrl: await topology.masterUrl(),
      redis: { sentinels: topology.sentinels, name: SENTINEL_MASTER, waitReplicas: 1, waitReplicasTimeoutMs: 1000 },
      webhookUrl: sim.webhookUrl,
      workers: 2,
      delivery: CHAOS_DELIVERY,
    });
    await cluster.start();
    const redis = topology;
    const switches = (async () => {
      await sleep(3000);
      await redis.failover();
      await sleep(3000);
      const { killed } = await redis.killMaster();
      await sleep(1000);
      await redis.restart(killed);
    })();
    const fed = await feedLeads({ apiUrl: cluster.apiUrl, count: LEADS, perSecond: 20, runId: `sentinel-${startedAt.toString(36)}` });
    await switches;
    process.stdout.write(`chaos redis-sentinel: ${fed.retries} client retries (503 while the master changed)\n`);
    await cluster.restartAllWorkers();
    const masterUrl = await topology.masterUrl();
    const settled = await waitUntilQuiet(sim, masterUrl, fed.accepted, 120_000);
    const verdict = await judge(
      { scenario: 'redis-sentinel', kills: 1, startedAt, settled, unanswered: fed.unanswered, refused: fed.refused.length },
      sim,
      masterUrl,
      fed.accepted,
    );
    report(verdict);
    expect(verdict).toEqual(expectedVerdict(verdict));
  } finally {
    await cluster?.stop();
    await topology?.destroy();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
