import type { Config } from '../config/config';
import { startLeadgate, type Role } from '../runtime/services';
import { createLogger } from '../shared/logger';

/** Runs one role until SIGTERM/SIGINT, then shuts down gracefully (a second signal forces exit). */
export async function runRole(config: Config, role: Role): Promise<void> {
  const logger = createLogger();
  const running = await startLeadgate({ config, role, logger });
  let signalled = false;
  const onSignal = (signal: string): void => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ signal }, 'signal received');
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
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
