#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from './config/load-config';
import type { Config } from './config/config';
import { runDev } from './cli/dev';
import { runCheck } from './cli/check';
import { runConversionsCommand } from './cli/conversions';
import { runConversionsExport } from './cli/conversions-export';
import { runDestinationsCommand } from './cli/destinations';
import { runDlqCommand } from './cli/dlq';
import { runForget } from './cli/forget';
import { runRole } from './cli/run-role';
import { hashOperatorTokenLines, newOperatorTokenLines } from './cli/operators';
import { hashPartnerKeyLines, newPartnerKeyLines } from './cli/partners';
import { runBitrix24Simulator, runGoogleAdsSimulator, runMetaCapiSimulator, runMetaSimulator, DEFAULT_CAPI_SIM_DATASET, DEFAULT_CAPI_SIM_TOKEN, DEFAULT_GOOGLE_SIM_CUSTOMER } from './cli/sim';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

function processes(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('must be a count from 1 to 256, or "auto"');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function config(program: Command): Config {
  const file = program.opts<{ config?: string }>().config;
  return loadConfig({ file });
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('leadgate')
    .description('Inbound leads (web forms, ad webhooks, partners) → Bitrix24 crm.lead.add, exactly once.')
    .option('-c, --config <file>', 'YAML config file (default: $LEADGATE_CONFIG, else environment variables only)')
    .showHelpAfterError();

  program.command('start').description('HTTP API and delivery worker in one process').action(() => runRole(config(program), 'all'));
  program
    .command('api')
    .description('HTTP API only (scale out: run several on one Redis)')
    .option('--processes <n>', 'API processes on the one port: a count, or "auto" for one per CPU core (default: http.processes, 1)', processes)
    .action((opts: { processes?: number | 'auto' }) => {
      const loaded = config(program);
      return runRole(opts.processes === undefined ? loaded : { ...loaded, http: { ...loaded.http, processes: opts.processes } }, 'api');
    });
  program.command('worker').description('delivery worker only (scale out: run several on one Redis)').action(() => runRole(config(program), 'worker'));
  program
    .command('dev')
    .description('everything for local work: Redis (private if none reachable), Bitrix24, Meta, Meta Conversions API, Google Ads, LinkedIn and CAPTCHA simulators, API and worker')
    .option('-p, --port <port>', 'API port', port, 8080)
    .option('--sim-port <port>', 'Bitrix24 simulator port', port, 8090)
    .option('--meta-sim-port <port>', 'Meta simulator port', port, 8091)
    .option('--capi-sim-port <port>', 'Meta Conversions API simulator port', port, 8092)
    .option('--google-sim-port <port>', 'Google Ads (Data Manager API) simulator port', port, 8093)
    .option('--linkedin-sim-port <port>', 'LinkedIn (Lead Sync API) simulator port', port, 8094)
    .option('--captcha-sim-port <port>', 'CAPTCHA (Turnstile, reCAPTCHA, hCaptcha siteverify) simulator port', port, 8095)
    .action((opts: { port: number; simPort: number; metaSimPort: number; capiSimPort: number; googleSimPort: number; linkedinSimPort: number; captchaSimPort: number }) => runDev(opts));

  const sim = program.command('sim').description('simulators of external services (a development tool: needs the dev dependencies)');
  sim
    .command('bitrix24')
    .description('Bitrix24 REST simulator (leaky bucket, errors, batch) for tests and local work')
    .option('-p, --port <port>', 'port', port, 8090)
    .option('--plan <plan>', 'standard (2/s, 50) or enterprise (5/s, 250)', 'standard')
    .option('--oauth-client-id <id>', 'also act as the portal of an OAuth application with this client_id (prints its token pair)')
    .option('--oauth-client-secret <secret>', 'client_secret of that application', 'sim-client-secret')
    .option('--bucket-level <level>', 'start with the request counter here ("full": other traffic has just spent it)')
    .option('--other-apps <perSecond>', "other integrations' steady load on the same request counter (requests/s)")
    .option('--operating-limit-seconds <seconds>', "a method's execution time allowed per webhook in 10 minutes before OPERATION_TIME_LIMIT", '480')
    .action((opts: { port: number; plan: string; oauthClientId?: string; oauthClientSecret?: string; bucketLevel?: string; otherApps?: string; operatingLimitSeconds: string }) => runBitrix24Simulator(opts));
  sim
    .command('meta')
    .description('Meta simulator: Graph API lead endpoint (with its errors) and a webhook sender that signs like Meta')
    .option('-p, --port <port>', 'port', port, 8091)
    .option('--app-secret <secret>', 'app secret that signs webhooks and checks appsecret_proof', 'sim-app-secret')
    .option('--page-token <page:token>', 'a Page id and the access token Graph accepts for it (repeatable)', collect, [])
    .action((opts: { port: number; appSecret: string; pageToken: string[] }) => runMetaSimulator(opts));
  sim
    .command('meta-capi')
    .description('Meta Conversions API simulator: the dataset events endpoint with Meta\'s CRM-event checks and errors')
    .option('-p, --port <port>', 'port', port, 8092)
    .option('--dataset-id <id>', 'the dataset (pixel) id it accepts', DEFAULT_CAPI_SIM_DATASET)
    .option('--access-token <token>', 'the access token it accepts', DEFAULT_CAPI_SIM_TOKEN)
    .action((opts: { port: number; datasetId: string; accessToken: string }) => runMetaCapiSimulator(opts));
  sim
    .command('google')
    .description('Google Ads simulator: service-account token endpoint and the Data Manager API\'s events:ingest')
    .option('-p, --port <port>', 'port', port, 8093)
    .option('--customer-id <id>', 'the Google Ads account (10 digits) the service account may upload to', DEFAULT_GOOGLE_SIM_CUSTOMER)
    .option('--conversion-action <name:id>', 'a conversion action of that account (repeatable; default "Qualified lead:987654321" and "Sale:987654322")', collect, [])
    .action((opts: { port: number; customerId: string; conversionAction: string[] }) => runGoogleAdsSimulator(opts));

  const partners = program.command('partners').description('partner API keys');
  partners
    .command('new-key')
    .description('print a new partner key and the SHA-256 hash to put in sources.partners.<name>.keyHashes')
    .option('--name <partner>', 'partner name for the config snippet', 'PARTNER_NAME')
    .action((opts: { name: string }) => newPartnerKeyLines(opts.name).forEach((line) => console.log(line)));
  partners
    .command('hash-key <key>')
    .description('print the SHA-256 hash of an existing partner key, for keyHashes')
    .action((key: string) => hashPartnerKeyLines(key).forEach((line) => console.log(line)));

  const operators = program.command('operators').description('named console operators (admin.operators)');
  operators
    .command('new-token')
    .description('print a new console token for one operator and the admin.operators entry with its SHA-256')
    .option('--name <operator>', 'the name the audit log shows', 'OPERATOR_NAME')
    .action((opts: { name: string }) => newOperatorTokenLines(opts.name).forEach((line) => console.log(line)));
  operators
    .command('hash-token <token>')
    .description('print the SHA-256 of an existing operator token, for admin.operators[].tokenHash')
    .action((token: string) => hashOperatorTokenLines(token).forEach((line) => console.log(line)));

  program
    .command('check')
    .description('check the setup before going live: Redis, each portal\'s credentials, mapped fields and SOURCE_ID/STATUS_ID values')
    .action(async () => {
      if (!(await runCheck(config(program)))) process.exitCode = 1;
    });

  program
    .command('forget <contact>')
    .description('erase one person (an email or a phone) from Redis: status records, dead letters, queued jobs, indexes; prints counts')
    .action(async (contact: string) => {
      await runForget(config(program), contact);
    });

  const destinations = program.command('destinations').description('Bitrix24 portals: pause state (circuit breaker) and backlog');
  destinations.command('list').description('each destination: paused or not, why, and its queued jobs').action(() => runDestinationsCommand(config(program), { action: 'list' }));
  destinations
    .command('resume <name>')
    .description('resume a destination paused by an auth or portal error, once the cause is fixed')
    .action((name: string) => runDestinationsCommand(config(program), { action: 'resume', name }));

  const dlq = program.command('dlq').description('dead-letter queue: leads that need a person');
  dlq.command('list').description('list dead letters').option('--limit <n>', 'how many', '50').action((opts: { limit: string }) => runDlqCommand(config(program), { action: 'list', limit: Number(opts.limit) }));
  dlq.command('show <id>').description('one dead letter with every attempt').action((id: string) => runDlqCommand(config(program), { action: 'show', id }));
  dlq
    .command('replay [id]')
    .description('re-enqueue a dead letter (fresh attempts, same ORIGIN_ID)')
    .option('--all', 'replay every dead letter')
    .action((id: string | undefined, opts: { all?: boolean }) => runDlqCommand(config(program), { action: 'replay', id, all: Boolean(opts.all) }));
  dlq.command('purge').description('delete every dead letter').option('--yes', 'confirm').action((opts: { yes?: boolean }) => runDlqCommand(config(program), { action: 'purge', confirmed: Boolean(opts.yes) }));

  const conversions = program.command('conversions').description('the conversion loop: Bitrix24 stage changes reported to Meta and Google');
  const conversionDlq = conversions.command('dlq').description('conversions (and Bitrix24 reads) that failed for good, with the platform\'s reason');
  conversionDlq.command('list').description('list conversion dead letters').action(() => runConversionsCommand(config(program), { action: 'dlq-list' }));
  conversionDlq
    .command('replay [id]')
    .description('send a dead conversion again with fresh attempts (same event id: the platform deduplicates)')
    .option('--all', 'replay every conversion dead letter')
    .action((id: string | undefined, opts: { all?: boolean }) => runConversionsCommand(config(program), { action: 'dlq-replay', ...(id ? { id } : {}), all: Boolean(opts.all) }));

  conversions
    .command('export')
    .description('the conversions found, as the CSV Google Ads scheduled imports read (Parameters:TimeZone, Google Click ID, Conversion Name, Time, Value, Currency)')
    .requiredOption('--platform <platform>', 'google')
    .option('--days <n>', 'the last n days', '30')
    .option('--since <time>', 'from this time (ISO 8601) instead')
    .option('--until <time>', 'up to this time (ISO 8601)')
    .action(async (opts: { platform: string; days: string; since?: string; until?: string }) => {
      if (opts.platform !== 'google') throw new InvalidArgumentError('--platform: only google has a file import');
      await runConversionsExport(
        config(program),
        { platform: 'google', days: Number(opts.days), ...(opts.since ? { since: opts.since } : {}), ...(opts.until ? { until: opts.until } : {}) },
        (text) => process.stdout.write(text),
        (line) => console.error(line),
      );
    });

  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(`leadgate: ${(err as Error)?.message ?? String(err)}`);
  process.exit(1);
});
