/**
 * Injected faults, applied in injection order: a request is shaped by the first pending fault
 * whose method matches, and only that fault counts down.
 */
import type { Bitrix24Fault } from './types';

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
    case 'delay':
      if (typeof f.ms !== 'number' || !(f.ms >= 0)) throw new Error('fault.ms must be a non-negative number');
      return { kind: 'delay', count, ms: f.ms, ...method };
    case 'drop-after-commit':
    case 'html-500':
      return { kind: f.kind, count, ...method };
    default:
      throw new Error("fault.kind must be one of 'error', 'drop-after-commit', 'delay', 'html-500'");
  }
}
