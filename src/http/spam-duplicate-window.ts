import { normalisedContactHash } from '../lead/contact-key';
import type { RedisClient } from '../shared/redis-client';

// Every contact key is checked before any is written, so one submission's email and phone point at one lead.
const CLAIM = `
for _, key in ipairs(KEYS) do
  local held = redis.call('GET', key)
  if held and held ~= ARGV[1] then return held end
end
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'EX', ARGV[2]) end
return false`;

const RELEASE = `
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0`;

/**
 * One lead per contact per form per window: `<prefix>:dupe:<form id>:<contactHash>` (the normalised
 * email or phone, hashed as the contact index hashes it; never the value) holds the lead id for
 * `duplicateWindowMinutes`, its TTL. Shared by every API process through Redis.
 */
export class DuplicateWindow {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  private keys(formId: string, contacts: string[]): string[] {
    return contacts.map((c) => `${this.prefix}:dupe:${formId}:${normalisedContactHash(c)}`);
  }

  /** The id of an earlier lead with one of these contacts, else undefined (and the contacts are now this lead's). */
  async claim(formId: string, contacts: string[], leadId: string, windowMinutes: number): Promise<string | undefined> {
    if (contacts.length === 0) return undefined;
    const keys = this.keys(formId, contacts);
    const held = await this.redis.eval(CLAIM, keys.length, ...keys, leadId, String(windowMinutes * 60));
    return typeof held === 'string' ? held : undefined;
  }

  /** Gives the contacts back when the lead was not taken after all, so the visitor's retry is not swallowed. */
  async release(formId: string, contacts: string[], leadId: string): Promise<void> {
    if (contacts.length === 0) return;
    const keys = this.keys(formId, contacts);
    await this.redis.eval(RELEASE, keys.length, ...keys, leadId);
  }
}
