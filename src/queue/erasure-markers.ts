import { createHash } from 'node:crypto';
import { leadContacts, normalisedContactHash } from '../lead/contact-key';
import type { Lead } from '../lead/lead';
import type { RedisClient } from '../shared/redis-client';

/**
 * `forget` runs in one process, but leads about the person may wait in another API process's intake
 * spool, taken while that process could not reach Redis. Those leads can only reach Redis through their
 * spool's drainer, so `forget` leaves a marker per contact hash with the time of the erasure, and every
 * drainer drops a spooled lead received before a marker on one of its contacts. A lead the person sends
 * after the erasure is theirs to send: it is not dropped.
 */
export class ErasureMarkers {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** How long a spool may hold a lead before the marker no longer matters: the status retention. */
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Hashed again, with its own prefix: the contact index's plain SHA-256 of an e-mail is exactly what
   * `forget` erases, so the marker must not be that same linkable value.
   */
  private key(hash: string): string {
    return `${this.prefix}:erased:${createHash('sha256').update(`leadgate-erased/1\n${hash}`, 'utf8').digest('hex')}`;
  }

  /** Records that everything received up to `at` about these contact hashes was erased. */
  async record(hashes: Iterable<string>, at: number = Date.now()): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const hash of hashes) pipeline.set(this.key(hash), String(at), 'EX', this.ttlSeconds);
    await pipeline.exec();
  }

  /** Ids of the leads received before an erasure of one of their contacts: one round trip. */
  async erasedAmong(leads: Lead[]): Promise<Set<string>> {
    const contacts = leads.map((lead) => leadContacts(lead.fields).map(normalisedContactHash));
    const hashes = [...new Set(contacts.flat())];
    const erased = new Set<string>();
    if (hashes.length === 0) return erased;
    // One MGET per key on a Cluster (keys hash to different slots); one in all otherwise.
    const times = this.redis.isCluster
      ? await Promise.all(hashes.map((h) => this.redis.get(this.key(h))))
      : await this.redis.mget(hashes.map((h) => this.key(h)));
    const erasedAt = new Map(hashes.map((h, i) => [h, times[i] ? Number(times[i]) : undefined]));
    leads.forEach((lead, i) => {
      const received = Date.parse(lead.receivedAt);
      if (contacts[i]!.some((h) => (erasedAt.get(h) ?? -Infinity) >= received)) erased.add(lead.id);
    });
    return erased;
  }
}
