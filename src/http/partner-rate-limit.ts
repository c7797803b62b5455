import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import type { PartnerConfig } from '../sources/sources-config';
import { HttpError } from './http-error';

/**
 * One limiter per partner (each with its own window and limit), counted in Redis under the
 * partner's name so every API process shares it. Runs after authentication: `res.locals.partner`
 * names the partner. Every partner call counts, a batch as one.
 */
export function partnerRateLimit(deps: { partners: Readonly<Record<string, PartnerConfig>>; redis: Redis; prefix: string }): RequestHandler {
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
        // Like the public limiter: with Redis down the lead fails with 503 at enqueue anyway.
        passOnStoreError: true,
        keyGenerator: () => name,
        store: new RedisStore({
          prefix: `${deps.prefix}:rl:partner:${name}:`,
          sendCommand: (command: string, ...args: string[]) => deps.redis.call(command, ...args) as never,
        }),
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
