import type { Logger } from './logger';

interface ErrorEmitter {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Logs an emitter's errors (Redis connections, BullMQ queues and workers) at most once per interval,
 * with how many were folded into the next line: a worker blocked on Redis must say so, without a line
 * per reconnect attempt. Also keeps the 'error' event handled, so it cannot crash the process.
 */
export function logErrors(emitter: ErrorEmitter, logger: Logger, context: Record<string, unknown>, intervalMs = 10_000): void {
  let lastAt = 0;
  let folded = 0;
  emitter.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastAt < intervalMs) {
      folded += 1;
      return;
    }
    logger.error({ ...context, err: err.message, ...(folded > 0 ? { alsoSince: folded } : {}) }, 'connection or queue error');
    lastAt = now;
    folded = 0;
  });
}
