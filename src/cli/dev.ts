import IORedis from 'ioredis';
import { buildConfig, configFromEnv } from '../config/load-config';
import { startPrivateRedis, type PrivateRedis } from '../runtime/private-redis';
import { startLeadgate } from '../runtime/services';
import { createLogger } from '../shared/logger';
import { generatePartnerKey } from '../sources/partner/partner-auth';
import { loadSimulators } from './load-simulators';
import {
  DEFAULT_CAPI_SIM_DATASET, DEFAULT_CAPI_SIM_TOKEN, DEFAULT_GOOGLE_SIM_ACTIONS, DEFAULT_GOOGLE_SIM_CUSTOMER, DEFAULT_META_SIM_PAGE, DEFAULT_META_SIM_TOKEN,
} from './sim';

const DEV_META_SECRET = 'dev-app-secret';
const DEV_VERIFY_TOKEN = 'dev-verify-token';
const DEV_GOOGLE_KEY = 'dev-google-key-0001';
const DEV_B24_EVENTS_TOKEN = 'dev-b24-events-token';
const DEV_LINKEDIN_SECRET = 'dev-linkedin-client-secret';
const DEV_LINKEDIN_TOKEN = 'AQV-dev-linkedin-token';
/** A Lead Gen form as LinkedIn's Lead Sync API describes it: the questions leadgate maps. */
const DEV_LINKEDIN_FORM = {
  id: 5765977,
  name: 'Demo request',
  questions: [
    { questionId: 1, name: 'firstName', label: 'First name', predefinedField: 'FIRST_NAME' },
    { questionId: 2, name: 'lastName', label: 'Last name', predefinedField: 'LAST_NAME' },
    { questionId: 3, name: 'email', label: 'Email address', predefinedField: 'EMAIL' },
    { questionId: 4, name: 'company', label: 'Company name', predefinedField: 'COMPANY_NAME' },
  ],
};

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
 * redis-server; starts the Bitrix24, Meta, Meta Conversions API, Google Ads, LinkedIn and CAPTCHA
 * simulators, the API and the worker, with the conversion loop closed between them; Ctrl-C stops all of it.
 */
