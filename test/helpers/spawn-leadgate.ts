import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * `leadgate <args>` as its own OS process, running the TypeScript sources through tsx's loader in
 * that one process (not the tsx CLI, which forks a child a SIGKILL would miss).
 */
export function spawnLeadgate(args: string[], options: { env?: NodeJS.ProcessEnv; captureStderr?: boolean; captureStdout?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: join(__dirname, '../..'),
    env: { ...process.env, LOG_LEVEL: 'silent', ...options.env },
    stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', options.captureStderr ? 'pipe' : 'inherit'],
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}
