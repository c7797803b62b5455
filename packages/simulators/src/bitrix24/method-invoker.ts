/**
 * Runs one REST method the way CRestServer does around a handler: operating-limit check first,
 * then the handler, the simulated processing time, and the charge.
 */
import type { MethodOutcome } from './method-types';
import { METHODS, requiredScope } from './methods';
import type { PhpArray } from './php-query';
import { RestError, restErrors } from './rest-error';
import type { SimulatorState } from './simulator-state';
import { buildTimeInfo, type TimeInfo } from './time-info';

/** Charged when no processingMs is configured, so `operating` still moves like on a real portal. */
export const NOMINAL_PROCESSING_SECONDS = 0.01;

export interface Invocation {
  /** False when the call was refused before its handler ran. */
  executed: boolean;
  outcome?: MethodOutcome;
  error?: RestError;
  processingSeconds: number;
  time?: TimeInfo;
}

/** What the whole HTTP request decides for each method it runs. */
export interface CallContext {
  /** How the caller authenticated; the scope error's wording depends on it. */
  via: 'webhook' | 'token';
  /** Epoch ms from which stored leads become visible (slow commit); 0 = at once. */
  visibleFrom: number;
}

/**
 * `billTo` = the caller (webhook or app) whose operating budget for this method is checked and
 * charged; undefined inside a batch billed as `batch`.
 */
export async function invokeMethod(
  state: SimulatorState,
  method: string,
  params: PhpArray,
  billTo: string | undefined,
  call: CallContext,
): Promise<Invocation> {
  const handler = METHODS.get(method);
  if (!handler) return { executed: false, error: restErrors.methodNotFound(), processingSeconds: 0 };
  const scope = requiredScope(method);
  if (scope !== undefined && !state.scopes.has(scope)) {
    return { executed: false, error: restErrors.insufficientScope(call.via), processingSeconds: 0 };
  }
  const key = billTo === undefined ? undefined : state.operatingKey(billTo, method);
  if (key !== undefined && state.operating.isBlocked(key)) {
    state.counters.operationTimeLimit++;
    return { executed: false, error: restErrors.operationTimeLimit(), processingSeconds: 0 };
  }
  const startMs = Date.now();
  let outcome: MethodOutcome | undefined;
  let error: RestError | undefined;
  try {
    outcome = handler(params, { store: state.store, crm: state.crm, funnel: state.funnel, portal: state.portal, userId: state.userId, nowMs: startMs, visibleFrom: call.visibleFrom });
  } catch (e) {
    error = e instanceof RestError ? e : new RestError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  }
  await state.sleeper.sleep(state.processingMs);
  const processingSeconds = state.processingMs > 0 ? state.processingMs / 1000 : NOMINAL_PROCESSING_SECONDS;
  const snapshot = key !== undefined ? state.operating.charge(key, processingSeconds) : undefined;
  const time = buildTimeInfo(startMs, Date.now(), processingSeconds, snapshot);
  return { executed: true, outcome, error, processingSeconds, time };
}
