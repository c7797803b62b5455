import type { RequestHandler } from 'express';
import type { Config } from '../../config/config';
import type { Lead } from '../../lead/lead';
import type { DeadLetterQueue } from '../../queue/dead-letter-queue';
import type { LeadLedger } from '../../queue/lead-ledger';
import type { RedisClient } from '../../shared/redis-client';
import type { DestinationStatus } from '../routes/operations';

/** The breaker's record as /readyz shows it, with the last probe when the worker wrote one. */
export type DestinationHealth = DestinationStatus & { lastProbeAt?: string; lastProbeError?: string };

/** What the console acts through: queue-level parts, and functions the runtime builds from worker code. */
export interface ConsoleActions {
  deadLetters: Pick<DeadLetterQueue, 'list' | 'show' | 'replay' | 'purgeOne'>;
  /** The lead as it sits in its delivery job, while the job is kept. */
  queuedLead: (id: string, destination: string) => Promise<Lead | undefined>;
  backlog: (destination: string) => Promise<Record<string, number>>;
  /** Closes the destination's breaker and lifts its rate-limit pause, as `leadgate destinations resume` does. */
  resumeDestination: (name: string) => Promise<void>;
}

export interface ConsoleDeps extends ConsoleActions {
  config: Config;
  redis: RedisClient;
  ledger: Pick<LeadLedger, 'get'>;
  destinationStatus: () => Promise<Record<string, DestinationHealth>>;
  /** Sign-in attempts per address, shared through Redis like the intake limits. */
  loginLimiter: RequestHandler;
}
