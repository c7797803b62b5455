import IORedis from 'ioredis';
import { buildConfig, configFromEnv } from '../config/load-config';
import { startPrivateRedis, type PrivateRedis } from '../runtime/private-redis';
import { startLeadgate } from '../runtime/services';
import { createLogger } from '../shared/logger';
import { generatePartnerKey } from '../sources/partner/partner-auth';
import { loadSimulators } from './load-simulators';
import { DEFAULT_META_SIM_PAGE, DEFAULT_META_SIM_TOKEN } from './sim';

const DEV_META_SECRET = 'dev-app-secret';
const DEV_VERIFY_TOKEN = 'dev-verify-token';
const DEV_GOOGLE_KEY = 'dev-google-key-0001';

async function reachable(url: string): Promise<boolean> {
  const probe = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * `leadgate dev`: one command for a newcomer. Uses REDIS_URL if it answers, else a private
 * redis-server; starts the Bitrix24 simulator, the API and the worker; Ctrl-C stops all of it.
 */
export async function runDev(opts: { port: number; simPort: number; metaSimPort?: number }): Promise<void> {
  // Before Redis: a production install learns at once that this command needs the dev dependencies.
  const { startBitrix24Simulator, startMetaSimulator } = await loadSimulators();
  const env = process.env;
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  let privateRedis: PrivateRedis | undefined;
  if (!(await reachable(redisUrl))) {
    console.log(`No Redis at ${redisUrl}; starting a private redis-server…`);
    privateRedis = await startPrivateRedis();
  }
  const sim = await startBitrix24Simulator({ port: opts.simPort, plan: 'standard' });
  const meta = await startMetaSimulator({ port: opts.metaSimPort ?? opts.simPort + 1, appSecret: DEV_META_SECRET, pageTokens: { [DEFAULT_META_SIM_PAGE]: DEFAULT_META_SIM_TOKEN } });
  const partner = generatePartnerKey();
  const raw = configFromEnv({
    ...env,
    REDIS_URL: privateRedis?.url ?? redisUrl,
    BITRIX24_WEBHOOK_URL: env.BITRIX24_WEBHOOK_URL || sim.webhookUrl,
    ADMIN_TOKEN: env.ADMIN_TOKEN || 'dev-admin-token',
    LEADGATE_PREFIX: env.LEADGATE_PREFIX || 'leadgate-dev',
    META_APP_SECRET: DEV_META_SECRET,
    META_VERIFY_TOKEN: DEV_VERIFY_TOKEN,
    META_PAGE_TOKENS: `${DEFAULT_META_SIM_PAGE}:${DEFAULT_META_SIM_TOKEN}`,
    META_GRAPH_URL: meta.graphUrl,
    GOOGLE_LEAD_KEYS: DEV_GOOGLE_KEY,
  });
  const sources = { ...(raw.sources as Record<string, unknown>), partners: { dev: { keyHashes: [partner.hash] } } };
  const config = buildConfig({ ...raw, sources, http: { port: opts.port, host: '127.0.0.1' } }, env);
  const running = await startLeadgate({ config, role: 'all', logger: createLogger({ level: env.LOG_LEVEL ?? 'warn' }) });
  const form = `${running.url}/v1/forms/contact`;

  console.log(`
leadgate dev is running
  API:               ${running.url}   (health ${running.url}/healthz, metrics ${running.url}/metrics)
  Redis:             ${config.redis.url}${privateRedis ? ' (private, removed on exit)' : ''}  prefix ${config.redis.prefix}
  Bitrix24 (sim):    ${config.destinations.main!.webhookUrl}
  leads in the sim:  curl ${sim.url}/_sim/leads
  admin token:       ${config.admin.token}

Send a lead:
  curl -i ${form}?utm_source=newsletter -H 'content-type: application/json' \\
    -d '{"name":"Jane Doe","email":"jane@example.com","phone":"+49 30 1234567","message":"Call me"}'

Check it:
  curl ${running.url}/v1/leads/<id> -H 'authorization: Bearer ${config.admin.token}'

Or paste this form into an HTML file and open it in a browser:
  <form method="post" action="${form}">
    <input name="name" placeholder="Name"> <input name="email" type="email" placeholder="Email">
    <input name="phone" placeholder="Phone"> <textarea name="message"></textarea>
    <input name="utm_source" type="hidden" value="dev-form">
    <button>Send</button>
  </form>

Meta lead ads (simulator at ${meta.url}): add a lead, then send its signed webhook
  curl -X POST ${meta.url}/_sim/leads -H 'content-type: application/json' \\
    -d '{"id":"100000000000000001","page_id":"${DEFAULT_META_SIM_PAGE}","ad_id":"1","campaign_name":"Spring","platform":"ig","field_data":[{"name":"full_name","values":["Joe Example"]},{"name":"email","values":["joe@example.com"]}]}'
  curl -X POST ${meta.url}/_sim/webhooks -H 'content-type: application/json' \\
    -d '{"targetUrl":"${running.url}/v1/webhooks/meta","notifications":["100000000000000001"]}'

Google Ads lead form (key ${DEV_GOOGLE_KEY}):
  curl -i ${running.url}/v1/webhooks/google -H 'content-type: application/json' \\
    -d '{"lead_id":"dev-1","google_key":"${DEV_GOOGLE_KEY}","campaign_id":991214827,"user_column_data":[{"column_id":"EMAIL","string_value":"g@example.com"}]}'

Partner API (partner "dev", key shown once):
  curl -i ${running.url}/v1/partners/leads -H 'authorization: Bearer ${partner.key}' -H 'content-type: application/json' \\
    -d '{"contact":{"full_name":"Pat Partner","email":"pat@example.com"}}'

Ctrl-C stops everything.`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) process.exit(1);
    stopping = true;
    await running.stop();
    await sim.close();
    await meta.close();
    await privateRedis?.destroy();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
