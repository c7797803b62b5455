import { createHash } from 'node:crypto';
import type { BindResult, IdempotencyStore, IdentityBinding } from '../queue/idempotency-store';
import { HttpError, queueUnavailable } from './http-error';
import type { Intake } from './intake';
import { MAX_JSON_DEPTH } from '../shared/json-depth';
import { bodyTooDeep } from './json-depth';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * JSON with object keys sorted, so the same body in another key order or spacing hashes the same.
 * Deeper than MAX_JSON_DEPTH is a 400, never a stack overflow.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (value !== null && typeof value === 'object' && depth >= MAX_JSON_DEPTH) throw bodyTooDeep();
  // A Map (input names kept off Object.prototype) hashes like the object it stands for.
  if (value instanceof Map) return canonicalJson(Object.fromEntries(value), depth);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depth + 1)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What makes two requests "the same": the endpoint and the body's content. */
export function requestFingerprint(endpoint: string, body: unknown): string {
  return createHash('sha256').update(`${endpoint}\n${canonicalJson(body)}`).digest('hex');
}

/** The `Idempotency-Key` header, checked: absent is fine, malformed is a 400. */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (!KEY.test(header)) throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1–255 visible ASCII characters');
  return header;
}

export const keyReused = (): HttpError => new HttpError(409, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');

/**
 * Binds identities to the content they came with, before the lead is enqueued under the id derived
 * from them. Nothing here blocks a retry: a binding that reaches Redis after its request answered
 * 503 holds that same request's fingerprint, and the retry is `same`. Redis failing is a 503, unless
 * the intake spools: then the binding is skipped (`new`) and the lead id derived from the identity
 * still makes a retry the same job; only a reuse of the key with other content goes unnoticed.
 */
export async function bindIdentities(store: Pick<IdempotencyStore, 'bind'>, bindings: IdentityBinding[], intake?: Pick<Intake, 'canSpool' | 'logger'>): Promise<BindResult[]> {
  return store.bind(bindings).catch((err: Error) => {
    if (!intake?.canSpool) throw queueUnavailable('the request could not be recorded; please retry');
    intake.logger.warn({ bindings: bindings.length, err: err.message }, 'cannot bind Idempotency-Key/external_ref (Redis unavailable); skipped, the derived lead id still dedupes retries');
    return bindings.map((): BindResult => 'new');
  });
}
