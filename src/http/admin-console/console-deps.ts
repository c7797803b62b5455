import type { RequestHandler } from 'express';
import type { Config } from '../../config/config';
import type { Lead } from '../../lead/lead';
import type { ConversionRecord } from '../../queue/conversion-store';
import type { DeadLetterQueue } from '../../queue/dead-letter-queue';
import type { LeadLedger } from '../../queue/lead-ledger';
import type { RedisClient } from '../../shared/redis-client';
import type { DestinationStatus } from '../routes/operations';

/** The breaker's record as /readyz shows it, with the last probe when the worker wrote one. */
export type DestinationHealth = DestinationStatus & { lastProbeAt?: string; lastProbeError?: string };

/** A portal's request budget and operating-limit use, as the workers share them in Redis. */
export interface PortalUse {
  bucket: { level: number; capacity: number; limit: number; drainPerSecond: number; pausedForMs: number };
  /** The latest Bitrix24 answer's `time.operating` (seconds of the last 10 minutes), when one was seen recently. */
  operating?: { seconds: number; limitSeconds: number; resetAt?: string; at: string };
}

/** What the console acts through: queue-level parts, and functions the runtime builds from worker code. */
export interface ConsoleActions {
  deadLetters: Pick<DeadLetterQueue, 'list' | 'show' | 'replay' | 'purgeOne'>;
  /** The lead as it sits in its delivery job, while the job is kept. */
  queuedLead: (id: string, destination: string) => Promise<Lead | undefined>;
  backlog: (destination: string) => Promise<Record<string, number>>;
  /** Closes the destination's breaker and lifts its rate-limit pause, as `leadgate destinations resume` does. */
  resumeDestination: (name: string) => Promise<void>;
  portalUse: (destination: string) => Promise<PortalUse>;
  /** `leadgate check` against Redis and every portal, its lines as the CLI prints them. */
  runCheck: () => Promise<{ ok: boolean; lines: string[] }>;
  deadLetterCount: () => Promise<number>;
  /** The conversion loop, when `conversions` is configured: a lead's conversions and the replay of a dead one. */
  conversions?: ConsoleConversions;
}

export interface ConsoleConversions {
  list: (leadId: string) => Promise<ConversionRecord[]>;
  /** Queues a dead conversion again (what `leadgate conversions dlq replay <id>` does); undefined when no such dead letter. */
  replay: (deadLetterId: string) => Promise<{ leadId?: string } | undefined>;
}

export interface ConsoleDeps extends ConsoleActions {
  config: Config;
  redis: RedisClient;
  ledger: Pick<LeadLedger, 'get'>;
  destinationStatus: () => Promise<Record<string, DestinationHealth>>;
  /** Sign-in attempts per address, shared through Redis like the intake limits. */
  loginLimiter: RequestHandler;
  /** The public server's address, for snippets and webhook URLs when the console has a port of its own (and no http.publicUrl). */
  publicUrl?: () => string | undefined;
}
