/**
 * Bitrix24 sends each outgoing event once and never again, so a handler that was down loses it.
 * Every sweepIntervalSeconds one worker (a Redis lock) reads crm.stagehistory.list from where the
 * last sweep stopped (the last history row id, kept in Redis) and queues a read of every lead and
 * deal that moved. The read takes the stage times from the history: the true time of each change.
 */
import type { Bitrix24Client } from '../clients/bitrix24/bitrix24-client';
import type { Config } from '../config/config';
import type { ConversionsConfig } from '../config/conversions-config';
import type { CrmEntity } from '../queue/conversion-jobs';
import type { ConversionQueues } from '../queue/conversion-queues';
import type { ConversionMetrics } from '../shared/conversion-metrics';
import type { Logger } from '../shared/logger';
import type { RedisClient } from '../shared/redis-client';

const PAGE = 50;
/** Rows one sweep reads per entity type at most; the cursor carries the rest to the next sweep. */
const MAX_PAGES = 40;
const ENTITY_TYPE_ID: Record<CrmEntity, number> = { lead: 1, deal: 2 };

export interface ConversionSweepDeps {
  config: Config;
  conversions: ConversionsConfig;
  crm(destination: string): Pick<Bitrix24Client, 'call'>;
  queues: Pick<ConversionQueues, 'enqueueRead'>;
  redis: RedisClient;
  prefix: string;
  metrics: ConversionMetrics;
  logger: Logger;
}

export interface ConversionSweeps {
  /** One sweep of a destination now (if no other process holds its lock): records queued for a read. */
  runOnce(destination: string): Promise<number>;
  close(): Promise<void>;
}

export function startConversionSweeps(deps: ConversionSweepDeps): ConversionSweeps {
  const { conversions, prefix, redis, logger } = deps;
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let closed = false;
  const cursorKey = (destination: string, entity: CrmEntity) => `${prefix}:conversions:sweep:${destination}:${entity}`;
  const entities: CrmEntity[] = [
    ...(Object.keys(conversions.leadStatuses).length > 0 ? (['lead'] as const) : []),
    ...(Object.keys(conversions.dealStages).length > 0 ? (['deal'] as const) : []),
  ];

  async function sweepEntity(destination: string, entity: CrmEntity): Promise<number> {
    const settings = conversions.destinations[destination]!;
    const crm = deps.crm(destination);
    const cursor = Number(await redis.get(cursorKey(destination, entity))) || 0;
    const since = new Date(Date.now() - settings.sweepLookbackHours * 3_600_000).toISOString();
    let afterId = cursor;
    const owners = new Map<number, number>();
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await crm.call<{ items?: Array<Record<string, unknown>> }>('crm.stagehistory.list', {
        entityTypeId: ENTITY_TYPE_ID[entity],
        // Keyset paging by ID: rows written while we read are never skipped or read twice.
        filter: afterId > 0 ? { '>ID': afterId } : { '>=CREATED_TIME': since },
        order: { ID: 'ASC' },
        select: ['ID', 'OWNER_ID'],
        start: 0,
      });
      const items = Array.isArray(answer?.items) ? answer.items : [];
      for (const item of items) {
        const id = Number(item.ID);
        const owner = Number(item.OWNER_ID);
        if (!Number.isSafeInteger(id) || !Number.isSafeInteger(owner) || owner <= 0) continue;
        owners.set(owner, Math.max(owners.get(owner) ?? 0, id));
        afterId = Math.max(afterId, id);
      }
      if (items.length < PAGE) break;
    }
    const receivedAt = new Date().toISOString();
    for (const [owner, lastRow] of owners) {
      // One read per record and history row: a sweep repeated after a crash queues the same job.
      await deps.queues.enqueueRead({ v: 1, destination, entity, id: owner, trigger: 'sweep', receivedAt }, `sweep-${destination}-${entity}-${owner}-${lastRow}`);
    }
    if (afterId > cursor) await redis.set(cursorKey(destination, entity), String(afterId), 'EX', conversions.retentionDays * 86_400);
    return owners.size;
  }

  async function runOnce(destination: string): Promise<number> {
    const settings = conversions.destinations[destination];
    if (!settings) throw new Error(`no conversions.destinations entry "${destination}"`);
    const lockKey = `${prefix}:conversions:sweep-lock:${destination}`;
    const holdMs = Math.max(30_000, settings.sweepIntervalSeconds * 1000);
    if ((await redis.set(lockKey, String(process.pid), 'PX', holdMs, 'NX')) !== 'OK') return 0;
    try {
      let queued = 0;
      for (const entity of entities) queued += await sweepEntity(destination, entity);
      deps.metrics.sweeps.inc({ destination, outcome: 'done' });
      if (queued > 0) logger.info({ destination, queued }, 'conversion sweep queued records that moved');
      return queued;
    } catch (err) {
      deps.metrics.sweeps.inc({ destination, outcome: 'failed' });
      throw err;
    } finally {
      await redis.del(lockKey).catch(() => undefined);
    }
  }

  for (const [destination, settings] of Object.entries(conversions.destinations)) {
    if (settings.sweepIntervalSeconds <= 0) continue;
    const timer = setInterval(() => {
      if (closed) return;
      const run = runOnce(destination)
        .catch((err: Error) => logger.warn({ destination, err: err.message }, 'conversion sweep failed; the next one starts where this one stopped'))
        .finally(() => running.delete(run));
      running.add(run);
    }, settings.sweepIntervalSeconds * 1000);
    timer.unref();
    timers.push(timer);
  }

  return {
    runOnce,
    async close() {
      closed = true;
      for (const t of timers) clearInterval(t);
      await Promise.all([...running]);
    },
  };
}
