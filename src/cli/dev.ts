import IORedis from 'ioredis';
import { buildConfig, configFromEnv } from '../config/load-config';
import { startPrivateRedis, type PrivateRedis } from '../runtime/private-redis';
import { startLeadgate } from '../runtime/services';
import { createLogger } from '../shared/logger';
import { startBitrix24Simulator } from '../sim/bitrix24/bitrix24-simulator';

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
export async function runDev(opts: { port: number; simPort: number }): Promise<void> {
  const env = process.env;
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  let privateRedis: PrivateRedis | undefined;
  if (!(await reachable(redisUrl))) {
    console.log(`No Redis at ${redisUrl}; starting a private redis-server…`);
    privateRedis = await startPrivateRedis();
  }
  const sim = await startBitrix24Simulator({ port: opts.simPort, plan: 'standard' });
  const raw = configFromEnv({ ...env, REDIS_URL: privateRedis?.url ?? redisUrl, BITRIX24_WEBHOOK_URL: env.BITRIX24_WEBHOOK_URL || sim.webhookUrl, ADMIN_TOKEN: env.ADMIN_TOKEN || 'dev-admin-token', LEADGATE_PREFIX: env.LEADGATE_PREFIX || 'leadgate-dev' });
  const config = buildConfig({ ...raw, http: { port: opts.port, host: '127.0.0.1' } }, env);
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

Ctrl-C stops everything.`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) process.exit(1);
    stopping = true;
    await running.stop();
    await sim.close();
    await privateRedis?.destroy();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
