/**
 * The conversion loop under SIGKILL: leads from Meta lead ads and from Google ads are moved through
 * two stages in the Bitrix24 simulator while every worker is SIGKILLed whenever a send to the Meta
 * Conversions API or Google's Data Manager API is in flight (the platform has taken the events, its
 * answer is held back, so the dying worker never records them as sent).
 *
 * What exactly once means here: each (lead, stage, platform) reaches the platform under one
 * deterministic id (Meta's event_id, Google's transaction id: conversionId(lead, platform, event)),
 * and the platform counts an id once. A batch in flight when its worker died is sent again by the
 * worker that takes the stalled job over: the same ids, the same payload, which the platform's
 * deduplication collapses. So the proof counts what the simulators received by id: every expected id
 * at least once (none lost), no other id, every copy of an id identical (none counted twice), and
 * every conversion `sent` in leadgate's own record.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startBitrix24Simulator, startGoogleAdsSimulator, startMetaCapiSimulator, startMetaSimulator,
  type Bitrix24Simulator, type GoogleAdsSimulator, type MetaCapiSimulator, type MetaSimulator,
} from '@leadgate/simulators';
import { conversionId } from '../../src/lead/conversion';
import { sleep, waitFor } from '../helpers/wait-for';
import { freePort } from './harness/free-port';
import { seededRandom } from './harness/killer';
import { LeadgateCluster } from './harness/leadgate-cluster';
import { RedisProcess } from './harness/redis-process';
import { CHAOS_DELIVERY } from './harness/scenario';

const LEADS_PER_PLATFORM = Number(process.env.CHAOS_CONVERSION_LEADS ?? 30);
const APP_SECRET = 'chaos-meta-secret';
const PAGE = '1234567890123456789';
const PAGE_TOKEN = 'EAAB-chaos-page';
const DATASET = '555000111222333';
const CAPI_TOKEN = 'EAAB-chaos-capi';
const CUSTOMER = '1234567890';
const ACTIONS = { 'Qualified lead': '987654321', Sale: '987654322' };
const APP_TOKEN = 'chaos-b24-events';
// The platforms take the events at once and answer this late: a kill meanwhile loses the answer, not the events.
const HOLD_MS = 400;

interface Expected {
  meta: Map<string, string>;
  google: Map<string, string>;
}

it('conversion workers SIGKILLed mid-send to Meta and Google: every (lead, stage, platform) arrives under one id, none lost, none counted twice', async () => {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
  const random = seededRandom(seed);
  process.stdout.write(`chaos conversion-kills: seed ${seed}\n`);
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'leadgate-chaos-conversions-'));
  // A roomy request budget: the scenario is about the platforms, not the portal's limits.
  const bucket = { drainPerSecond: 50, limit: 500 };
  const sim: Bitrix24Simulator = await startBitrix24Simulator({ bucket });
  const meta: MetaSimulator = await startMetaSimulator({ appSecret: APP_SECRET, pageTokens: { [PAGE]: PAGE_TOKEN } });
  const capi: MetaCapiSimulator = await startMetaCapiSimulator({ datasetId: DATASET, accessToken: CAPI_TOKEN });
  const google: GoogleAdsSimulator = await startGoogleAdsSimulator({ customerId: CUSTOMER, conversionActionIds: Object.values(ACTIONS) });
  const redis = new RedisProcess(await freePort(), dir);
  let cluster: LeadgateCluster | undefined;
  try {
    await redis.start();
    cluster = await LeadgateCluster.create({
      dir,
      redisUrl: redis.url,
      webhookUrl: sim.webhookUrl,
      workers: 2,
      delivery: CHAOS_DELIVERY,
      destination: { rateLimit: bucket },
      sections: {
        sources: { meta: { appSecret: APP_SECRET, verifyToken: 'verify', graphUrl: meta.graphUrl, pages: { [PAGE]: { accessToken: PAGE_TOKEN } } } },
        conversions: {
          destinations: { main: { applicationToken: APP_TOKEN, sweepIntervalSeconds: 0 } },
          leadStatuses: { IN_PROCESS: { meta: 'Qualified', google: 'Qualified lead' }, PROCESSED: { meta: 'Converted', google: 'Sale' } },
          meta: { datasetId: DATASET, accessToken: CAPI_TOKEN, graphUrl: capi.graphUrl, lingerMs: 50 },
          google: {
            customerId: CUSTOMER,
            serviceAccount: { ...google.serviceAccount, tokenUrl: google.tokenUrl },
            ingestUrl: google.ingestUrl,
            conversionActions: ACTIONS,
            lingerMs: 50,
          },
        },
      },
    });
    await cluster.start();
    sim.subscribeEvents({ url: `${cluster.apiUrl}/v1/webhooks/bitrix24/main`, applicationToken: APP_TOKEN });
    capi.setHold(HOLD_MS);
    google.setHold(HOLD_MS);

    // Kills go on until every conversion has reached its platform at least once, so resends die too.
    let expected: Expected | undefined;
    const arrived = () => expected !== undefined && distinct(metaIds(capi)).size >= expected.meta.size && distinct(googleIds(google)).size >= expected.google.size;
    const killing = killWhileSending(cluster, capi, google, () => arrived() || Date.now() - startedAt > 45_000, random);
    const fed = await feedAndMove(cluster.apiUrl, sim, meta);
    expected = fed;
    const kills = await killing;
    await cluster.restartAllWorkers();

    // Quiet: every expected id at a platform and every record `sent` (stalled jobs are taken over after the lock, 2 s).
    const all = [...fed.meta.keys(), ...fed.google.keys()];
    const records = await waitFor(async () => {
      if (distinct(metaIds(capi)).size < fed.meta.size || distinct(googleIds(google)).size < fed.google.size) return undefined;
      const views = await Promise.all([...new Set([...fed.meta.values(), ...fed.google.values()])].map((leadId) => conversionsOf(cluster!.apiUrl, leadId)));
      const statuses = views.flat();
      return statuses.length === all.length && statuses.every((c) => c.status === 'sent') ? statuses : undefined;
    }, 'every conversion at its platform and sent', 60_000, 250);
    // Anything still on its way would show now.
    capi.setHold(0);
    google.setHold(0);
    await sleep(1500);

    const metaReceived = metaIds(capi);
    const googleReceived = googleIds(google);
    const verdict = {
      expected: { meta: fed.meta.size, google: fed.google.size },
      lost: { meta: [...fed.meta.keys()].filter((id) => !metaReceived.has(id)), google: [...fed.google.keys()].filter((id) => !googleReceived.has(id)) },
      unexpected: { meta: [...metaReceived.keys()].filter((id) => !fed.meta.has(id)), google: [...googleReceived.keys()].filter((id) => !fed.google.has(id)) },
      // Copies of one id that differ would be counted twice by the platform.
      conflicting: {
        meta: [...metaReceived].filter(([, copies]) => new Set(copies).size > 1).map(([id]) => id),
        google: [...googleReceived].filter(([, copies]) => new Set(copies).size > 1).map(([id]) => id),
      },
      notSent: records.filter((c) => c.status !== 'sent').length,
    };
    const copies = (received: Map<string, string[]>) => [...received.values()].reduce((n, c) => n + c.length, 0);
    const resent = { meta: copies(metaReceived) - metaReceived.size, google: copies(googleReceived) - googleReceived.size };
    process.stdout.write(
      `chaos conversion-kills: ${LEADS_PER_PLATFORM} Meta + ${LEADS_PER_PLATFORM} Google leads, ${all.length} conversions, ${kills.kills} worker kills in ${kills.rounds} rounds, each with a send in flight, ` +
        `received by id: meta ${metaReceived.size}/${fed.meta.size}, google ${googleReceived.size}/${fed.google.size}; ` +
        `resent under the same id (deduplicated by the platform): meta ${resent.meta}, google ${resent.google}; lost 0 expected; ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`,
    );
    if (process.env.CHAOS_REPORT) {
      // A row of `npm run chaos:report`'s table: "leads" are the conversions, resends (same id) beside it.
      const count = (pair: { meta: string[]; google: string[] }) => pair.meta.length + pair.google.length;
      appendFileSync(process.env.CHAOS_REPORT, `${JSON.stringify({
        scenario: 'conversion-kills', at: new Date().toISOString(), leads: all.length, kills: kills.kills, duplicates: count(verdict.conflicting), lost: count(verdict.lost),
        deadLettered: verdict.notSent, deletedDuplicates: 0, unexpected: count(verdict.unexpected), resentSameId: resent.meta + resent.google, wallMs: Date.now() - startedAt,
      })}\n`);
    }
    expect(verdict).toEqual({
      expected: { meta: 2 * LEADS_PER_PLATFORM, google: 2 * LEADS_PER_PLATFORM },
      lost: { meta: [], google: [] },
      unexpected: { meta: [], google: [] },
      conflicting: { meta: [], google: [] },
      notSent: 0,
    });
    // The scenario did what it says: workers died with sends in flight, and what they had sent was sent again.
    expect(kills.rounds).toBeGreaterThanOrEqual(2);
    expect(resent.meta + resent.google).toBeGreaterThan(0);
  } finally {
    await cluster?.stop();
    await redis.stop().catch(() => undefined);
    await Promise.all([sim.close(), meta.close(), capi.close(), google.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Meta lead ads leads and Google-click form leads, each moved to IN_PROCESS then PROCESSED in the
 * portal once it is there: the conversion ids leadgate must send, mapped to their lead.
 */
