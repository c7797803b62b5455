import { createHash, randomFillSync } from 'node:crypto';

/** Random bytes drawn 4 KiB at a time: one call to the CSPRNG per 512 ids instead of one per id. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomHex8(): string {
  if (poolOffset + 8 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + 8);
  poolOffset += 8;
  return hex;
}

/**
 * Time-ordered, URL-safe and never digits-only (BullMQ refuses integer-like custom job ids) nor
 * containing ':' (BullMQ's key separator). For submissions without an identity of their own.
 */
export function newLeadId(now: number = Date.now()): string {
  return `lg_${now.toString(36)}${randomHex8()}`;
}

/** What makes a submission the same lead when it arrives again: who sent it, in which scope, under which id. */
export interface LeadIdentity {
  /** `form`, `partner`, `google`, `meta`. */
  kind: string;
  /** The form id or partner name; empty where the platform's ids are global (Google, Meta). */
  scope: string;
  /** Idempotency-Key, external_ref, lead_id or leadgen_id. */
  id: string;
}

/**
 * The same identity always gives the same id, so a submission stored after its request timed out
 * and then sent again is one BullMQ job (job id = lead id), one lead. 128 bits of SHA-256 in hex:
 * 32 characters, longer than any `newLeadId`, so the two shapes never meet.
 */
export function deriveLeadId(identity: LeadIdentity): string {
  // JSON keeps the parts apart: ("a:b", "c") and ("a", "b:c") must not hash alike.
  const digest = createHash('sha256').update(JSON.stringify(['leadgate-lead-id/1', identity.kind, identity.scope, identity.id]), 'utf8').digest('hex');
  return `lg_${digest.slice(0, 32)}`;
}

/** A partner lead sent with an `external_ref`: the same reference from the same partner is the same lead. */
export function partnerRefLeadId(partner: string, externalRef: string): string {
  return deriveLeadId({ kind: 'partner', scope: partner, id: `ref:${externalRef}` });
}

/**
 * Every id a lead carrying this reference can have (a partner's external_ref, a configured webhook's
 * id, a Google lead_id, a Meta leadgen_id): ids are derived from references, so a search by reference
 * needs no index of its own.
 */
export function leadIdsForReference(reference: string, scopes: { partners: string[]; webhooks: string[] }): string[] {
  return [
    ...scopes.partners.map((name) => partnerRefLeadId(name, reference)),
    ...scopes.webhooks.map((name) => deriveLeadId({ kind: 'webhook', scope: name, id: reference })),
    deriveLeadId({ kind: 'google', scope: '', id: reference }),
    deriveLeadId({ kind: 'meta', scope: '', id: reference }),
  ];
}

export function isLeadId(value: string): boolean {
  return /^lg_(?:[0-9a-z]{6,12}[0-9a-f]{16}|[0-9a-f]{32})$/.test(value);
}
