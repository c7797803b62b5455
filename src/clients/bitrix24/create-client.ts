/**
 * Builds the client of one destination from its config: an incoming webhook, or an OAuth app whose
 * token pair is shared through Redis by every worker process.
 */
import type { RedisClient } from '../../shared/redis-client';
import { Bitrix24Client, type Bitrix24Time } from './bitrix24-client';
import { OAuthSession, type OAuthAppConfig } from './oauth-session';

/** The part of a destination's config the client needs (config's DestinationConfig fits it). */
export interface Bitrix24DestinationSettings {
  webhookUrl?: string;
  oauth?: OAuthAppConfig;
  timeoutMs: number;
}

export interface CreateBitrix24ClientDeps {
  /** Holds the OAuth pair and the refresh lock; a worker connection (it waits for Redis rather than failing). */
  redis: RedisClient;
  prefix: string;
  onTime?: (time: Bitrix24Time) => void;
  /** Waits for request budget before the repeat that follows a token refresh. */
  beforeRepeat?: () => Promise<void>;
  userAgent?: string;
}

export function createBitrix24Client(
  name: string,
  destination: Bitrix24DestinationSettings,
  deps: CreateBitrix24ClientDeps,
): Bitrix24Client {
  const common = { timeoutMs: destination.timeoutMs, onTime: deps.onTime, beforeRepeat: deps.beforeRepeat, userAgent: deps.userAgent };
  if (destination.oauth && destination.webhookUrl) {
    throw new Error(`destination "${name}": set either webhookUrl or oauth, not both`);
  }
  if (destination.oauth) {
    const session = new OAuthSession({
      redis: deps.redis,
      prefix: deps.prefix,
      destination: name,
      app: destination.oauth,
      userAgent: deps.userAgent,
    });
    return new Bitrix24Client({ ...common, oauth: session });
  }
  if (destination.webhookUrl) return new Bitrix24Client({ ...common, webhookUrl: destination.webhookUrl });
  throw new Error(`destination "${name}": needs webhookUrl or oauth`);
}
