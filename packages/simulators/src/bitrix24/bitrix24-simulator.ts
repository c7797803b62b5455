/**
 * A local Bitrix24 portal over real HTTP for integration tests, `leadgate dev` and benchmarks.
 * Behaviour follows /work/shared/reference/bitrix24-rest.md and crm-lead-add.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControl, type ControlTarget } from './control-api';
import { parseFault } from './fault-queue';
import { proxyErrorHtml, sendEmpty, sendHtml, sendJson } from './http-reply';
import { handleOAuthToken } from './oauth-endpoint';
import { handleRest } from './rest-endpoint';
import { ALL_SCOPES, SimulatorState } from './simulator-state';
import type { Bitrix24Plan, Bitrix24Simulator, Bitrix24SimulatorOptions, BucketLoad, BucketSettings, HoldSettings } from './types';

export type {
  Bitrix24Fault,
  Bitrix24Plan,
  Bitrix24Simulator,
  Bitrix24SimulatorOptions,
  Bitrix24Stats,
  BucketLoad,
  EventSubscription,
  SentEvent,
  StageHistoryRow,
  BucketSettings,
  HoldSettings,
  ListFieldItem,
  OAuthAppOptions,
  OriginRecord,
  ProxyBody,
  OAuthTokenPair,
  SimulatedCall,
  SimulatedLead,
  SimulatedUser,
} from './types';

/** Leaky-bucket numbers per tariff from the limits page. */
export const PLAN_BUCKETS: Readonly<Record<Bitrix24Plan, BucketSettings>> = {
  standard: { drainPerSecond: 2, limit: 50 },
  enterprise: { drainPerSecond: 5, limit: 250 },
};

