/**
 * Posts leads to the API at a steady rate the way a careful client does: every submission has an
 * Idempotency-Key, and a 503, a 502/504 or a network error is retried with the same key until it is
 * answered 202 (or the retry deadline passes). Only 202 answers count as accepted; anything else (a
 * 409 included: a key never blocks its own retry) is a refusal the verdict reports.
 */
import { CHAOS_FORM } from './leadgate-cluster';
import { sleep } from '../../helpers/wait-for';

export interface FeedResult {
  /** Lead ids from 202 answers. */
  accepted: Set<string>;
  /** Submissions answered with something else than 202/503/409-in-progress (a valid lead refused). */
  refused: Array<{ index: number; status: number; body: string }>;
  /** Submissions still unanswered with 202 at the retry deadline. */
  unanswered: number;
  /** Answers that were retried (503, 409 in progress, network errors). */
  retries: number;
}

export interface FeedOptions {
  apiUrl: string;
  count: number;
  perSecond: number;
  /** Distinguishes the submissions of one run from another's (Idempotency-Key, email). */
  runId: string;
  retryDeadlineMs?: number;
}

export async function feedLeads(o: FeedOptions): Promise<FeedResult> {
  const result: FeedResult = { accepted: new Set(), refused: [], unanswered: 0, retries: 0 };
  const gap = 1000 / o.perSecond;
  const started = Date.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < o.count; i++) {
    const due = started + i * gap;
    if (due > Date.now()) await sleep(due - Date.now());
    pending.push(submit(o, i, result));
  }
  await Promise.all(pending);
  return result;
}

async function submit(o: FeedOptions, index: number, result: FeedResult): Promise<void> {
  const deadline = Date.now() + (o.retryDeadlineMs ?? 90_000);
  const key = `${o.runId}-${index}`;
  const body = JSON.stringify({ name: `Chaos ${index}`, email: `lead${index}.${o.runId}@example.com`, message: `lead ${index}` });
  for (;;) {
    let status = 0;
    let text = '';
    try {
      const res = await fetch(`${o.apiUrl}/v1/forms/${CHAOS_FORM}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      status = res.status;
      text = await res.text();
    } catch {
      status = 0; // connection refused, reset or timed out: the client cannot know, so it retries
    }
    if (status === 202) {
      result.accepted.add((JSON.parse(text) as { id: string }).id);
      return;
    }
    if (!isRetryable(status)) {
      result.refused.push({ index, status, body: text.slice(0, 200) });
      return;
    }
    if (Date.now() > deadline) {
      result.unanswered++;
      return;
    }
    result.retries++;
    await sleep(500);
  }
}

function isRetryable(status: number): boolean {
  return status === 0 || status === 502 || status === 503 || status === 504;
}
