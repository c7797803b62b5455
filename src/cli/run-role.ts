import cluster from 'node:cluster';
import type { Config } from '../config/config';
import { apiProcessIndex, isSupervisorMessage, reportReady, resolveProcesses, superviseApiProcesses } from '../runtime/api-processes';
import { startLeadgate, type Role } from '../runtime/services';
import { createLogger } from '../shared/logger';

/**
 * Runs one role until SIGTERM/SIGINT, then shuts down gracefully (a second signal forces exit). The
 * API runs as `http.processes` processes (`--processes`) under a supervisor when that is more than one.
 */
export async function runRole(config: Config, role: Role): Promise<void> {
  const logger = createLogger();
  const processes = role === 'api' ? resolveProcesses(config.http.processes) : 1;
  if (processes > 1 && cluster.isPrimary) {
    await superviseApiProcesses({ processes, shutdownTimeoutMs: config.delivery.shutdownTimeoutMs, logger });
    return;
  }
  const running = await startLeadgate({ config, role, logger, processIndex: apiProcessIndex() });
  let stopRequested = false;
  const stop = (reason: string, force: boolean): void => {
    if (force) process.exit(1);
    stopRequested = true;
    logger.info({ signal: reason }, 'signal received');
    // Whatever hangs (Redis gone mid-shutdown), the process ends: unsure leads are looked up by whoever takes them next.
    setTimeout(() => process.exit(1), config.delivery.shutdownTimeoutMs + 5000).unref();
    running.stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: string): void => stop(signal, stopRequested);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (cluster.isWorker) {
    // The supervisor passes its signals on as messages. A signal sent to the whole process group (Ctrl-C,
    // systemd) reaches this process too: the message and the signal are then one request, not two.
    process.on('message', (message: unknown) => {
      if (!isSupervisorMessage(message)) return;
      if (message.leadgate === 'force') stop('supervisor', true);
      else if (message.leadgate === 'stop' && !stopRequested) stop('supervisor', false);
    });
    // The supervisor is gone (killed): never outlive it.
    process.on('disconnect', () => {
      if (!stopRequested) stop('supervisor gone', false);
    });
    reportReady();
  }
}
