import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControl } from './control-api';
import { handleGraphRequest } from './graph-endpoint';
import type { MetaSimulator, MetaSimulatorOptions } from './meta-simulator-types';
import { MetaSimState, type GraphErrorInjection } from './sim-state';
import { buildWebhookBody, notificationFor, sendSubscriptionCheck, sendWebhook } from './webhook-sender';

export type { MetaSimulator, MetaSimulatorOptions } from './meta-simulator-types';
export type { GraphCall, GraphErrorInjection, SimForm, SimLead, SimTokenInfo } from './sim-state';
export { FULL_SCOPES } from './sim-state';
export type { SendWebhookOptions } from './webhook-sender';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json; charset=UTF-8' } : {}), ...headers });
  res.end(text);
}

function checkInjection(injection: GraphErrorInjection): void {
  const numbers = [injection.count, injection.status, injection.code];
  if (!numbers.every((n) => Number.isInteger(n)) || typeof injection.message !== 'string' || typeof injection.type !== 'string') {
    throw new Error('an injection needs integer count, status and code, and string message and type');
  }
}

/**
 * A Meta stand-in over real HTTP: the Graph API lead endpoint, a Page's lead forms and a form's
 * leads (paged, filtered by time), debug_token (token, appsecret_proof and field checks, Graph's
 * error bodies, injected failures) and a webhook sender that signs like Meta.
 */
export async function startMetaSimulator(options: MetaSimulatorOptions): Promise<MetaSimulator> {
  const state = new MetaSimState(options.pageTokens);
  // Known once listening; paging.next links point here.
  let url0 = '';
  const { appSecret } = options;
  const appId = options.appId ?? '1000000000000001';
  let sim: MetaSimulator | undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/_sim/') && sim) {
      handleControl(sim, method, url.pathname, req).then(
        (answer) => send(res, answer.status, answer.body),
        (err: unknown) => send(res, 400, { error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    const answer = handleGraphRequest(state, { appId, appSecret, baseUrl: url0 }, method, url);
    const delay = state.nextDelay();
    // unref: a slow answer still pending must not keep a closed simulator's process alive.
    if (delay > 0) setTimeout(() => send(res, answer.status, answer.body, answer.headers), delay).unref();
    else send(res, answer.status, answer.body, answer.headers);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  url0 = url;

  sim = {
    url,
    graphUrl: url,
    appToken: `${appId}|${appSecret}`,
    addLead: (lead) => state.addLead(lead),
    addForm: (form) => {
      const stored = { name: `Form ${form.id}`, status: 'ACTIVE' as const, ...form };
      state.forms.set(form.id, stored);
      return stored;
    },
    setTokenInfo: (token, info) => {
      state.tokenInfo.set(token, { ...state.tokenInfo.get(token), ...info });
    },
    injectGraphError: (injection) => {
      checkInjection(injection);
      state.injections.push({ ...injection });
    },
    slowGraph: (ms, count) => {
      state.slowAnswers.push({ ms, count });
    },
    expireToken: (token) => void state.expiredTokens.add(token),
    setPageToken: (pageId, token) => {
      state.pageTokens.set(pageId, token);
      state.expiredTokens.delete(token);
    },
    sendWebhook: (targetUrl, notifications, sendOptions = {}) => {
      const notes = notifications.map((n) => (typeof n === 'string' ? notificationFor(state, n) : n));
      return sendWebhook(targetUrl, buildWebhookBody(notes, new Date(), sendOptions.numericIds), appSecret, sendOptions);
    },
    subscribe: (targetUrl, verifyToken, challenge) => sendSubscriptionCheck(targetUrl, verifyToken, challenge),
    graphCalls: () => state.calls.map((call) => ({ ...call })),
    reset: () => state.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
  return sim;
}
