import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lead } from '../../src/lead/lead';
import { SpoolFullError, SpoolJournal } from '../../src/queue/intake-spool/spool-journal';
import { decodeRecords, encodeRecord, type SpoolEntry } from '../../src/queue/intake-spool/spool-record';
import { silentLogger } from '../../src/shared/logger';
import { Metrics } from '../../src/shared/metrics';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'leadgate-spool-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function lead(n: number): Lead {
  return {
    id: `lg_spool${String(n).padStart(6, '0')}`,
    source: { kind: 'form', name: 'contact' },
    destination: 'main',
    receivedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
    fields: { NAME: `Lead ${n}` },
    utm: {},
    tracking: { clickIds: {} },
    extra: [],
  } as unknown as Lead;
}

const entry = (n: number): SpoolEntry => ({ v: 1, kind: 'leads', spooledAt: new Date().toISOString(), leads: [lead(n)] });
const open = (options: { maxBytes?: number; segmentBytes?: number; metrics?: Metrics } = {}) =>
  SpoolJournal.open({ directory: dir, maxBytes: options.maxBytes ?? 1024 * 1024, segmentBytes: options.segmentBytes, logger: silentLogger, metrics: options.metrics });
const segmentFiles = () => readdirSync(dir).filter((n) => n.endsWith('.spool')).sort();
const leadIdsOf = (entries: SpoolEntry[]) => entries.flatMap((e) => (e.kind === 'leads' ? e.leads.map((l) => l.id) : []));

async function everything(journal: SpoolJournal): Promise<SpoolEntry[]> {
  await journal.seal();
  const out: SpoolEntry[] = [];
  for (const segment of journal.sealedSegments()) out.push(...(await journal.readSegment(segment)).entries);
  return out;
}

describe('the intake spool journal', () => {
  it('keeps what an append acknowledged across a new process (recovery reads every segment, oldest first)', async () => {
    const first = await open({ segmentBytes: 600 });
    for (let n = 0; n < 10; n++) await first.append(entry(n));
    expect(first.index.leads).toBe(10);
    expect(segmentFiles().length).toBeGreaterThan(1);
    // No close: a SIGKILLed process closes nothing.
    const second = await open();
    expect(second.index.leads).toBe(10);
    expect(second.index.find(lead(3).id)).toMatchObject({ source: 'form:contact', destination: 'main' });
    expect(leadIdsOf(await everything(second))).toEqual([...Array(10).keys()].map((n) => lead(n).id));
  });

  it('skips and reports a torn last record (a write cut short before its fsync, never acknowledged)', async () => {
    const first = await open();
    await first.append(entry(1));
    await first.append(entry(2));
    const [file] = segmentFiles();
    const torn = encodeRecord(entry(3)).subarray(0, 40);
    appendFileSync(join(dir, file!), torn);

    const metrics = new Metrics();
    const second = await open({ metrics });
    expect(leadIdsOf(await everything(second))).toEqual([lead(1).id, lead(2).id]);
    expect(await metrics.registry.getSingleMetricAsString('leadgate_spool_corrupt_records_total')).toContain('kind="torn"} 1');
  });

  it('skips a record whose checksum does not match and reads on past it', async () => {
    const first = await open();
    for (const n of [1, 2, 3]) await first.append(entry(n));
    const path = join(dir, segmentFiles()[0]!);
    const bytes = readFileSync(path);
    const second = encodeRecord(entry(1)).length + 20; // inside the second record's payload
    bytes[second] = bytes[second]! ^ 0xff;
    writeFileSync(path, bytes);

    const { entries, problems } = decodeRecords(readFileSync(path));
    expect(leadIdsOf(entries)).toEqual([lead(1).id, lead(3).id]);
    expect(problems).toEqual([expect.objectContaining({ kind: 'checksum' })]);
  });

  it('refuses an append beyond maxBytes with SpoolFullError, and takes appends again once space is freed', async () => {
    const journal = await open({ maxBytes: 65536 });
    let taken = 0;
    const full = await (async () => {
      for (;;) {
        try {
          await journal.append(entry(taken));
          taken += 1;
        } catch (err) {
          return err;
        }
      }
    })();
    expect(full).toBeInstanceOf(SpoolFullError);
    expect(journal.bytes).toBeLessThanOrEqual(65536);
    expect(journal.index.leads).toBe(taken);
    await journal.seal();
    for (const segment of journal.sealedSegments()) await journal.removeSegment(segment, false);
    await expect(journal.append(entry(1000))).resolves.toBeUndefined();
  });

  it('commits concurrent appends together: every one acknowledged, far fewer writes than appends', async () => {
    const journal = await open();
    const appends = [...Array(200).keys()].map((n) => journal.append(entry(n)));
    await Promise.all(appends);
    expect(journal.index.leads).toBe(200);
    expect(leadIdsOf(await everything(journal))).toHaveLength(200);
    expect(journal.flushes).toBeLessThan(50);
  });
});

describe('forgetting a person in the intake spool journal', () => {
  it('cuts their leads out of every segment, on disk and in the index, keeps everyone else, and a new process reads the rest', async () => {
    const journal = await open({ segmentBytes: 600 });
    const pair: SpoolEntry = { v: 1, kind: 'leads', spooledAt: new Date().toISOString(), leads: [lead(20), lead(21)], seen: { source: 'google', ids: ['g20', 'g21'] } };
    pair.leads[0]!.source.externalId = 'g20';
    pair.leads[1]!.source.externalId = 'g21';
    for (let n = 0; n < 6; n++) await journal.append(entry(n));
    await journal.append(pair);
    const doomed = new Set([lead(2).id, lead(4).id, lead(21).id]);

    const removed = await journal.forgetLeads((l) => doomed.has(l.id));
    expect(removed.map((l) => l.id).sort()).toEqual([...doomed].sort());
    expect(journal.index.leads).toBe(5);
    expect(journal.index.find(lead(2).id)).toBeUndefined();
    const bytes = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    for (const id of doomed) expect(bytes).not.toContain(id);
    // The entry that held two leads keeps the other one, and only its platform id.
    const rest = (await everything(journal)).find((e) => e.kind === 'leads' && e.leads.some((l) => l.id === lead(20).id));
    expect(rest).toMatchObject({ leads: [{ id: lead(20).id }], seen: { source: 'google', ids: ['g20'] } });

    const reopened = await open();
    expect(leadIdsOf(await everything(reopened)).sort()).toEqual([0, 1, 3, 5, 20].map((n) => lead(n).id).sort());
  });

  it('keeps appending after a forget, and counts the bytes freed against maxBytes', async () => {
    const journal = await open();
    await journal.append(entry(1));
    await journal.append(entry(2));
    const full = journal.bytes;
    await journal.forgetLeads((l) => l.id === lead(1).id);
    expect(journal.bytes).toBeLessThan(full);
    await journal.append(entry(3));
    expect(leadIdsOf(await everything(journal))).toEqual([lead(2).id, lead(3).id]);
  });
});
