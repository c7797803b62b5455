import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from '../shared/logger';

/** `http.processes` / `--processes`: a count, or `auto` for one per core. */
export type ProcessesSetting = number | 'auto';

export function resolveProcesses(setting: ProcessesSetting): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/** Set by the supervisor in each API process it forks: which one it is (0…N-1), stable across restarts. */
const INDEX_ENV = 'LEADGATE_API_PROCESS';

/** This process's index among the supervisor's API processes, or undefined when it runs alone. */
export function apiProcessIndex(): number | undefined {
  const value = cluster.isWorker ? process.env[INDEX_ENV] : undefined;
  return value === undefined ? undefined : Number(value);
}

/** Messages between the supervisor and its API processes (node:cluster IPC). */
export type SupervisorMessage = { leadgate: 'ready' } | { leadgate: 'stop' } | { leadgate: 'force' };

export function isSupervisorMessage(message: unknown): message is SupervisorMessage {
  return typeof message === 'object' && message !== null && typeof (message as { leadgate?: unknown }).leadgate === 'string';
}

/** Tells the supervisor (if any) that this API process is listening. */
export function reportReady(): void {
  if (cluster.isWorker) process.send?.({ leadgate: 'ready' } satisfies SupervisorMessage);
}

/**
 * `leadgate api --processes N`: N API processes on one port (node:cluster; the primary accepts
 * connections and hands them round-robin to the processes, which share nothing but Redis, as N
 * separate `leadgate api` would). The primary serves nothing itself. It restarts a process that dies
 * once running (same index, so the same spool directory); one that dies while starting ends them all
 * with exit code 1, as a single process that cannot start does.
 *
 * Stopping keeps a single process's promise for each of them: the first SIGTERM/SIGINT is passed on
 * as a graceful stop (each finishes its requests, closes its spool), a second as a forced exit, and
 * the primary exits once they all have: 0 if every one stopped cleanly, else 1; if one hangs, it is
 * killed delivery.shutdownTimeoutMs + 5 s after the signal, as a lone process exits by then.
 */
export async function superviseApiProcesses(options: { processes: number; shutdownTimeoutMs: number; logger: Logger }): Promise<void> {
  const { processes, logger } = options;
  const running = new Map<number, Worker>();
  const exitCodes: number[] = [];
  let stopping = false;

  const stopAll = (kind: 'stop' | 'force'): void => {
    for (const worker of running.values()) {
      if (worker.isConnected()) worker.send({ leadgate: kind } satisfies SupervisorMessage);
      else worker.process.kill('SIGTERM');
    }
  };
  const finish = (): void => {
    if (running.size > 0) return;
    const code = exitCodes.every((c) => c === 0) ? 0 : 1;
    logger.info({ processes, code }, 'every API process stopped');
    process.exit(code);
  };

  const fork = (index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ [INDEX_ENV]: String(index) });
      running.set(index, worker);
      let ready = false;
      worker.on('message', (message: unknown) => {
        if (isSupervisorMessage(message) && message.leadgate === 'ready') {
          ready = true;
          resolve();
        }
      });
      worker.once('exit', (code, signal) => {
        running.delete(index);
        if (stopping) {
          exitCodes.push(code ?? 1);
          finish();
          return;
        }
        if (!ready) {
          reject(new Error(`API process ${index} exited while starting (${signal ?? `code ${code}`})`));
          return;
        }
        // A process that crashed once running: its port share and spool come back with a new one.
        logger.error({ index, code, signal }, 'API process died; starting another');
        setTimeout(() => {
          if (!stopping) fork(index).catch((err: Error) => logger.error({ index, err: err.message }, 'API process could not start again'));
        }, 1000).unref();
      });
    });

  let signals = 0;
  const onSignal = (signal: string): void => {
    signals += 1;
    if (signals === 1) {
      stopping = true;
      logger.info({ signal, processes: running.size }, 'signal received; stopping every API process');
      stopAll('stop');
      // A lone process exits by shutdownTimeoutMs + 5 s whatever hangs; so do these, and then the primary.
      setTimeout(() => {
        for (const worker of running.values()) worker.process.kill('SIGKILL');
        exitCodes.push(1);
        // Their exit events end the primary (finish), so none outlives it; should one not come, it ends anyway.
        setTimeout(() => process.exit(1), 2000).unref();
      }, options.shutdownTimeoutMs + 7000).unref();
      finish();
    } else {
      stopAll('force');
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await Promise.all(Array.from({ length: processes }, (_, i) => fork(i)));
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'an API process could not start; stopping the others');
    stopping = true;
    exitCodes.push(1);
    stopAll('stop');
    finish();
    return;
  }
  logger.info({ processes, pid: process.pid }, 'API processes started');
}
