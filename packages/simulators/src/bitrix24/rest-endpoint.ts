/**
 * The `/rest/` pipeline in the order a portal applies it: a `before` hold, injected pre-execution
 * faults (they model infrastructure in front of Bitrix), leaky bucket, webhook or OAuth auth, method
 * lookup, scope, operating limit, execution (possibly a slow commit), an `after` hold, then
 * post-execution faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderSections, runBatch } from './batch';
import { PROXY_ERROR_HTML, sendHtml, sendJson, sendProxyAnswer } from './http-reply';
import { NOMINAL_PROCESSING_SECONDS, invokeMethod, type CallContext } from './method-invoker';
import { BATCH_METHOD, isKnownMethod } from './methods';
import type { PhpArray } from './php-query';
import { parseRestParams, readBody } from './request-params';
import { RestError, restErrors } from './rest-error';
import type { SimulatorState } from './simulator-state';
import { buildTimeInfo } from './time-info';
import type { Bitrix24Fault, SimulatedCall } from './types';

interface RestRoute {
  /** 'token' = `/rest/METHOD` (OAuth form): the access token comes in `auth`, `access_token` or a Bearer header. */
  kind: 'webhook' | 'token';
  userId: string;
  code: string;
  method: string;
}

interface Reply {
  status: number;
  body: unknown;
  executed: boolean;
  error?: RestError;
  commands?: number;
}

export function parseRestPath(path: string): RestRoute {
  const segments = path
    .slice('/rest/'.length)
    .split('/')
    .filter((s) => s !== '')
    .map(safeDecode);
  const normalize = (m: string) => m.toLowerCase().replace(/\.json$/, '');
  if (segments.length > 0 && /^\d+$/.test(segments[0] as string)) {
    return { kind: 'webhook', userId: segments[0] as string, code: segments[1] ?? '', method: normalize(segments.slice(2).join('/')) };
  }
  return { kind: 'token', userId: '', code: '', method: normalize(segments.join('/')) };
}

export async function handleRest(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  rawQuery: string,
): Promise<void> {
  state.inFlight++;
  try {
    await answerRest(state, req, res, path, rawQuery);
  } finally {
    state.inFlight--;
  }
}

