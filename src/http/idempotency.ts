import { createHash } from 'node:crypto';
import type { IdempotencyStore, StoredAnswer } from '../queue/idempotency-store';
import { HttpError } from './http-error';

export interface IdempotentResult extends StoredAnswer {
  /** The answer was stored by an earlier request with the same key and body. */
  replayed: boolean;
}

export interface IdempotencyOptions {
  /** How long a request waits for an identical one that is still running before answering 409. */
  waitMs?: number;
  pollMs?: number;
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so the same body in another key order or spacing hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
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

const storeDown = (): HttpError =>
  new HttpError(503, 'queue_unavailable', 'the request could not be recorded; please retry', undefined, { 'Retry-After': '5' });

/**
 * Runs `run` at most once per (scope, key): the first request claims the key with a pending marker;
 * a 2xx answer is stored for 24 hours and replayed to any repeat with the same body; a repeat with
 * another body is 409 `idempotency_key_reused`; a repeat while the first is still running waits
 * briefly, then gets 409 `idempotency_in_progress`. A request that fails (4xx/5xx) frees the key,
 * so a corrected retry is taken as new.
 */
export async function answerIdempotently(
  store: Pick<IdempotencyStore, 'claim' | 'get' | 'complete' | 'release'>,
  request: { scope: string; key: string | undefined; fingerprint: string },
  run: () => Promise<StoredAnswer>,
  options: IdempotencyOptions = {},
): Promise<IdempotentResult> {
  const { scope, key, fingerprint } = request;
  if (key === undefined) return { ...(await run()), replayed: false };
  const deadline = Date.now() + (options.waitMs ?? 2000);
  const pollMs = options.pollMs ?? 50;

  for (;;) {
    const owned = await store.claim(scope, key, fingerprint).catch(() => {
      throw storeDown();
    });
    if (owned) {
      let answer: StoredAnswer;
      try {
        answer = await run();
      } catch (err) {
        await store.release(scope, key).catch(() => undefined);
        throw err;
      }
      if (answer.status >= 200 && answer.status < 300) {
        // The leads are queued whatever happens here; a lost record only weakens a later retry's protection.
        await store.complete(scope, key, fingerprint, answer).catch(() => undefined);
      } else {
        await store.release(scope, key).catch(() => undefined);
      }
      return { ...answer, replayed: false };
    }
    const existing = await store.get(scope, key).catch(() => {
      throw storeDown();
    });
    if (existing && existing.bodyHash !== fingerprint) {
      throw new HttpError(409, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
    }
    if (existing?.state === 'done') return { ...existing.answer, replayed: true };
    if (Date.now() >= deadline) {
      throw new HttpError(409, 'idempotency_in_progress', 'a request with this Idempotency-Key is still being processed; retry shortly', undefined, { 'Retry-After': '1' });
    }
    // Still pending, or freed just now by a failed first request: look again shortly.
    if (existing) await new Promise((r) => setTimeout(r, pollMs));
  }
}