async function feedAndMove(apiUrl: string, sim: Bitrix24Simulator, meta: MetaSimulator): Promise<Expected> {
  const expected: Expected = { meta: new Map(), google: new Map() };
  const leads: Array<{ leadId?: string; match: (l: { fields: Record<string, unknown> }) => boolean; platform: 'meta' | 'google' }> = [];
  for (let i = 0; i < LEADS_PER_PLATFORM; i++) {
    const leadgenId = String(1_000_000_000_000_000 + i);
    meta.addLead({ id: leadgenId, page_id: PAGE, form_id: '7000000000000001', field_data: [{ name: 'email', values: [`meta${i}@example.com`] }] });
    const sent = await meta.sendWebhook(`${apiUrl}/v1/webhooks/meta`, [leadgenId]);
    if (sent.status !== 200) throw new Error(`Meta webhook answered ${sent.status}`);
    leads.push({ platform: 'meta', match: (l) => String(l.fields.COMMENTS ?? '').includes(`meta_lead_id: ${leadgenId}`) });

    const res = await fetch(`${apiUrl}/v1/forms/chaos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `google${i}@example.com`, gclid: `Cj0KCQ-chaos-${i}` }),
    });
    if (res.status !== 202) throw new Error(`form answered ${res.status}`);
    const { id } = (await res.json()) as { id: string };
    leads.push({ platform: 'google', leadId: id, match: (l) => l.fields.ORIGIN_ID === id });
    await sleep(120);
  }
  const pending = [...leads];
  // Each lead as soon as it is in Bitrix24: two stage changes, so sends and kills overlap throughout.
  while (pending.length > 0) {
    const inPortal = sim.leads();
    for (let i = pending.length - 1; i >= 0; i--) {
      const lead = pending[i]!;
      const found = inPortal.find(lead.match);
      if (!found) continue;
      pending.splice(i, 1);
      const leadId = String(found.fields.ORIGIN_ID);
      const [first, second] = lead.platform === 'meta' ? ['Qualified', 'Converted'] : ['Qualified lead', 'Sale'];
      expected[lead.platform].set(conversionId(leadId, lead.platform, first!), leadId);
      expected[lead.platform].set(conversionId(leadId, lead.platform, second!), leadId);
      sim.moveStage('lead', found.ID, 'IN_PROCESS');
      await sleep(100);
      sim.moveStage('lead', found.ID, 'PROCESSED');
    }
    await sleep(200);
  }
  await sim.eventsSettled();
  return expected;
}

/**
 * Every worker SIGKILLed the moment a send is in flight at Meta or Google (the platform has the
 * events, its answer is held), restarted a moment later; then a pause while they work again.
 */
async function killWhileSending(cluster: LeadgateCluster, capi: MetaCapiSimulator, google: GoogleAdsSimulator, done: () => boolean, random: () => number): Promise<{ kills: number; rounds: number }> {
  const counts = { kills: 0, rounds: 0 };
  for (;;) {
    while (capi.inFlight() + google.inFlight() === 0 && !done()) await sleep(2);
    if (done()) break;
    counts.rounds++;
    for (let i = 0; i < cluster.workerCount; i++) if (cluster.killWorker(i)) counts.kills++;
    await sleep(300 + random() * 500);
    await cluster.restartAllWorkers();
    await sleep(300 + random() * 700);
  }
  return counts;
}

/** Meta's events by event_id: each copy as the platform would compare it (name, time, lead id). */
function metaIds(capi: MetaCapiSimulator): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const { event, leadId } of capi.received()) {
    const id = String(event.event_id);
    byId.set(id, [...(byId.get(id) ?? []), JSON.stringify([event.event_name, event.event_time, leadId])]);
  }
  return byId;
}

/** Google's uploads by transaction id: each copy as Google would compare it (action, click, time). */
function googleIds(google: GoogleAdsSimulator): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const { event, productDestinationId } of google.ingested()) {
    const id = String(event.transactionId);
    byId.set(id, [...(byId.get(id) ?? []), JSON.stringify([productDestinationId, event.adIdentifiers, event.eventTimestamp])]);
  }
  return byId;
}

const distinct = (byId: Map<string, string[]>) => new Set(byId.keys());

async function conversionsOf(apiUrl: string, leadId: string): Promise<Array<{ status: string }>> {
  const res = await fetch(`${apiUrl}/v1/leads/${leadId}`, { headers: { authorization: 'Bearer chaos-admin' } });
  if (!res.ok) return [];
  return ((await res.json()) as { conversions?: Array<{ status: string }> }).conversions ?? [];
}
