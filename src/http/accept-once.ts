import type { Lead } from '../lead/lead';
import type { SeenIds } from '../queue/seen-ids';
import { queueUnavailable } from './http-error';
import type { Accepted, Intake } from './intake';

export interface AcceptOnceDeps {
  seen: Pick<SeenIds, 'seenAmong' | 'remember'>;
  intake: Pick<Intake, 'accept' | 'acceptMany' | 'canSpool' | 'metrics' | 'logger'>;
}

export interface AcceptOnceResult {
  /** Leads handed to the intake now (empty when every one was a repeat). */
  taken: Lead[];
  duplicates: number;
  outcome: Accepted;
}

/**
 * Platform-announced leads, each taken in once per platform id: ids remembered (72 h) are repeats,
 * acknowledged and not queued; the rest go to the intake in one all-or-none write, and their ids are
 * remembered once durable. The lead ids derive from the platform ids, so a retry after a 503 whose
 * write landed anyway is the same job. Throws the intake's 503 when nothing could be stored.
 */
export async function acceptOnce(deps: AcceptOnceDeps, source: string, items: Array<{ platformId: string; lead: Lead }>): Promise<AcceptOnceResult> {
  const { intake } = deps;
  const firsts = new Map<string, Lead>();
  for (const item of items) if (!firsts.has(item.platformId)) firsts.set(item.platformId, item.lead);
  const ids = [...firsts.keys()];
  const seen = await deps.seen.seenAmong(source, ids).catch((err: Error) => {
    if (!intake.canSpool) throw queueUnavailable();
    intake.logger.warn({ source, err: err.message }, 'cannot read seen ids (Redis unavailable); taking the leads in');
    return ids.map(() => false);
  });
  const freshIds = ids.filter((_, i) => !seen[i]);
  const taken = freshIds.map((id) => firsts.get(id)!);
  const duplicates = ids.length - freshIds.length;
  if (duplicates > 0) {
    intake.metrics.duplicatesIgnored.inc({ source: source.split(':')[0]! }, duplicates);
    intake.logger.info({ source, duplicates }, 'repeated deliveries acknowledged and ignored');
  }
  if (taken.length === 0) return { taken, duplicates, outcome: 'queued' };
  const outcome = taken.length === 1 ? await intake.accept(taken[0]!, { seen: { source, ids: freshIds } }) : await intake.acceptMany(taken);
  // Spooled: the drainer remembers the ids once the leads are queued (single leads) or the derived
  // job ids make a repeat the same job (batches).
  if (outcome === 'queued') {
    await deps.seen.remember(source, freshIds).catch((err: Error) => intake.logger.warn({ source, err: err.message }, 'cannot remember platform ids'));
  }
  return { taken, duplicates, outcome };
}