export async function startBitrix24Simulator(opts: Bitrix24SimulatorOptions = {}): Promise<Bitrix24Simulator> {
  const state = new SimulatorState(resolveSettings(opts));
  applyBucketLoad(state, { ...(opts.bucketLevel !== undefined ? { level: opts.bucketLevel } : {}), ...(opts.otherAppsPerSecond !== undefined ? { otherAppsPerSecond: opts.otherAppsPerSecond } : {}) });
  const server = createServer((req, res) => {
    route(state, sim, req, res, url).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(opts.host ?? '127.0.0.1')}:${port}`;
  state.funnel.events.portal = { domain: `${urlHost(opts.host ?? '127.0.0.1')}:${port}`, memberId: state.memberId, clientEndpoint: `${url}/rest/` };

  let closing: Promise<void> | undefined;
  const sim: ControlTarget & Pick<Bitrix24Simulator, 'close'> = {
    url,
    get webhookUrl() {
      return `${url}/rest/${state.userId}/${state.webhookCode}/`;
    },
    clientEndpoint: `${url}/rest/`,
    tokenUrl: `${url}/oauth/token/`,
    userId: state.userId,
    leads: () =>
      Array.from(state.store.all(), (l) => ({ ID: l.id, fields: structuredClone(l.record), createdAt: l.createdAt })),
    origins: () => state.store.origins(),
    calls: () => state.calls(),
    stats: () => ({
      ...state.counters,
      leadsCreated: state.store.size + state.store.deleted,
      leadsDeleted: state.store.deleted,
      uncommittedLeads: state.store.uncommitted,
      inFlight: state.inFlight,
      bucketLevel: state.bucket.currentLevel(),
      otherApps: { requestsPerSecond: state.otherApps.load(), requests: state.otherApps.requests, refused: state.otherApps.refused },
    }),
    injectFault: (f) => state.faults.add(parseFault(f)),
    pendingFaults: () => state.faults.list(),
    setWebhookCode: (code) => {
      state.webhookCode = checkedCode(code);
    },
    setPlan: (plan) => state.setBucket(typeof plan === 'string' ? PLAN_BUCKETS[plan] : plan),
    bucketSettings: () => ({ ...state.bucketSettings }),
    setBucketLoad: (load) => applyBucketLoad(state, load),
    setScopes: (scopes) => {
      state.scopes = new Set(checkedScopes(scopes));
    },
    scopes: () => [...state.scopes],
    setHold: (hold) => {
      state.hold = checkedHold(hold);
    },
    hold: () => ({ ...state.hold }),
    setCrmMode: (mode) => {
      if (mode !== 'classic' && mode !== 'simple') throw new Error("crmMode must be 'classic' or 'simple'");
      state.crm.mode = mode;
    },
    setRequiredFields: (codes) => state.portal.setRequiredFields(codes),
    setListFields: (lists) => state.portal.setListFields(lists),
    setUsers: (users) => state.portal.setUsers(users),
    setLeadAddAllowed: (allowed) => state.portal.setLeadAddAllowed(allowed),
    portalSetup: () => ({ requiredFields: state.portal.requiredFields(), listFields: state.portal.listFields(), users: state.portal.users() }),
    crmRecords: (kind) => state.crm.all(kind).map((r) => structuredClone(r)),
    deletedCrmIds: (kind) => state.crm.deleted(kind),
    timelineComments: () => state.crm.comments(),
    oauthClientId: () => state.oauth?.app.clientId,
    issueOAuthTokens: () => {
      const { accessToken, refreshToken } = oauthOf(state).issue();
      return { accessToken, refreshToken };
    },
    expireAccessTokens: () => oauthOf(state).expireAccessTokens(),
    revokeRefreshTokens: () => oauthOf(state).revokeRefreshTokens(),
    subscribeEvents: (subscription) => {
      if (typeof subscription?.url !== 'string' || !/^https?:\/\//.test(subscription.url)) throw new Error('subscription.url must be an http(s) URL');
      if (typeof subscription.applicationToken !== 'string' || subscription.applicationToken === '') throw new Error('subscription.applicationToken must be a non-empty string');
      return state.funnel.events.subscribe(subscription);
    },
    sentEvents: () => state.funnel.events.sent(),
    eventsSettled: () => state.funnel.events.settled(),
    dropEvents: (count) => {
      if (!Number.isInteger(count) || count < 0) throw new Error('count must be a non-negative integer');
      state.funnel.events.dropNext = count;
    },
    moveStage: (entity, id, stageId, options = {}) => {
      const at = options.at === undefined ? Date.now() : typeof options.at === 'number' ? options.at : Date.parse(options.at);
      if (!Number.isFinite(at)) throw new Error('at must be a time');
      if (entity !== 'lead' && entity !== 'deal') throw new Error("entity must be 'lead' or 'deal'");
      state.funnel.move({ store: state.store, crm: state.crm, userId: state.userId }, entity, id, stageId, at);
    },
    stageHistory: () => state.funnel.history.all(),
    reset: () => state.reset(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets and delayed answers would otherwise hold close() open.
        server.closeAllConnections();
        state.sleeper.wakeAll();
        state.otherApps.stop();
      });
      return closing;
    },
  };
  return sim;
}

async function route(state: SimulatorState, sim: ControlTarget, req: IncomingMessage, res: ServerResponse, url: string) {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const rawQuery = q === -1 ? '' : raw.slice(q + 1);
  if (req.method === 'OPTIONS') return sendEmpty(res, 204);
  if (path.startsWith('/rest/') || path === '/rest') return handleRest(state, req, res, path, rawQuery);
  if (path === '/oauth/token/' || path === '/oauth/token') return handleOAuthToken(state, req, res, rawQuery, url);
  if (path === '/_sim' || path.startsWith('/_sim/')) return handleControl(sim, req, res, path);
  req.resume();
  return sendHtml(res, 404, proxyErrorHtml(404));
}

function resolveSettings(opts: Bitrix24SimulatorOptions) {
  const userId = opts.userId ?? 1;
  if (!Number.isInteger(userId) || userId <= 0) throw new Error('userId must be a positive integer');
  const processingMs = opts.processingMs ?? 0;
  if (!(processingMs >= 0)) throw new Error('processingMs must be >= 0');
  const operatingLimitSeconds = opts.operatingLimitSeconds ?? 480;
  if (!(operatingLimitSeconds >= 0)) throw new Error('operatingLimitSeconds must be >= 0');
  return {
    userId,
    webhookCode: checkedCode(opts.webhookCode ?? 'leadgatesim'),
    bucket: { ...(opts.bucket ?? PLAN_BUCKETS[opts.plan ?? 'standard']) },
    operatingLimitSeconds,
    processingMs,
    chargeBatchAs: opts.chargeBatchAs ?? 'batch',
    ...(opts.oauth ? { oauth: checkedOAuth(opts.oauth) } : {}),
    ...(opts.customFields ? { customFields: opts.customFields } : {}),
    scopes: checkedScopes(opts.scopes ?? ALL_SCOPES),
    ...(opts.onCall ? { onCall: opts.onCall } : {}),
    ...(opts.crmMode ? { crmMode: opts.crmMode } : {}),
    ...(opts.requiredFields ? { requiredFields: opts.requiredFields } : {}),
    ...(opts.listFields ? { listFields: opts.listFields } : {}),
    ...(opts.users ? { users: opts.users } : {}),
    ...(opts.dealCategories ? { dealCategories: opts.dealCategories } : {}),
  };
}

function checkedOAuth(o: NonNullable<Bitrix24SimulatorOptions['oauth']>) {
  if (typeof o.clientId !== 'string' || o.clientId === '') throw new Error('oauth.clientId must be a non-empty string');
  if (typeof o.clientSecret !== 'string' || o.clientSecret === '') throw new Error('oauth.clientSecret must be a non-empty string');
  const accessTokenTtlSeconds = o.accessTokenTtlSeconds ?? 3600;
  if (!(accessTokenTtlSeconds > 0)) throw new Error('oauth.accessTokenTtlSeconds must be > 0');
  return { clientId: o.clientId, clientSecret: o.clientSecret, accessTokenTtlSeconds };
}

/** Both parts are checked before either applies, so a bad value changes nothing. */
export function applyBucketLoad(state: SimulatorState, load: BucketLoad): void {
  const { level, otherAppsPerSecond } = load;
  if (level !== undefined && level !== 'full' && !(typeof level === 'number' && level >= 0 && Number.isFinite(level))) {
    throw new Error('level must be "full" or a non-negative number');
  }
  if (otherAppsPerSecond !== undefined && !(typeof otherAppsPerSecond === 'number' && otherAppsPerSecond >= 0 && otherAppsPerSecond <= 1000)) {
    throw new Error('otherAppsPerSecond must be a number from 0 to 1000');
  }
  if (level !== undefined) state.bucket.setLevel(level);
  if (otherAppsPerSecond !== undefined) state.otherApps.setLoad(otherAppsPerSecond);
}

function oauthOf(state: SimulatorState) {
  if (!state.oauth) throw new Error('OAuth is not enabled: start the simulator with { oauth: { clientId, clientSecret } }');
  return state.oauth;
}

function checkedCode(code: string): string {
  if (typeof code !== 'string' || code === '' || code.includes('/')) {
    throw new Error('webhook code must be a non-empty string without "/"');
  }
  return code;
}

function checkedScopes(scopes: string[]): string[] {
  if (!Array.isArray(scopes) || !scopes.every((x) => typeof x === 'string' && /^[a-z_]+$/.test(x))) {
    throw new Error('scopes must be an array of scope names such as "crm", "user"');
  }
  return scopes;
}

export function checkedHold(hold: unknown): HoldSettings {
  const h = (typeof hold === 'object' && hold !== null ? hold : {}) as Record<string, unknown>;
  const ms = h.ms;
  if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) throw new Error('hold.ms must be a non-negative number');
  const phase = h.phase ?? 'after';
  if (phase !== 'before' && phase !== 'after') throw new Error("hold.phase must be 'before' or 'after'");
  return { ms, phase };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
