/**
 * `batch` as CRestProvider::methodsBatch runs it: commands in order, per-command errors in
 * result_error, `halt` by PHP truthiness, 50 commands at most, no nested batch.
 */
import { invokeMethod, type CallContext } from './method-invoker';
import { readParam } from './method-types';
import { BATCH_METHOD, METHODS } from './methods';
import { isPhpArray, parsePhpQuery, phpTruthy, type PhpArray, type PhpValue } from './php-query';
import { restErrors, type RestError } from './rest-error';
import type { SimulatorState } from './simulator-state';
import type { TimeInfo } from './time-info';

export const BATCH_MAX_LENGTH = 50;

export interface BatchSections {
  result: Map<string, unknown>;
  result_error: Map<string, { error: string; error_description: string }>;
  result_total: Map<string, number>;
  result_next: Map<string, number>;
  result_time: Map<string, TimeInfo>;
}

export interface BatchRun {
  sections: BatchSections;
  commands: number;
  /** Sum of executed commands' processing, billed to `batch` when chargeBatchAs is 'batch'. */
  processingSeconds: number;
}

/** `caller` = whose operating budget the commands are billed to when chargeBatchAs is 'commands'. */
export async function runBatch(
  state: SimulatorState,
  params: PhpArray,
  receivedAt: number,
  caller: string,
  call: CallContext,
): Promise<BatchRun> {
  const cmd = readParam(params, 'cmd');
  const halt = phpTruthy(readParam(params, 'halt'));
  const entries: Array<[string, PhpValue]> = isPhpArray(cmd) ? Object.entries(cmd) : [];
  const sections: BatchSections = {
    result: new Map(),
    result_error: new Map(),
    result_total: new Map(),
    result_next: new Map(),
    result_time: new Map(),
  };
  const billTo = state.chargeBatchAs === 'commands' ? caller : undefined;
  let processingSeconds = 0;

  const fail = (key: string, method: string, error: RestError): void => {
    // The reference's batch example carries insufficient_scope with an empty description.
    const body = error.code === 'insufficient_scope' ? { error: error.code, error_description: '' } : error.toBody();
    sections.result_error.set(key, body);
    state.recordCall({ ...callBase(method, error.status, receivedAt), ...errorFields(error) });
  };

  for (const [index, [key, raw]] of entries.entries()) {
    const { method, query } = splitCommand(raw);
    if (index >= BATCH_MAX_LENGTH) {
      fail(key, method, restErrors.batchLengthExceeded());
      if (halt) break;
      continue;
    }
    if (method === BATCH_METHOD) {
      fail(key, method, restErrors.batchMethodNotAllowed());
      if (halt) break;
      continue;
    }
    if (!METHODS.has(method)) {
      fail(key, method, restErrors.methodNotFound());
      if (halt) break;
      continue;
    }
    const commandParams = substituteReferences(parsePhpQuery(query), sections) as PhpArray;
    const inv = await invokeMethod(state, method, commandParams, billTo, call);
    processingSeconds += inv.processingSeconds;
    if (inv.error || !inv.outcome) {
      fail(key, method, inv.error ?? restErrors.methodNotFound());
      if (halt) break;
      continue;
    }
    sections.result.set(key, inv.outcome.result);
    if (inv.outcome.total !== undefined) sections.result_total.set(key, inv.outcome.total);
    if (inv.outcome.next !== undefined) sections.result_next.set(key, inv.outcome.next);
    if (inv.time) sections.result_time.set(key, inv.time);
    state.recordCall(callBase(method, 200, receivedAt));
  }
  return { sections, commands: entries.length, processingSeconds };
}

/** json_encode of a PHP array: empty → [], keys 0..n-1 → list, otherwise an object. */
export function renderSections(s: BatchSections): Record<string, unknown> {
  const render = (m: Map<string, unknown>): unknown => {
    if (m.size === 0) return [];
    const keys = [...m.keys()];
    if (keys.every((k, i) => k === String(i))) return [...m.values()];
    return Object.fromEntries(m);
  };
  return {
    result: render(s.result),
    result_error: render(s.result_error),
    result_total: render(s.result_total),
    result_next: render(s.result_next),
    result_time: render(s.result_time),
  };
}

function callBase(method: string, status: number, at: number) {
  return { method, status, at, viaBatch: true };
}

function errorFields(error: RestError): { error: string; errorDescription: string } {
  return { error: error.code || error.description, errorDescription: error.description };
}

function splitCommand(raw: PhpValue): { method: string; query: string } {
  if (typeof raw !== 'string') return { method: '', query: '' };
  const q = raw.indexOf('?');
  const path = (q === -1 ? raw : raw.slice(0, q)).trim();
  return { method: path.toLowerCase().replace(/\.json$/, ''), query: q === -1 ? '' : raw.slice(q + 1) };
}

const REFERENCE = /\$(result|next|total|time|error)((?:\[[^\]]*\])+)/g;
const SECTION_OF: Record<string, keyof BatchSections> = {
  result: 'result',
  next: 'result_next',
  total: 'result_total',
  time: 'result_time',
  error: 'result_error',
};

/**
 * `$result[cmd][FIELD]` references to earlier commands. A value that is exactly one reference
 * takes the referenced value (possibly an array); otherwise references are spliced in as text.
 * Unresolvable references stay literal, so the command runs with a corrupted parameter as on Bitrix.
 */
function substituteReferences(value: PhpValue, sections: BatchSections): PhpValue {
  if (typeof value === 'string') {
    if (!value.includes('$')) return value;
    const whole = new RegExp(`^${REFERENCE.source}$`).exec(value);
    if (whole) {
      const resolved = resolve(whole[1] as string, whole[2] as string, sections);
      return resolved === undefined ? value : (resolved as PhpValue);
    }
    return value.replace(REFERENCE, (match, section: string, path: string) => {
      const resolved = resolve(section, path, sections);
      return typeof resolved === 'string' || typeof resolved === 'number' ? String(resolved) : match;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substituteReferences(v, sections));
  if (isPhpArray(value)) {
    for (const [k, v] of Object.entries(value)) value[k] = substituteReferences(v, sections);
  }
  return value;
}

function resolve(section: string, path: string, sections: BatchSections): unknown {
  const keys = [...path.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] as string);
  const name = SECTION_OF[section];
  const first = keys.shift();
  if (!name || first === undefined) return undefined;
  let current: unknown = (sections[name] as Map<string, unknown>).get(first);
  for (const key of keys) {
    if (!isPhpArray(current) || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
