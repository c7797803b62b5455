/**
 * The `/rest/` pipeline in the order a portal applies it: injected pre-execution faults (they model
 * infrastructure in front of Bitrix), leaky bucket, webhook or OAuth auth, method lookup, operating
 * limit, execution, then post-execution faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderSections, runBatch } from './batch';
import { PROXY_ERROR_HTML, sendHtml, sendJson } from './http-reply';
import { NOMINAL_PROCESSING_SECONDS, invokeMethod } from './method-invoker';
import { BATCH_METHOD, isKnownMethod } from './methods';
import type { PhpArray } from './php-query';
import { parseRestParams, readBody } from './request-params';
import { RestError, restErrors } from './rest-error';
import type { SimulatorState } from './simulator-state';
import { buildTimeInfo } from './time-info';
import type { SimulatedCall } from './types';

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
  const at = Date.now();
  const route = parseRestPath(path);
  const method = route.method;
  state.counters.requests++;
  const body = await readBody(req);
  const log = (call: Omit<SimulatedCall, 'method' | 'at'>) => state.recordCall({ method, at, ...call });

  const fault = state.faults.peek(method);
  if (fault?.fault.kind === 'error' && state.faults.consume(fault)) {
    const f = fault.fault;
    sendJson(res, f.status, { error: f.error, error_description: f.description ?? '' });
    log({ status: f.status, error: f.error, errorDescription: f.description ?? '', fault: 'error' });
    return;
  }
  if (fault?.fault.kind === 'html-500' && state.faults.consume(fault)) {
    sendHtml(res, 500, PROXY_ERROR_HTML);
    log({ status: 500, fault: 'html-500' });
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

  const caller = admission.caller;
  const reply =
    method === BATCH_METHOD ? await executeBatch(state, params, caller) : await executeSingle(state, method, params, caller);
  const outcome = {
    status: reply.status,
    ...(reply.error ? errorFields(reply.error) : {}),
    ...(reply.commands !== undefined ? { commands: reply.commands } : {}),
  };

  const post = fault?.fault;
  const shapesAnswer = post?.kind === 'drop-after-commit' || post?.kind === 'delay';
  if (fault && post && reply.executed && shapesAnswer && state.faults.consume(fault)) {
    if (post.kind === 'drop-after-commit') {
      log({ ...outcome, status: 0, fault: 'drop-after-commit' });
      req.socket.destroy();
      return;
    }
    if (post.kind === 'delay') {
      log({ ...outcome, fault: 'delay' });
      await state.sleeper.sleep(post.ms);
      sendJson(res, reply.status, reply.body);
      return;
    }
  }
  sendJson(res, reply.status, reply.body);
  log(outcome);
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

async function executeSingle(state: SimulatorState, method: string, params: PhpArray, caller: string): Promise<Reply> {
  const inv = await invokeMethod(state, method, params, caller);
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

async function executeBatch(state: SimulatorState, params: PhpArray, caller: string): Promise<Reply> {
  const billedAsBatch = state.chargeBatchAs === 'batch';
  const key = state.operatingKey(caller, BATCH_METHOD);
  if (billedAsBatch && state.operating.isBlocked(key)) {
    state.counters.operationTimeLimit++;
    const error = restErrors.operationTimeLimit();
    return { status: error.status, body: error.toBody(), executed: false, error };
  }
  const startMs = Date.now();
  const run = await runBatch(state, params, startMs, caller);
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