async function answerRest(state: SimulatorState, req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<void> {
  const at = Date.now();
  const route = parseRestPath(path);
  const method = route.method;
  state.counters.requests++;
  const body = await readBody(req);
  const log = (call: Omit<SimulatedCall, 'method' | 'at'>) => state.recordCall({ method, at, ...call });
  // Read once on arrival: a hold changed while this request waits applies to later requests only.
  const hold = { ...state.hold };
  if (hold.phase === 'before') await state.sleeper.sleep(hold.ms);

  const fault = state.faults.peek(method);
  if (fault && isInFrontOfPortal(fault.fault) && state.faults.consume(fault)) {
    answerInFrontOfPortal(fault.fault, req, res, log);
    return;
  }

  const params = await parseRestParams(req, body, rawQuery);
  const accessToken = route.kind === 'token' ? takeAccessToken(req, params) : '';
  const admission = admit(state, route, accessToken);
  if (admission instanceof RestError) {
    sendJson(res, admission.status, admission.toBody());
    log({ status: admission.status, ...errorFields(admission) });
    return;
  }

  // Faults that shape the execution itself are taken before it runs.
  const shaping = fault && shapesExecution(fault.fault) && state.faults.consume(fault) ? fault.fault : undefined;
  const slowCommit = shaping?.kind === 'slow-commit' ? shaping : undefined;
  if (shaping?.kind === 'delay') await state.sleeper.sleep(shaping.beforeMs ?? 0);
  const call = { via: route.kind, visibleFrom: slowCommit ? at + slowCommit.commitAfterMs : 0 };
  const caller = admission.caller;
  const reply =
    method === BATCH_METHOD
      ? await executeBatch(state, params, caller, call)
      : await executeSingle(state, method, params, caller, call);
  const outcome = {
    status: reply.status,
    ...(reply.error ? errorFields(reply.error) : {}),
    ...(reply.commands !== undefined ? { commands: reply.commands } : {}),
  };

  const post = shaping ?? (fault && reply.executed && fault.fault.kind === 'drop-after-commit' && state.faults.consume(fault) ? fault.fault : undefined);
  if (hold.phase === 'after') await state.sleeper.sleep(hold.ms);
  if (post?.kind === 'drop-after-commit') {
    log({ ...outcome, status: 0, fault: 'drop-after-commit' });
    req.socket.destroy();
    return;
  }
  if (post?.kind === 'delay') await state.sleeper.sleep(post.ms);
  if (slowCommit) await state.sleeper.sleep(at + (slowCommit.answerAfterMs ?? slowCommit.commitAfterMs) - Date.now());
  sendJson(res, reply.status, reply.body);
  log({ ...outcome, ...(post ? { fault: post.kind } : {}) });
}

/** Faults played by infrastructure in front of the portal: nothing runs and the bucket never sees them. */
function isInFrontOfPortal(f: Bitrix24Fault): boolean {
  return f.kind === 'error' || f.kind === 'html-500' || f.kind === 'proxy' || f.kind === 'reset-before-commit';
}

function shapesExecution(f: Bitrix24Fault): boolean {
  return f.kind === 'slow-commit' || f.kind === 'delay';
}

function answerInFrontOfPortal(
  f: Bitrix24Fault,
  req: IncomingMessage,
  res: ServerResponse,
  log: (call: Omit<SimulatedCall, 'method' | 'at'>) => void,
): void {
  switch (f.kind) {
    case 'error':
      sendJson(res, f.status, { error: f.error, error_description: f.description ?? '' });
      log({ status: f.status, error: f.error, errorDescription: f.description ?? '', fault: 'error' });
      return;
    case 'html-500':
      sendHtml(res, 500, PROXY_ERROR_HTML);
      log({ status: 500, fault: 'html-500' });
      return;
    case 'proxy':
      sendProxyAnswer(res, f.status, f.body ?? 'html', f.retryAfter === undefined ? undefined : String(f.retryAfter));
      log({ status: f.status, fault: 'proxy' });
      return;
    case 'reset-before-commit':
      log({ status: 0, fault: 'reset-before-commit' });
      req.socket.destroy();
      return;
    default:
      return;
  }
}

/**
 * Refusals that happen before anything runs; none of them is billed. Otherwise the caller whose
 * operating budget the call draws on: the webhook, or the app for OAuth calls.
 */
function admit(state: SimulatorState, route: RestRoute, accessToken: string): RestError | { caller: string } {
  if (!state.bucket.tryTake()) {
    state.counters.queryLimitExceeded++;
    return restErrors.queryLimitExceeded();
  }
  let caller: string;
  if (route.kind === 'token') {
    if (accessToken === '') return restErrors.noAuth();
    const check = state.oauth?.authenticate(accessToken) ?? 'unknown';
    if (check === 'expired') return restErrors.expiredToken();
    if (check === 'unknown') return restErrors.invalidToken();
    caller = state.appCaller();
  } else {
    if (Number(route.userId) !== state.userId || route.code !== state.webhookCode) return restErrors.invalidCredentials();
    caller = state.webhookCaller();
  }
  if (!isKnownMethod(route.method)) return restErrors.methodNotFound();
  return { caller };
}

/**
 * Bitrix\Rest\OAuth\Auth: an `Authorization: Bearer` header first, then the `auth` or `access_token`
 * parameter (query or body). The parameter is removed so methods never see it.
 */
function takeAccessToken(req: IncomingMessage, params: PhpArray): string {
  const header = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  let token = header?.[1] ?? '';
  for (const name of ['auth', 'access_token']) {
    const value = params[name];
    if (token === '' && typeof value === 'string') token = value;
    delete params[name];
  }
  return token;
}

async function executeSingle(state: SimulatorState, method: string, params: PhpArray, caller: string, call: CallContext): Promise<Reply> {
  const inv = await invokeMethod(state, method, params, caller, call);
  if (inv.error || !inv.outcome) {
    const error = inv.error ?? restErrors.methodNotFound();
    return { status: error.status, body: error.toBody(), executed: inv.executed, error };
  }
  const { result, next, total } = inv.outcome;
  return {
    status: 200,
    body: { result, ...(next !== undefined ? { next } : {}), ...(total !== undefined ? { total } : {}), time: inv.time },
    executed: true,
  };
}

async function executeBatch(state: SimulatorState, params: PhpArray, caller: string, call: CallContext): Promise<Reply> {
  const billedAsBatch = state.chargeBatchAs === 'batch';
  const key = state.operatingKey(caller, BATCH_METHOD);
  if (billedAsBatch && state.operating.isBlocked(key)) {
    state.counters.operationTimeLimit++;
    const error = restErrors.operationTimeLimit();
    return { status: error.status, body: error.toBody(), executed: false, error };
  }
  const startMs = Date.now();
  const run = await runBatch(state, params, startMs, caller, call);
  const processing = run.processingSeconds > 0 ? run.processingSeconds : NOMINAL_PROCESSING_SECONDS;
  let snapshot: ReturnType<typeof state.operating.charge> | undefined;
  if (billedAsBatch) {
    snapshot = state.operating.charge(key, processing);
    // Measured on cloud portals: every sub-result carries the batch's operating figures.
    for (const time of run.sections.result_time.values()) {
      if (snapshot.resetAt !== null) time.operating_reset_at = snapshot.resetAt;
      time.operating = snapshot.operating;
    }
  }
  const time = buildTimeInfo(startMs, Date.now(), processing, snapshot);
  return { status: 200, body: { result: renderSections(run.sections), time }, executed: true, commands: run.commands };
}

function errorFields(error: RestError): { error: string; errorDescription: string } {
  return { error: error.code || error.description, errorDescription: error.description };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