export async function runDev(opts: {
  port: number;
  simPort: number;
  metaSimPort?: number;
  capiSimPort?: number;
  googleSimPort?: number;
  linkedinSimPort?: number;
  captchaSimPort?: number;
}): Promise<void> {
  // Before Redis: a production install learns at once that this command needs the dev dependencies.
  const { startBitrix24Simulator, startMetaSimulator, startMetaCapiSimulator, startGoogleAdsSimulator, startLinkedInSimulator, startCaptchaSimulator } = await loadSimulators();
  const env = process.env;
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  let privateRedis: PrivateRedis | undefined;
  if (!(await reachable(redisUrl))) {
    console.log(`No Redis at ${redisUrl}; starting a private redis-server…`);
    privateRedis = await startPrivateRedis();
  }
  const sim = await startBitrix24Simulator({ port: opts.simPort, plan: 'standard' });
  const meta = await startMetaSimulator({ port: opts.metaSimPort ?? opts.simPort + 1, appSecret: DEV_META_SECRET, pageTokens: { [DEFAULT_META_SIM_PAGE]: DEFAULT_META_SIM_TOKEN } });
  const metaSimPort = opts.metaSimPort ?? opts.simPort + 1;
  const capi = await startMetaCapiSimulator({ port: opts.capiSimPort ?? metaSimPort + 1, datasetId: DEFAULT_CAPI_SIM_DATASET, accessToken: DEFAULT_CAPI_SIM_TOKEN });
  const google = await startGoogleAdsSimulator({ port: opts.googleSimPort ?? metaSimPort + 2, customerId: DEFAULT_GOOGLE_SIM_CUSTOMER, conversionActionIds: Object.values(DEFAULT_GOOGLE_SIM_ACTIONS) });
  const linkedin = await startLinkedInSimulator({ port: opts.linkedinSimPort ?? metaSimPort + 3, clientSecret: DEV_LINKEDIN_SECRET, accessToken: DEV_LINKEDIN_TOKEN });
  linkedin.addForm(DEV_LINKEDIN_FORM);
  const captcha = await startCaptchaSimulator({ port: opts.captchaSimPort ?? metaSimPort + 4 });
  // The loop needs the portal's outgoing events: only the simulated portal is wired to send them here.
  const simulatedPortal = !env.BITRIX24_WEBHOOK_URL;
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
  const sources = {
    ...(raw.sources as Record<string, unknown>),
    partners: { dev: { keyHashes: [partner.hash] } },
    linkedin: { clientId: '86devclientid', clientSecret: DEV_LINKEDIN_SECRET, accessToken: DEV_LINKEDIN_TOKEN, apiUrl: linkedin.url, tokenUrl: `${linkedin.url}/oauth/v2/accessToken` },
  };
  // A form protected by Turnstile, verified against the CAPTCHA simulator; `contact` (and any other id) needs none.
  const forms = {
    ...(raw.forms as Record<string, unknown> | undefined),
    'captcha-demo': { destination: 'main', captcha: { provider: 'turnstile', secret: captcha.secret('turnstile'), verifyUrl: captcha.verifyUrl('turnstile'), failMode: 'closed' } },
  };
  const conversions = simulatedPortal
    ? {
        destinations: { main: { applicationToken: DEV_B24_EVENTS_TOKEN, sweepIntervalSeconds: 60 } },
        leadStatuses: { NEW: { meta: 'Lead' }, IN_PROCESS: { meta: 'Qualified', google: 'Qualified lead' } },
        dealStages: { WON: { meta: 'Converted', google: 'Sale', value: true } },
        meta: { datasetId: DEFAULT_CAPI_SIM_DATASET, accessToken: DEFAULT_CAPI_SIM_TOKEN, graphUrl: capi.graphUrl },
        google: {
          customerId: DEFAULT_GOOGLE_SIM_CUSTOMER,
          serviceAccount: { ...google.serviceAccount, tokenUrl: google.tokenUrl },
          ingestUrl: google.ingestUrl,
          conversionActions: DEFAULT_GOOGLE_SIM_ACTIONS,
        },
      }
    : undefined;
  const config = buildConfig({ ...raw, sources, forms, ...(conversions ? { conversions } : {}), http: { port: opts.port, host: '127.0.0.1' } }, env);
  const running = await startLeadgate({ config, role: 'all', logger: createLogger({ level: env.LOG_LEVEL ?? 'warn' }) });
  if (simulatedPortal) sim.subscribeEvents({ url: `${running.url}/v1/webhooks/bitrix24/main`, applicationToken: DEV_B24_EVENTS_TOKEN });
  const form = `${running.url}/v1/forms/contact`;
  // What LinkedIn does when the webhook URL is registered: a failed validation would block it there.
  const validated = await linkedin.sendChallenge(`${running.url}/v1/webhooks/linkedin`).catch(() => ({ ok: false }));

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
    -d '{"id":"1000000000000001","page_id":"${DEFAULT_META_SIM_PAGE}","ad_id":"1","campaign_name":"Spring","platform":"ig","field_data":[{"name":"full_name","values":["Joe Example"]},{"name":"email","values":["joe@example.com"]}]}'
  curl -X POST ${meta.url}/_sim/webhooks -H 'content-type: application/json' \\
    -d '{"targetUrl":"${running.url}/v1/webhooks/meta","notifications":["1000000000000001"]}'

Google Ads lead form (key ${DEV_GOOGLE_KEY}):
  curl -i ${running.url}/v1/webhooks/google -H 'content-type: application/json' \\
    -d '{"lead_id":"dev-1","google_key":"${DEV_GOOGLE_KEY}","campaign_id":991214827,"user_column_data":[{"column_id":"EMAIL","string_value":"g@example.com"}]}'

LinkedIn Lead Gen Forms (simulator at ${linkedin.url}; webhook validation ${validated.ok ? 'passed' : 'FAILED'}): add a response, then send its signed notification
  curl -X POST ${linkedin.url}/_sim/responses -H 'content-type: application/json' \
    -d '{"id":"dev-response-1","formId":${DEV_LINKEDIN_FORM.id},"answers":[{"questionId":1,"text":"Lin"},{"questionId":2,"text":"Ked"},{"questionId":3,"text":"lin@example.com"},{"questionId":4,"text":"Acme"}]}'
  curl -X POST ${linkedin.url}/_sim/notifications -H 'content-type: application/json' \
    -d '{"targetUrl":"${running.url}/v1/webhooks/linkedin","responseId":"dev-response-1"}'

A form behind Turnstile (CAPTCHA simulator at ${captcha.url}): solve the widget, then post with its token
  curl -X POST ${captcha.url}/_sim/tokens -H 'content-type: application/json' -d '{"provider":"turnstile"}'
  curl -i ${running.url}/v1/forms/captcha-demo -H 'content-type: application/json' \
    -d '{"name":"Cap Tcha","email":"cap@example.com","cf-turnstile-response":"<token>"}'
  (a token works once; without one, or with a spent one: 422 captcha_failed)

Partner API (partner "dev", key shown once):
  curl -i ${running.url}/v1/partners/leads -H 'authorization: Bearer ${partner.key}' -H 'content-type: application/json' \\
    -d '{"contact":{"full_name":"Pat Partner","email":"pat@example.com"}}'

${simulatedPortal ? `Close the loop (conversions to Meta and Google; the simulated portal sends its stage changes to leadgate):
  1. a form lead with a Google click id:  curl -i ${form} -H 'content-type: application/json' -d '{"name":"Gina Click","email":"gina@example.com","gclid":"Cj0KCQ-dev-1"}'
     (a Meta lead ads lead, as above, reports to Meta: "Lead" as soon as it is in Bitrix24)
  2. find its Bitrix24 id:                curl ${sim.url}/_sim/leads
  3. qualify it, convert it, win the deal:
     curl -X POST ${sim.url}/_sim/stage -H 'content-type: application/json' -d '{"entity":"lead","id":<ID>,"stageId":"IN_PROCESS"}'
     curl -X POST ${sim.url}/_sim/stage -H 'content-type: application/json' -d '{"entity":"lead","id":<ID>,"stageId":"CONVERTED"}'
     curl ${sim.url}/_sim/deals, then '{"entity":"deal","id":<DEAL ID>,"stageId":"WON"}' the same way
  4. what the platforms got:              curl ${capi.url}/_sim/events   curl ${google.url}/_sim/ingested
     and the lead's conversions:          curl ${running.url}/v1/leads/<id> -H 'authorization: Bearer ${config.admin.token}'  (or its page in ${running.url}/admin/)
  Meta CAPI (sim): ${capi.url}   Google Ads (sim): ${google.url}   mapping: NEW → Lead; IN_PROCESS → Qualified / Qualified lead; deal WON → Converted / Sale

` : `Conversions are off: BITRIX24_WEBHOOK_URL points at a real portal, which would need its own outgoing webhook.

`}Ctrl-C stops everything.`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) process.exit(1);
    stopping = true;
    await running.stop();
    await sim.close();
    await meta.close();
    await capi.close();
    await google.close();
    await linkedin.close();
    await captcha.close();
    await privateRedis?.destroy();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
