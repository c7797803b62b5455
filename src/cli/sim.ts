import type { Bitrix24Plan } from '../config/config';
import { startBitrix24Simulator } from '../sim/bitrix24/bitrix24-simulator';

/** `leadgate sim bitrix24`: the simulator alone, driven over its /_sim/ control API. */
export async function runBitrix24Simulator(opts: { port: number; plan: string; host?: string }): Promise<void> {
  if (opts.plan !== 'standard' && opts.plan !== 'enterprise') throw new Error('--plan must be standard or enterprise');
  const sim = await startBitrix24Simulator({ port: opts.port, host: opts.host ?? '127.0.0.1', plan: opts.plan as Bitrix24Plan });
  console.log(`Bitrix24 simulator (${opts.plan} plan) listening on ${sim.url}`);
  console.log(`  webhook URL:  ${sim.webhookUrl}`);
  console.log(`  leads:        curl ${sim.url}/_sim/leads`);
  console.log(`  stats:        curl ${sim.url}/_sim/stats`);
  console.log(`  inject fault: curl -X POST ${sim.url}/_sim/faults -H 'content-type: application/json' -d '{"kind":"error","count":3,"status":503,"error":"QUERY_LIMIT_EXCEEDED"}'`);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
