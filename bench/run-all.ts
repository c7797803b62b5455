/** `npm run bench`: every benchmark in turn; each prints its own table and writes bench/results/. */
import { spawnSync } from 'node:child_process';
import { ROOT } from './support';

const BENCHES = ['bench/delivery.ts', 'bench/intake.ts', 'bench/json-parse.ts', 'bench/console-search.ts'];

for (const file of BENCHES) {
  console.log(`\n=== ${file}`);
  const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), file], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
