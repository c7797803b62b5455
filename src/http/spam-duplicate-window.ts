import { createHash } from 'node:crypto';
import type { Lead } from '../lead/lead';
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

/** The lead's emails (lower-cased) and phones (digits and a leading +), each tagged with its kind. */
export function contactsOf(lead: Pick<Lead, 'fields'>): string[] {
  const values = (code: string): string[] => {
    const field = lead.fields[code];
    return Array.isArray(field) ? field.map((f) => f.VALUE) : [];
  };
  const emails = values('EMAIL').map((e) => `email:${e.trim().toLowerCase()}`);
  const phones = values('PHONE').map((p) => `phone:${p.trim().startsWith('+') ? '+' : ''}${p.replace(/\D/g, '')}`);
  return [...new Set([...emails, ...phones])].filter((c) => !c.endsWith(':') && !c.endsWith(':+'));
}

/**
 * One lead per contact per form per window: `<prefix>:dupe:<form id>:<sha256(contact)>` holds the lead
 * id for `duplicateWindowMinutes` (its TTL; never the raw email or phone). Shared by every API
 * process through Redis.
 */
export class DuplicateWindow {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  private keys(formId: string, contacts: string[]): string[] {
    return contacts.map((c) => `${this.prefix}:dupe:${formId}:${createHash('sha256').update(c, 'utf8').digest('hex')}`);
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
