/**
 * Kills workers every 2–3 s while leads flow, cycling through three moments: a random one, right
 * after the portal wrote an answer to a lead-creating request (every worker dies, so the one that
 * got the answer surely does), and while a request is in flight at the portal. Each killed worker
 * is restarted a moment later.
 */
import type { SimulatedCall } from '@leadgate/simulators';
import { sleep } from '../../helpers/wait-for';
import type { ScenarioContext } from './scenario';

export type KillMoment = 'random' | 'after-answer' | 'in-flight';

/** Small seeded PRNG so a failing run can be repeated with CHAOS_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const createsLeads = (call: SimulatedCall) => !call.viaBatch && (call.method === 'batch' || call.method === 'crm.lead.add') && call.status === 200;

export async function killWorkersUntil(ctx: ScenarioContext, done: () => boolean, random: () => number): Promise<Record<KillMoment, number>> {
  const moments: KillMoment[] = ['random', 'after-answer', 'in-flight'];
  const counts: Record<KillMoment, number> = { random: 0, 'after-answer': 0, 'in-flight': 0 };
  const restarts: Promise<void>[] = [];
  const { cluster } = ctx;
  const killAndRestart = (indexes: number[], moment: KillMoment): void => {
    for (const i of indexes) {
      if (!cluster.killWorker(i)) continue;
      counts[moment]++;
      restarts.push(sleep(300 + random() * 500).then(() => cluster.restartWorker(i)));
    }
  };
  const running = () => [...Array(cluster.workerCount).keys()].filter((i) => cluster.isWorkerRunning(i));
  for (let round = 0; !done(); round++) {
    await sleep(2000 + random() * 1000);
    if (done()) break;
    const moment = moments[round % moments.length] as KillMoment;
    if (moment === 'after-answer') {
      const fired = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 3000);
        ctx.onCall((call) => {
          if (!createsLeads(call)) return;
          ctx.onCall(undefined);
          clearTimeout(timer);
          killAndRestart(running(), 'after-answer');
          resolve(true);
        });
      });
      ctx.onCall(undefined);
      if (fired) continue;
    }
    if (moment === 'in-flight') {
      const deadline = Date.now() + 3000;
      while (ctx.sim.stats().inFlight === 0 && Date.now() < deadline) await sleep(5);
    }
    const candidates = running();
    const pick = candidates[Math.floor(random() * candidates.length)];
    if (pick !== undefined) killAndRestart([pick], moment === 'after-answer' ? 'random' : moment);
  }
  await Promise.all(restarts);
  return counts;
}
