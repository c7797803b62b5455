import type { Bitrix24Plan } from '../config/config';
import { loadSimulators } from './load-simulators';

/** `leadgate sim bitrix24`: the simulator alone, driven over its /_sim/ control API. */
export async function runBitrix24Simulator(opts: {
  port: number;
  plan: string;
  host?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  bucketLevel?: string;
  otherApps?: string;
  operatingLimitSeconds?: string;
}): Promise<void> {
  if (opts.plan !== 'standard' && opts.plan !== 'enterprise') throw new Error('--plan must be standard or enterprise');
  const limit = opts.operatingLimitSeconds ?? '480';
  if (!/^\d+(\.\d+)?$/.test(limit)) throw new Error(`--operating-limit-seconds must be a number of seconds, got "${limit}"`);
  const operatingLimitSeconds = Number(limit);
  const busy = parseBucketLoad(opts.bucketLevel, opts.otherApps);
  const oauth = opts.oauthClientId ? { clientId: opts.oauthClientId, clientSecret: opts.oauthClientSecret ?? 'sim-client-secret' } : undefined;
  const { startBitrix24Simulator } = await loadSimulators();
  const sim = await startBitrix24Simulator({ port: opts.port, host: opts.host ?? '127.0.0.1', plan: opts.plan as Bitrix24Plan, operatingLimitSeconds, ...(oauth ? { oauth } : {}), ...busy });
  console.log(`Bitrix24 simulator (${opts.plan} plan, operating limit ${operatingLimitSeconds} s per 10 min) listening on ${sim.url}`);
  console.log(`  webhook URL:  ${sim.webhookUrl}`);
  if (oauth) {
    // The pair an application receives on install: paste it into a destination's `oauth` block.
    const pair = sim.issueOAuthTokens();
    console.log(`  OAuth app:    clientId ${oauth.clientId}, clientSecret ${oauth.clientSecret}`);
    console.log(`                accessToken ${pair.accessToken}, refreshToken ${pair.refreshToken}`);
    console.log(`                clientEndpoint ${sim.clientEndpoint}, tokenUrl ${sim.tokenUrl}`);
    console.log(`  expire tokens: curl -X POST ${sim.url}/_sim/oauth/expire`);
  }
  console.log(`  leads:        curl ${sim.url}/_sim/leads`);
  console.log(`  stats:        curl ${sim.url}/_sim/stats`);
  console.log(`  inject fault: curl -X POST ${sim.url}/_sim/faults -H 'content-type: application/json' -d '{"kind":"error","count":3,"status":503,"error":"QUERY_LIMIT_EXCEEDED"}'`);
  console.log(`  late commit:  curl -X POST ${sim.url}/_sim/faults -H 'content-type: application/json' -d '{"kind":"slow-commit","count":1,"commitAfterMs":8000}'`);
  console.log(`  proxy error:  curl -X POST ${sim.url}/_sim/faults -H 'content-type: application/json' -d '{"kind":"proxy","count":1,"status":403,"body":"html"}'`);
  console.log(`  hold all:     curl -X POST ${sim.url}/_sim/hold -H 'content-type: application/json' -d '{"ms":10000}'`);
  console.log(`  duplicates:   curl ${sim.url}/_sim/origins`);
  console.log(`  busy portal:  curl -X POST ${sim.url}/_sim/bucket -H 'content-type: application/json' -d '{"level":"full","otherAppsPerSecond":0.5}'`);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** `--bucket-level full|N` and `--other-apps RATE`: a portal other traffic is already using. */
export function parseBucketLoad(level: string | undefined, otherApps: string | undefined): { bucketLevel?: number | 'full'; otherAppsPerSecond?: number } {
  const out: { bucketLevel?: number | 'full'; otherAppsPerSecond?: number } = {};
  if (level !== undefined) {
    if (level !== 'full' && !/^\d+(\.\d+)?$/.test(level)) throw new Error(`--bucket-level must be "full" or a number, got "${level}"`);
    out.bucketLevel = level === 'full' ? 'full' : Number(level);
  }
  if (otherApps !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(otherApps)) throw new Error(`--other-apps must be requests per second, got "${otherApps}"`);
    out.otherAppsPerSecond = Number(otherApps);
  }
  return out;
}

export const DEFAULT_META_SIM_PAGE = '1234567890';
export const DEFAULT_META_SIM_TOKEN = 'EAAB-sim-page-token';

