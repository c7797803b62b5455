import type { Config } from '../config/config';
import type { Lead } from '../lead/lead';
import type { LeadLedger } from '../queue/lead-ledger';
import type { RedisClient } from '../shared/redis-client';
import { assignPoolFor, chooseUser } from './assign-pool';

/** A pool's counter only spaces turns: losing it restarts the rotation, so it may expire when idle. */
export const ASSIGN_COUNTER_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Chooses ASSIGNED_BY_ID when a lead is delivered. Round-robin turns come from one INCR counter per
 * pool (`<prefix>:assign:<pool>`), so every worker process shares the rotation; the choice is
 * recorded in the lead's status record before the send, so retries keep the same user.
 */
export class LeadAssigner {
  constructor(
    private readonly deps: {
      config: Config;
      redis: RedisClient;
      ledger: Pick<LeadLedger, 'assignee' | 'recordAssignee'>;
      now?: () => Date;
      random?: () => number;
    },
  ) {}

  async assigneeFor(lead: Pick<Lead, 'id' | 'source' | 'destination'>): Promise<number | undefined> {
    const pool = assignPoolFor(this.deps.config, lead);
    if (!pool) return undefined;
    const chosen = await this.deps.ledger.assignee(lead.id);
    if (chosen !== undefined) return chosen;
    const turn = pool.assign.strategy === 'round-robin' ? await this.nextTurn(pool.key) : 0;
    const user = chooseUser(pool.assign, (this.deps.now ?? (() => new Date()))(), { turn, random: (this.deps.random ?? Math.random)() });
    return this.deps.ledger.recordAssignee(lead.id, user);
  }

  private async nextTurn(poolKey: string): Promise<number> {
    const key = `${this.deps.config.redis.prefix}:assign:${poolKey}`;
    const [[, turn] = []] = (await this.deps.redis.multi().incr(key).expire(key, ASSIGN_COUNTER_TTL_SECONDS).exec()) ?? [];
    // INCR starts at 1: the first lead goes to the first user.
    return Number(turn) - 1;
  }
}
