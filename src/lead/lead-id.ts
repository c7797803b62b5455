import { randomBytes } from 'node:crypto';

/**
 * Time-ordered, URL-safe and never digits-only (BullMQ refuses integer-like custom job ids) nor
 * containing ':' (BullMQ's key separator).
 */
export function newLeadId(now: number = Date.now()): string {
  return `lg_${now.toString(36)}${randomBytes(8).toString('hex')}`;
}

export function isLeadId(value: string): boolean {
  return /^lg_[0-9a-z]{6,12}[0-9a-f]{16}$/.test(value);
}
