import { join } from 'node:path';
import type { Config } from '../config/config';
import { IntakeSpool } from '../queue/intake-spool/intake-spool';
import type { SpoolDrainerDeps } from '../queue/intake-spool/spool-drainer';

/**
 * Where an API process keeps its spool when the config names no directory: under the working
 * directory, per port, since two processes on one host cannot share a port (nor may they a spool).
 * The processes of one `--processes N` share the port: each has its own, `api-<port>-<index>`.
 */
export function defaultSpoolDirectory(config: Config, processIndex?: number): string {
  return join(process.cwd(), 'data', 'spool', processIndex === undefined ? `api-${config.http.port}` : `api-${config.http.port}-${processIndex}`);
}

/**
 * The API's intake spool when `intake.spool.enabled`; recovers and starts draining what it holds.
 * One of N API processes (processIndex) keeps it in `process-<index>` under a configured directory.
 */
export async function openIntakeSpool(config: Config, processIndex: number | undefined, deps: Omit<SpoolDrainerDeps, 'journal' | 'intervalMs'>): Promise<IntakeSpool | undefined> {
  const settings = config.intake.spool;
  if (!settings.enabled) return undefined;
  const configured = settings.directory === undefined ? undefined : processIndex === undefined ? settings.directory : join(settings.directory, `process-${processIndex}`);
  const directory = configured ?? defaultSpoolDirectory(config, processIndex);
  try {
    return await IntakeSpool.open({ directory, maxBytes: settings.maxBytes, drainIntervalMs: settings.drainIntervalMs }, deps);
  } catch (err) {
    throw new Error(`cannot open the intake spool in ${directory} (${(err as Error).message}): set intake.spool.directory to a writable directory of this process, or intake.spool.enabled: false`);
  }
}
