import { join } from 'node:path';
import type { Config } from '../config/config';
import { IntakeSpool } from '../queue/intake-spool/intake-spool';
import type { SpoolDrainerDeps } from '../queue/intake-spool/spool-drainer';

/**
 * Where an API process keeps its spool when the config names no directory: under the working
 * directory, per port, since two processes on one host cannot share a port (nor may they a spool).
 */
export function defaultSpoolDirectory(config: Config): string {
  return join(process.cwd(), 'data', 'spool', `api-${config.http.port}`);
}

/** The API's intake spool when `intake.spool.enabled`; recovers and starts draining what it holds. */
export async function openIntakeSpool(config: Config, deps: Omit<SpoolDrainerDeps, 'journal' | 'intervalMs'>): Promise<IntakeSpool | undefined> {
  const settings = config.intake.spool;
  if (!settings.enabled) return undefined;
  const directory = settings.directory ?? defaultSpoolDirectory(config);
  try {
    return await IntakeSpool.open({ directory, maxBytes: settings.maxBytes, drainIntervalMs: settings.drainIntervalMs }, deps);
  } catch (err) {
    throw new Error(`cannot open the intake spool in ${directory} (${(err as Error).message}): set intake.spool.directory to a writable directory of this process, or intake.spool.enabled: false`);
  }
}
