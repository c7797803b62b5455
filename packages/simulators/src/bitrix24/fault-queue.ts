/**
 * Injected faults, applied in injection order: a request is shaped by the first pending fault
 * whose method matches, and only that fault counts down.
 */
import type { Bitrix24Fault, ProxyBody } from './types';

export interface PendingFault {
  readonly fault: Bitrix24Fault;
  remaining: number;
}

export class FaultQueue {
  private pending: PendingFault[] = [];

  add(fault: Bitrix24Fault): void {
    const method = fault.method?.toLowerCase().replace(/\.json$/, '');
    this.pending.push({ fault: { ...fault, ...(method ? { method } : {}) }, remaining: fault.count });
  }

  peek(method: string): PendingFault | undefined {
    return this.pending.find((p) => p.remaining > 0 && (!p.fault.method || p.fault.method === method));
  }

  /** False when a concurrent request already used up the fault, so it must not be applied twice. */
  consume(entry: PendingFault): boolean {
    if (entry.remaining <= 0) return false;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.pending = this.pending.filter((p) => p !== entry);
    return true;
  }

  list(): Bitrix24Fault[] {
    return this.pending.map((p) => ({ ...p.fault, count: p.remaining }));
  }

  clear(): void {
    this.pending = [];
  }
}

/** Validates untrusted input (control API) into a fault; throws with a readable message. */
export function parseFault(input: unknown): Bitrix24Fault {
  if (typeof input !== 'object' || input === null) throw new Error('fault must be a JSON object');
  const f = input as Record<string, unknown>;
  const count = f.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new Error('fault.count must be a positive integer');
  }
  if (f.method !== undefined && typeof f.method !== 'string') throw new Error('fault.method must be a string');
  const method = typeof f.method === 'string' ? { method: f.method } : {};
  switch (f.kind) {
    case 'error': {
      if (typeof f.status !== 'number' || !Number.isInteger(f.status) || f.status < 100 || f.status > 599) {
        throw new Error('fault.status must be an HTTP status code');
      }
      if (typeof f.error !== 'string') throw new Error('fault.error must be a string');
      if (f.description !== undefined && typeof f.description !== 'string') {
        throw new Error('fault.description must be a string');
      }
      const description = typeof f.description === 'string' ? { description: f.description } : {};
      return { kind: 'error', count, status: f.status, error: f.error, ...description, ...method };
    }
    case 'delay': {
      const ms = nonNegative(f.ms, 'fault.ms');
      const before = f.beforeMs === undefined ? {} : { beforeMs: nonNegative(f.beforeMs, 'fault.beforeMs') };
      return { kind: 'delay', count, ms, ...before, ...method };
    }
    case 'slow-commit': {
      const commitAfterMs = nonNegative(f.commitAfterMs, 'fault.commitAfterMs');
      const answer = f.answerAfterMs === undefined ? {} : { answerAfterMs: nonNegative(f.answerAfterMs, 'fault.answerAfterMs') };
      return { kind: 'slow-commit', count, commitAfterMs, ...answer, ...method };
    }
    case 'proxy':
      return { kind: 'proxy', count, ...parseProxyAnswer(f), ...method };
    case 'reset-after-commit':
      return { kind: 'drop-after-commit', count, ...method };
    case 'drop-after-commit':
    case 'reset-before-commit':
    case 'html-500':
      return { kind: f.kind, count, ...method };
    default:
      throw new Error(`fault.kind must be one of ${FAULT_KINDS.map((k) => `'${k}'`).join(', ')}`);
  }
}

const FAULT_KINDS = ['error', 'drop-after-commit', 'reset-after-commit', 'reset-before-commit', 'delay', 'slow-commit', 'html-500', 'proxy'];

/** Statuses a proxy, WAF or load balancer in front of a portal answers with on its own. */
export const PROXY_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 405, 408, 413, 414, 429, 500, 502, 503, 504]);

function parseProxyAnswer(f: Record<string, unknown>): { status: number; body?: ProxyBody; retryAfter?: string | number } {
  if (typeof f.status !== 'number' || !PROXY_STATUSES.has(f.status)) {
    throw new Error(`fault.status must be one of ${[...PROXY_STATUSES].join(', ')}`);
  }
  if (f.body !== undefined && f.body !== 'html' && f.body !== 'empty' && f.body !== 'text') {
    throw new Error("fault.body must be 'html', 'empty' or 'text'");
  }
  const retryAfter = f.retryAfter;
  if (retryAfter !== undefined && !(typeof retryAfter === 'string' && /^[\x20-\x7e]+$/.test(retryAfter)) && !(typeof retryAfter === 'number' && retryAfter >= 0)) {
    throw new Error('fault.retryAfter must be seconds or an HTTP date');
  }
  return {
    status: f.status,
    ...(f.body !== undefined ? { body: f.body } : {}),
    ...(retryAfter !== undefined ? { retryAfter: String(retryAfter) } : {}),
  };
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw new Error(`${name} must be a non-negative number`);
  return value;
}
