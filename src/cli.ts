#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from './config/load-config';
import type { Config } from './config/config';
import { runDev } from './cli/dev';
import { runDlqCommand } from './cli/dlq';
import { runRole } from './cli/run-role';
import { runBitrix24Simulator } from './cli/sim';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
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
  program.command('api').description('HTTP API only (scale out: run several on one Redis)').action(() => runRole(config(program), 'api'));
  program.command('worker').description('delivery worker only (scale out: run several on one Redis)').action(() => runRole(config(program), 'worker'));
  program
    .command('dev')
    .description('everything for local work: Redis (private if none reachable), Bitrix24 simulator, API and worker')
    .option('-p, --port <port>', 'API port', port, 8080)
    .option('--sim-port <port>', 'Bitrix24 simulator port', port, 8090)
    .action((opts: { port: number; simPort: number }) => runDev(opts));

  const sim = program.command('sim').description('simulators of external services');
  sim
    .command('bitrix24')
    .description('Bitrix24 REST simulator (leaky bucket, errors, batch) for tests and local work')
    .option('-p, --port <port>', 'port', port, 8090)
    .option('--plan <plan>', 'standard (2/s, 50) or enterprise (5/s, 250)', 'standard')
    .action((opts: { port: number; plan: string }) => runBitrix24Simulator(opts));

  const dlq = program.command('dlq').description('dead-letter queue: leads that need a person');
  dlq.command('list').description('list dead letters').option('--limit <n>', 'how many', '50').action((opts: { limit: string }) => runDlqCommand(config(program), { action: 'list', limit: Number(opts.limit) }));
  dlq.command('show <id>').description('one dead letter with every attempt').action((id: string) => runDlqCommand(config(program), { action: 'show', id }));
  dlq
    .command('replay [id]')
    .description('re-enqueue a dead letter (fresh attempts, same ORIGIN_ID)')
    .option('--all', 'replay every dead letter')
    .action((id: string | undefined, opts: { all?: boolean }) => runDlqCommand(config(program), { action: 'replay', id, all: Boolean(opts.all) }));
  dlq.command('purge').description('delete every dead letter').option('--yes', 'confirm').action((opts: { yes?: boolean }) => runDlqCommand(config(program), { action: 'purge', confirmed: Boolean(opts.yes) }));

  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(`leadgate: ${(err as Error)?.message ?? String(err)}`);
  process.exit(1);
});
