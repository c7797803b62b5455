/**
 * The log on stdout is written in blocks (at least 4 KiB, or every 100 ms): a lone line still shows
 * within the flush period while the process runs, and a process that exits writes every line it had.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/** A process that logs `lines` lines, then waits `holdMs` before exiting on its own. */
function logging(lines: number, holdMs: number, env: NodeJS.ProcessEnv = {}) {
  const script = `
    const { createLogger } = require('./src/shared/logger.ts');
    const logger = createLogger({ level: 'info' });
    for (let i = 0; i < ${lines}; i += 1) logger.info({ leadId: 'lg_' + i }, 'lead queued');
    setTimeout(() => process.exit(0), ${holdMs});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { output: () => out, exited, kill: () => child.kill('SIGKILL') };
}

const linesIn = (text: string) => text.split('\n').filter((line) => line.includes('"lead queued"')).length;

describe('the log on stdout', () => {
  it('shows a lone line within the flush period, long before the process exits', async () => {
    const run = logging(1, 30_000);
    const deadline = Date.now() + 4_000;
    while (linesIn(run.output()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(linesIn(run.output())).toBe(1);
    run.kill();
    await run.exited;
  });

  it('writes every line it holds when the process exits', async () => {
    const run = logging(2_000, 0);
    await run.exited;
    expect(linesIn(run.output())).toBe(2_000);
  });

  it('writes each line at once with LOG_SYNC=true', async () => {
    const run = logging(50, 0, { LOG_SYNC: 'true' });
    await run.exited;
    expect(linesIn(run.output())).toBe(50);
  });
});
