import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../shared/redis-client';
import type { Lead } from '../lead/lead';
import { walkSortedSets, type WalkCursor, type WalkPage } from './sorted-set-walk';

/** What the index reads of a dead letter (DeadLetter; spelled out here because the store writes this index). */
export interface IndexedDeadLetter {
  lead: Pick<Lead, 'id' | 'destination' | 'source'>;
  code: string;
  deadAt: string;
}

/** A failure without a Bitrix24 error code (a bare HTTP 400, a timeout) is filed under this name. */
export const NO_CODE = '(no code)';

export function deadLetterCode(entry: Pick<IndexedDeadLetter, 'code'>): string {
  return entry.code || NO_CODE;
}

type Dimension = 'dest' | 'code' | 'source';

/**
 * Dead letters by destination, error code and source: one sorted set each (`<prefix>:dlq-by:<dim>:<value>`)
 * scored by when the lead died, like `<prefix>:dlq` itself, written and removed in the same MULTI as
 * the entry. They carry no TTL: dead letters stay until replayed or purged. `…:dlq-by:dims` lists the
 * sets, `…:dlq-by:since` says the index holds every entry (dead letters older than the index are
 * filed once, by `ensureIndexed`).
 */
function byKey(prefix: string, dimension: Dimension, value: string): string {
  return `${prefix}:dlq-by:${dimension}:${value}`;
}

function dimsKey(prefix: string): string {
  return `${prefix}:dlq-by:dims`;
}

function sinceKey(prefix: string): string {
  return `${prefix}:dlq-by:since`;
}

function allKey(prefix: string): string {
  return `${prefix}:dlq`;
}

function dimensionsOf(entry: IndexedDeadLetter): Array<[Dimension, string]> {
  return [['dest', entry.lead.destination], ['code', deadLetterCode(entry)], ['source', `${entry.lead.source.kind}:${entry.lead.source.name}`]];
}

export function indexDeadLetter(multi: ChainableCommander, prefix: string, entry: IndexedDeadLetter): ChainableCommander {
  const score = Date.parse(entry.deadAt);
  for (const [dimension, value] of dimensionsOf(entry)) multi.zadd(byKey(prefix, dimension, value), score, entry.lead.id).sadd(dimsKey(prefix), `${dimension}:${value}`);
  return multi;
}

/** Out of every set the index has (a handful: destinations, codes, sources), whatever the entry said. */
const UNINDEX_SCRIPT = `
for _, dim in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('ZREM', ARGV[1] .. ':dlq-by:' .. dim, ARGV[2]) end
return 1
`;

export function unindexDeadLetter(multi: ChainableCommander, prefix: string, id: string): ChainableCommander {
  return multi.eval(UNINDEX_SCRIPT, 1, dimsKey(prefix), prefix, id);
}

export interface DeadLetterFilter {
  destination?: string;
  code?: string;
  /** `kind:name`, as the lead's source. */
  source?: string;
  /** Died from (inclusive) and until (exclusive), ms. */
  from?: number;
  to?: number;
}

export class DeadLetterIndex {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  /** Files dead letters written before this index existed; once, then a single GET per call. */
  async ensureIndexed(): Promise<void> {
    if (await this.redis.exists(sinceKey(this.prefix))) return;
    const started = new Date().toISOString();
    for (let offset = 0; ; offset += 500) {
      const ids = await this.redis.zrange(allKey(this.prefix), offset, offset + 499);
      if (ids.length === 0) break;
      const texts = await this.redis.mget(ids.map((id) => `${this.prefix}:dlq:${id}`));
      const multi = this.redis.multi();
      for (const text of texts) if (text) indexDeadLetter(multi, this.prefix, JSON.parse(text) as IndexedDeadLetter);
      await multi.exec();
    }
    await this.redis.set(sinceKey(this.prefix), started, 'NX');
  }

  async dimensions(): Promise<{ destinations: string[]; codes: string[]; sources: string[] }> {
    const dims = await this.redis.smembers(dimsKey(this.prefix));
    const of = (dimension: Dimension) => dims.filter((d) => d.startsWith(`${dimension}:`)).map((d) => d.slice(dimension.length + 1)).sort();
    return { destinations: of('dest'), codes: of('code'), sources: of('source') };
  }

  /** Newest deaths first. */
  search(filter: DeadLetterFilter, options: { cursor?: WalkCursor; limit: number; budget?: number }): Promise<WalkPage> {
    const dimensions: string[][] = [];
    if (filter.destination) dimensions.push([byKey(this.prefix, 'dest', filter.destination)]);
    if (filter.code) dimensions.push([byKey(this.prefix, 'code', filter.code)]);
    if (filter.source) dimensions.push([byKey(this.prefix, 'source', filter.source)]);
    if (dimensions.length === 0) dimensions.push([allKey(this.prefix)]);
    return walkSortedSets(this.redis, {
      dimensions,
      min: filter.from ?? 0,
      max: (filter.to ?? 8.64e15) - 1,
      ...(options.cursor ? { cursor: options.cursor } : {}),
      limit: options.limit,
      budget: options.budget ?? 50_000,
    });
  }

  /** Every id the filter matches now, newest first: what a bulk action by filter works through. */
  async allMatching(filter: DeadLetterFilter): Promise<string[]> {
    const ids: string[] = [];
    let cursor: WalkCursor | undefined;
    for (;;) {
      const page = await this.search(filter, { ...(cursor ? { cursor } : {}), limit: 1000 });
      ids.push(...page.entries.map((e) => e.id));
      if (!page.next) return ids;
      cursor = page.next;
    }
  }
}
