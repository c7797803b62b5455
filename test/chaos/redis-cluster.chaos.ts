/**
 * The whole pipeline on a three-master Redis Cluster (prefix `{chaos}`, so every key shares one
 * slot): form posts → BullMQ queue → worker → Bitrix24 simulator, real api and worker processes; a
 * lead the portal refuses is dead-lettered and `leadgate dlq replay --all` (its own process, on the
 * same Cluster config) delivers it. Every 202 reaches the portal once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { startBitrix24Simulator } from '@leadgate/simulators';
import { DeadLetterStore } from '../../src/queue/dead-letter-store';
import { exited, spawnLeadgate } from '../helpers/spawn-leadgate';
import { waitFor } from '../helpers/wait-for';
import { feedLeads } from './harness/lead-feeder';
import { CHAOS_PREFIX, LeadgateCluster } from './harness/leadgate-cluster';
import { ClusterTopology } from './harness/redis-topology';
import { CHAOS_DELIVERY } from './harness/scenario';
import { expectedVerdict, judge, report, waitUntilQuiet } from './harness/verdict';

const LEADS = Number(process.env.CHAOS_LEADS ?? 250);

it('forms → queue → worker → portal on Redis Cluster, dead-letter replay included: every 202 delivered once', async () => {
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'leadgate-chaos-cluster-'));
  const sim = await startBitrix24Simulator();
  let topology: ClusterTopology | undefined;
  let cluster: LeadgateCluster | undefined;
  let slotNode: IORedis | undefined;
  try {
    topology = await ClusterTopology.start();
    // Every key is in the slot of the prefix's hash tag: one node holds them all, so the verdict reads it directly.
    const nodeUrl = await topology.nodeUrlFor(CHAOS_PREFIX);
    const [first, ...rest] = topology.ports;
    cluster = await LeadgateCluster.create({
      dir,
      redisUrl: nodeUrl,
      redis: { cluster: { nodes: [{ host: '127.0.0.1', port: first }, ...rest.map((p) => `redis://127.0.0.1:${p}`)] } },
      webhookUrl: sim.webhookUrl,
      workers: 2,
      delivery: CHAOS_DELIVERY,
    });
    await cluster.start();

    // The portal refuses the first lead for good: it is dead-lettered, to be replayed below.
    // Only crm.lead.add: each worker's start-up CRM-mode read must not take the fault instead.
    sim.injectFault({ kind: 'error', count: 1, status: 400, error: '', description: 'Invalid value for field SOURCE_ID', method: 'crm.lead.add' });
    const refused = await feedLeads({ apiUrl: cluster.apiUrl, count: 1, perSecond: 1, runId: `cluster-dlq-${startedAt.toString(36)}` });
    slotNode = new IORedis(nodeUrl);
    const deadLetters = new DeadLetterStore(slotNode, CHAOS_PREFIX);
    await waitFor(async () => (await deadLetters.count()) === 1, 'the refused lead in the dead-letter queue', 60_000, 200);

    const fed = await feedLeads({ apiUrl: cluster.apiUrl, count: LEADS, perSecond: 40, runId: `cluster-${startedAt.toString(36)}` });
    const replay = spawnLeadgate(['-c', cluster.configFile, 'dlq', 'replay', '--all']);
    expect(await exited(replay)).toBe(0);

    const accepted = new Set([...refused.accepted, ...fed.accepted]);
    const settled = await waitUntilQuiet(sim, nodeUrl, accepted, 90_000);
    const verdict = await judge(
      { scenario: 'redis-cluster', kills: 0, startedAt, settled, unanswered: fed.unanswered + refused.unanswered, refused: fed.refused.length + refused.refused.length },
      sim,
      nodeUrl,
      accepted,
    );
    report(verdict);
    expect(verdict).toEqual(expectedVerdict(verdict));
  } finally {
    slotNode?.disconnect();
    await cluster?.stop();
    await topology?.destroy();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
