import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { RedisClient } from '../shared/redis-client';
import type { Logger } from '../shared/logger';
import type { PartnerConfig } from '../config/sources-config';
import { SharedRateLimitStore } from './shared-rate-limit-store';
import { HttpError } from './http-error';

/**
 * One limiter per partner (each with its own window and limit), counted in Redis under the
 * partner's name so every API process shares it. Runs after authentication: `res.locals.partner`
 * names the partner. Every partner call counts, a batch as one.
 */
export function partnerRateLimit(deps: { partners: Readonly<Record<string, PartnerConfig>>; redis: RedisClient; prefix: string; logger: Logger }): RequestHandler {
  const limiters = new Map<string, RequestHandler>();
  for (const [name, partner] of Object.entries(deps.partners)) {
    const { windowMs, limit } = partner.rateLimit;
    limiters.set(
      name,
      rateLimit({
        windowMs,
        limit,
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        // Like the public limiter, the store fails open: with Redis down the lead fails with 503 at enqueue anyway.
        keyGenerator: () => name,
        store: new SharedRateLimitStore({ redis: deps.redis, prefix: `${deps.prefix}:rl:partner:${name}:`, logger: deps.logger }),
        handler: (_req, _res, next) => {
          next(new HttpError(429, 'rate_limited', `partner "${name}" may send ${limit} requests per ${Math.round(windowMs / 1000)} s; retry after the Retry-After delay`));
        },
      }),
    );
  }
  return (req, res, next) => {
    const limiter = limiters.get(res.locals.partner as string);
    if (!limiter) throw new HttpError(401, 'unauthorized', 'a valid partner API key is required');
    return limiter(req, res, next);
  };
}