/** `--page-token 1234:EAAB…` (repeatable) → `{ '1234': 'EAAB…' }`. */
export function parsePageTokens(values: string[]): Record<string, string> {
  const pages: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(':');
    const pageId = value.slice(0, Math.max(colon, 0));
    const token = value.slice(colon + 1);
    if (colon <= 0 || !/^[0-9]{1,32}$/.test(pageId) || !token) throw new Error(`--page-token must be PAGE_ID:TOKEN, got "${value}"`);
    pages[pageId] = token;
  }
  return pages;
}

/** `leadgate sim meta`: the Meta Graph API and webhook sender, driven over its /_sim/ control API. */
export async function runMetaSimulator(opts: { port: number; appSecret: string; pageToken: string[]; host?: string }): Promise<void> {
  const pageTokens = opts.pageToken.length > 0 ? parsePageTokens(opts.pageToken) : { [DEFAULT_META_SIM_PAGE]: DEFAULT_META_SIM_TOKEN };
  const { startMetaSimulator } = await loadSimulators();
  const sim = await startMetaSimulator({ port: opts.port, host: opts.host ?? '127.0.0.1', appSecret: opts.appSecret, pageTokens });
  const [pageId] = Object.keys(pageTokens);
  const pageList = Object.entries(pageTokens).map(([id, token]) => `${id}:${token}`).join(',');
  console.log(`Meta simulator listening on ${sim.url}`);
  console.log(`  Graph API:    ${sim.graphUrl}/v25.0/<leadgen_id>   (checks access_token and appsecret_proof)`);
  console.log(`  app secret:   ${opts.appSecret}`);
  console.log(`  pages:        ${pageList}`);
  console.log('');
  console.log('Point leadgate at it (environment-only mode):');
  console.log(`  META_APP_SECRET=${opts.appSecret} META_VERIFY_TOKEN=dev-verify-token META_PAGE_TOKENS=${pageList} META_GRAPH_URL=${sim.graphUrl}`);
  console.log('');
  console.log('Add a lead, then send Meta\'s signed webhook for it:');
  console.log(`  curl -X POST ${sim.url}/_sim/leads -H 'content-type: application/json' \\`);
  console.log(`    -d '{"id":"1000000000000001","page_id":"${pageId}","ad_id":"23849853425890185","campaign_name":"Spring","platform":"fb","field_data":[{"name":"full_name","values":["Joe Example"]},{"name":"email","values":["joe@example.com"]}]}'`);
  console.log(`  curl -X POST ${sim.url}/_sim/webhooks -H 'content-type: application/json' \\`);
  console.log(`    -d '{"targetUrl":"http://127.0.0.1:8080/v1/webhooks/meta","notifications":["1000000000000001"]}'`);
  console.log(`  handshake:    curl -X POST ${sim.url}/_sim/subscribe -H 'content-type: application/json' -d '{"targetUrl":"http://127.0.0.1:8080/v1/webhooks/meta","verifyToken":"dev-verify-token"}'`);
  console.log(`  rate limit:   curl -X POST ${sim.url}/_sim/graph-errors -H 'content-type: application/json' -d '{"count":3,"status":400,"code":80005,"type":"OAuthException","message":"too many leadgen calls"}'`);
  console.log(`  expire token: curl -X POST ${sim.url}/_sim/tokens/expire -H 'content-type: application/json' -d '{"token":"${pageTokens[pageId!]}"}'`);
  console.log(`  Graph calls:  curl ${sim.url}/_sim/graph-calls`);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export const DEFAULT_CAPI_SIM_DATASET = '1234567890123456';
export const DEFAULT_CAPI_SIM_TOKEN = 'EAAB-sim-capi-token';
export const DEFAULT_GOOGLE_SIM_CUSTOMER = '1234567890';
export const DEFAULT_GOOGLE_SIM_ACTIONS: Record<string, string> = { 'Qualified lead': '987654321', Sale: '987654322' };

/** `leadgate sim meta-capi`: Meta's Conversions API endpoint, what it took shown over /_sim/. */
export async function runMetaCapiSimulator(opts: { port: number; datasetId: string; accessToken: string; host?: string }): Promise<void> {
  if (!/^[0-9]{1,32}$/.test(opts.datasetId)) throw new Error(`--dataset-id must be digits, got "${opts.datasetId}"`);
  const { startMetaCapiSimulator } = await loadSimulators();
  const sim = await startMetaCapiSimulator({ port: opts.port, host: opts.host ?? '127.0.0.1', datasetId: opts.datasetId, accessToken: opts.accessToken });
  console.log(`Meta Conversions API simulator listening on ${sim.url}`);
  console.log(`  events:       POST ${sim.graphUrl}/v25.0/${opts.datasetId}/events   (checks the token and Meta's CRM-event rules)`);
  console.log('');
  console.log('Point leadgate at it (conversions.meta):');
  console.log(`  meta: { datasetId: "${opts.datasetId}", accessToken: "${opts.accessToken}", graphUrl: "${sim.graphUrl}" }`);
  console.log('');
  console.log(`  received:     curl ${sim.url}/_sim/events`);
  console.log(`  requests:     curl ${sim.url}/_sim/requests`);
  console.log(`  Meta down:    curl -X POST ${sim.url}/_sim/faults -H 'content-type: application/json' -d '{"status":500,"error":{"message":"An unexpected error has occurred. Please retry your request later.","code":2},"count":3}'`);
  console.log(`  bad token:    curl -X POST ${sim.url}/_sim/faults -H 'content-type: application/json' -d '{"status":400,"error":{"message":"Invalid OAuth access token - Cannot parse access token","code":190}}'`);
  console.log(`  forget all:   curl -X POST ${sim.url}/_sim/reset`);
  stopOnSignal(sim);
}

/** `--conversion-action "Sale:987654322"` (repeatable) → `{ Sale: '987654322' }`. */
export function parseConversionActions(values: string[]): Record<string, string> {
  const actions: Record<string, string> = {};
  for (const value of values) {
    const colon = value.lastIndexOf(':');
    const name = value.slice(0, Math.max(colon, 0)).trim();
    const id = value.slice(colon + 1);
    if (colon <= 0 || !name || !/^[0-9]{1,20}$/.test(id)) throw new Error(`--conversion-action must be NAME:ID (digits), got "${value}"`);
    actions[name] = id;
  }
  return actions;
}

/** `leadgate sim google`: Google's service-account token endpoint and Data Manager `events:ingest`, shown over /_sim/. */
export async function runGoogleAdsSimulator(opts: { port: number; customerId: string; conversionAction: string[]; host?: string }): Promise<void> {
  if (!/^[0-9]{10}$/.test(opts.customerId)) throw new Error(`--customer-id must be 10 digits, got "${opts.customerId}"`);
  const actions = opts.conversionAction.length > 0 ? parseConversionActions(opts.conversionAction) : DEFAULT_GOOGLE_SIM_ACTIONS;
  const { startGoogleAdsSimulator } = await loadSimulators();
  const sim = await startGoogleAdsSimulator({ port: opts.port, host: opts.host ?? '127.0.0.1', customerId: opts.customerId, conversionActionIds: Object.values(actions) });
  console.log(`Google Ads (Data Manager API) simulator listening on ${sim.url}`);
  console.log(`  token:        POST ${sim.tokenUrl}   (a service account's signed JWT, datamanager scope)`);
  console.log(`  ingest:       POST ${sim.ingestUrl}`);
  console.log('');
  console.log('Point leadgate at it (conversions.google; the key is this run\'s own, made at start):');
  console.log('  google:');
  console.log(`    customerId: "${opts.customerId}"`);
  console.log(`    ingestUrl: ${sim.ingestUrl}`);
  console.log(`    conversionActions: ${JSON.stringify(actions)}`);
  console.log('    serviceAccount:');
  console.log(`      clientEmail: ${sim.serviceAccount.clientEmail}`);
  console.log(`      tokenUrl: ${sim.tokenUrl}`);
  // JSON's escapes are YAML's double-quoted ones: the PEM pastes as one line.
  console.log(`      privateKey: ${JSON.stringify(sim.serviceAccount.privateKey)}`);
  console.log('');
  console.log(`  ingested:     curl ${sim.url}/_sim/ingested`);
  console.log(`  requests:     curl ${sim.url}/_sim/requests`);
  console.log(`  Google down:  curl -X POST ${sim.url}/_sim/faults -H 'content-type: application/json' -d '{"status":503,"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"},"count":3}'`);
  console.log(`  expire token: curl -X POST ${sim.url}/_sim/tokens/expire`);
  console.log(`  forget all:   curl -X POST ${sim.url}/_sim/reset`);
  stopOnSignal(sim);
}

function stopOnSignal(sim: { close(): Promise<void> }): void {
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
