/**
 * Console lead search at the issue's size (issue 9): 100,000 leads filed through the real status-record
 * path (LeadLedger + search index), then each kind of search timed as the console runs it (one page of
 * 50 ids from the index, plus reading their 50 status records), beside references measured in the same
 * run: a plain ZREVRANGE of 50 ids from a 100,000-entry sorted set, and reading 50 status records alone.
 * Also the index's Redis memory per lead, beside the status record's.
 *
 *   npm run bench:console-search        (LEADS=100000 RUNS=200 to change the sizes)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { LeadLedger } from '../src/queue/lead-ledger';
import { LeadSearchIndex, pairKey, searchKey, type LeadSearchFilter } from '../src/queue/lead-search-index';
import { seedLeads } from '../test/helpers/seed-leads';
import { dropPrefix, machine, percentile, ROOT } from './support';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEADS = Number(process.env.LEADS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 200);
const DAY = 86_400_000;

async function time(runs: number, run: (i: number) => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = process.hrtime.bigint();
    await run(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), max: Math.max(...samples) };
}

async function main(): Promise<void> {
  const redis = new IORedis(REDIS_URL);
  const prefix = `lgbench-search-${Date.now().toString(36)}`;
  const now = Date.now();
  try {
    console.log(`seeding ${LEADS} leads into ${prefix} …`);
    const seedStarted = Date.now();
    const seeded = await seedLeads(redis, prefix, LEADS, { now, spanDays: 25 });
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    const index = new LeadSearchIndex(redis, prefix, 30 * 86_400);
    const ledger = new LeadLedger(redis, prefix, 30 * 86_400);
    const cursorAt = (filter: LeadSearchFilter) => index.search(filter, { limit: 50 }).then((p) => p.next);

    const searches: Array<[string, LeadSearchFilter]> = [
      ['newest 50, no filter', {}],
      ['status = dead (10%)', { status: 'dead' }],
      ['status + source kind + 7 days', { status: 'delivered', kind: 'partner', from: now - 10 * DAY, to: now - 3 * DAY }],
      ['status + source + destination + dates', { status: 'retrying', source: 'form:quote', destination: 'eu', from: now - 20 * DAY, to: now - DAY }],
      ['rare match: google + dead + eu (walks the smallest set)', { kind: 'google', status: 'dead', destination: 'eu' }],
    ];
    const rows: Array<{ search: string; p50: number; p95: number; max: number; page2?: { p50: number; p95: number } }> = [];

    // References: a bare ZREVRANGE of 50 from the index's largest sorted set, and the 50 status records a page reads.
    const sets = (await redis.smembers(`${prefix}:search:dims`)).filter((d) => d.startsWith('sd:')).map((d) => d.slice(3)).map((d) => pairKey(prefix, d.slice(0, d.indexOf(':')), d.slice(d.indexOf(':') + 1)));
    const sizes = await Promise.all(sets.map((key) => redis.zcard(key)));
    const allKey = sets[sizes.indexOf(Math.max(...sizes))]!;
    const zrange = await time(RUNS, () => redis.zrevrange(allKey, 0, 49));
    rows.push({ search: `reference: ZREVRANGE 0 49 on ${await redis.zcard(allKey)} entries`, ...zrange });
    const fifty = seeded.slice(0, 50).map((l) => l.id);
    const records = await time(RUNS, () => Promise.all(fifty.map((id) => ledger.get(id))));
    rows.push({ search: 'reference: read 50 status records', ...records });

    for (const [name, filter] of searches) {
      const first = await time(RUNS, async () => {
        const page = await index.search(filter, { limit: 50 });
        await Promise.all(page.entries.map((e) => ledger.get(e.id)));
      });
      const cursor = await cursorAt(filter);
      const second = cursor ? await time(RUNS, () => index.search(filter, { cursor, limit: 50 })) : undefined;
      rows.push({ search: name, ...first, ...(second ? { page2: { p50: second.p50, p95: second.p95 } } : {}) });
    }

    let searchBytes = 0;
    for (const dim of await redis.smembers(`${prefix}:search:dims`)) searchBytes += Number(await redis.memory('USAGE', `${prefix}:search:${dim}`, 'SAMPLES', 0));
    for (const status of ['queued', 'retrying', 'delivered', 'dead']) searchBytes += Number((await redis.memory('USAGE', searchKey(prefix, 'status', status), 'SAMPLES', 0)) ?? 0);
    let statusBytes = 0;
    const sample = seeded.slice(0, 2000);
    for (const l of sample) statusBytes += Number(await redis.memory('USAGE', `${prefix}:lead:${l.id}`, 'SAMPLES', 0)) + Number((await redis.memory('USAGE', `${prefix}:lead:${l.id}:attempts`, 'SAMPLES', 0)) ?? 0);

    const fmt = (n: number) => n.toFixed(2);
    console.log(`\n${machine()}; ${LEADS} leads seeded in ${seedSeconds.toFixed(1)} s; ${RUNS} runs each\n`);
    console.log('| search (one page of 50, with its status records) | p50 ms | p95 ms | max ms | next page p50 / p95 ms (index only) |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const r of rows) console.log(`| ${r.search} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.max)} | ${r.page2 ? `${fmt(r.page2.p50)} / ${fmt(r.page2.p95)}` : '–'} |`);
    console.log(`\nsearch index: ${(searchBytes / LEADS).toFixed(0)} bytes per lead; status record with its attempts: ${(statusBytes / sample.length).toFixed(0)} bytes per lead`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/console-search-latest.json'), JSON.stringify({ machine: machine(), leads: LEADS, runs: RUNS, rows, searchBytesPerLead: searchBytes / LEADS, statusBytesPerLead: statusBytes / sample.length }, null, 2));
  } finally {
    redis.disconnect();
    await dropPrefix(REDIS_URL, prefix);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
