import type { RequestListener } from 'node:http';
import express, { type Express, type RequestHandler, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { securityHeaders } from './security-headers';
import type { RedisClient } from '../shared/redis-client';
import type { Config } from '../config/config';
import type { ConversionStore } from '../queue/conversion-store';
import type { IdempotencyStore } from '../queue/idempotency-store';
import type { IntakeSpool } from '../queue/intake-spool/intake-spool';
import type { LeadLedger } from '../queue/lead-ledger';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import type { CaptchaVerifier } from '../sources/captcha-decision';
import { consoleRouter } from './admin-console/console-router';
import type { ConsoleActions } from './admin-console/console-deps';
import { errorHandler } from './error-handler';
import { HttpError } from './http-error';
import { addressKey, SharedRateLimitStore } from './shared-rate-limit-store';
import type { Intake } from './intake';
import { formIntake, formsRouter } from './routes/forms';
import { withFormFrontDoor } from './form-front-door';
import { parseByteLimit } from './read-form-body';
import { leadsRouter } from './routes/leads';
import { operationsRouter, type DestinationStatus, type MetaPageStatus, type OperationsDeps } from './routes/operations';
import { snippetRouter } from './routes/snippet';

export interface AppDeps {
  config: Config;
  redis: RedisClient;
  intake: Intake;
  ledger: Pick<LeadLedger, 'get'>;
  /** Binds Idempotency-Keys and external_refs to the content first sent with them, for 24 hours. */
  idempotency: Pick<IdempotencyStore, 'bind'>;
  metrics: Metrics;
  logger: Logger;
  destinationStatus?: () => Promise<Record<string, DestinationStatus>>;
  /** Meta Page-token health, shown in /readyz. */
  metaPages?: () => Promise<Record<string, MetaPageStatus>>;
  /** This process's intake spool, when on: /readyz shows it, GET /v1/leads/:id answers for its leads. */
  spool?: Pick<IntakeSpool, 'find' | 'status'>;
  /** Routers of other sources (ad-platform webhooks, partner API), mounted behind the same limits. */
  sourceRouters?: Router[];
  /** Verifies forms' CAPTCHA tokens; absent, a form with `captcha` gets no verdict and follows its failMode. */
  captcha?: CaptchaVerifier;
  /** Each lead's conversion events (Meta, Google), shown by GET /v1/leads/:id when the loop is configured. */
  conversions?: Pick<ConversionStore, 'list'>;
  /** The operator console at /admin/ (with admin.token or admin.operators set): its actions on queues and destinations. */
  console?: ConsoleActions;
  /** The public server's address, for the console's snippets when it has a port of its own. */
  publicUrl?: () => string | undefined;
}

/**
 * Requests per address, shared through Redis so N API processes enforce one limit; if Redis is down
 * the lead would fail with 503 at enqueue anyway, so the store fails open rather than masking that answer.
 */
function perIpLimit(deps: Pick<AppDeps, 'config' | 'redis' | 'logger'>, name: string, settings: { windowMs: number; limit: number }): RequestHandler {
  return rateLimit({
    windowMs: settings.windowMs,
    limit: settings.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: addressKey,
    store: new SharedRateLimitStore({ redis: deps.redis, prefix: `${deps.config.redis.prefix}:rl:${name}:`, logger: deps.logger }),
    handler: (_req, _res, next, options) => {
      next(new HttpError(options.statusCode, 'rate_limited', 'too many requests from this address; slow down'));
    },
  });
}

/** The console's router, on the public app or on the admin port's own. */
function mountConsole(app: Express, deps: AppDeps): void {
  if (!deps.console || !deps.destinationStatus) return;
  app.use('/admin', consoleRouter({
    ...deps.console, config: deps.config, redis: deps.redis, ledger: deps.ledger, destinationStatus: deps.destinationStatus,
    ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
    // Guessing a token is the one thing sign-in must make slow.
    loginLimiter: perIpLimit(deps, 'console-login', { windowMs: 15 * 60_000, limit: 10 }),
  }));
}

/** `admin.port`: the console alone on a server of its own (the public port then answers 404 under /admin). */
export function createConsoleApp(deps: AppDeps): Express {
  const app = express();
  app.set('trust proxy', deps.config.http.trustProxy);
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.get('/', (_req, res) => res.redirect(303, '/admin/'));
  mountConsole(app, deps);
  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'no such endpoint')));
  app.use(errorHandler({ logger: deps.logger, metrics: deps.metrics }));
  return app;
}

/** What the API's operations endpoints show, on the public port or on `http.operations.port`. */
export function operationsDeps(deps: Pick<AppDeps, 'config' | 'redis' | 'metrics' | 'destinationStatus' | 'metaPages' | 'spool'>): OperationsDeps {
  return {
    redis: deps.redis, metrics: deps.metrics, role: 'api', token: deps.config.http.operations.token,
    destinationStatus: deps.destinationStatus, metaPages: deps.metaPages, spool: deps.spool,
  };
}

/** The HTTP API as express serves it, without the front door (createApi's `app`). */
export function createApp(deps: AppDeps): Express {
  return createApi(deps).app;
}

/**
 * Builds the HTTP API without binding a port, so tests run it on port 0 with their own Redis prefix:
 * `listener` is what the server runs (plain JSON form posts through the front door, the rest to `app`).
 */
export function createApi(deps: AppDeps): { app: Express; listener: RequestListener } {
  const { config } = deps;
  const app = express();
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  // Every answer is about one request (an accepted lead, a status now): a hash of each body for an
  // ETag would cost every POST and never be used. Routes that can be revalidated set their own (snippet).
  app.set('etag', false);
  const headers = securityHeaders();
  app.use(headers);

  app.use(operationsRouter({ ...operationsDeps(deps), details: config.http.operations.port === undefined }));
  app.use(snippetRouter());

  const perIp = (name: string, settings: { windowMs: number; limit: number }) => perIpLimit(deps, name, settings);
  const formsLimit = perIp('forms', config.http.rateLimit);
  app.use('/v1/forms', formsLimit);
  app.use('/v1/webhooks', perIp('webhooks', config.http.webhookRateLimit));

  const forms = formIntake(config, deps.intake, deps.idempotency, { redis: deps.redis, captcha: deps.captcha });
  app.use(formsRouter(config, forms));
  for (const router of deps.sourceRouters ?? []) app.use(router);
  app.use(leadsRouter({ ledger: deps.ledger, spool: deps.spool, adminToken: config.admin.token, ...(deps.conversions ? { conversions: deps.conversions } : {}) }));
  if (config.admin.port === undefined) mountConsole(app, deps);

  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'no such endpoint')));
  app.use(errorHandler({ logger: deps.logger, metrics: deps.metrics }));
  const listener = withFormFrontDoor({
    app, securityHeaders: headers, rateLimit: formsLimit, forms, bodyLimitBytes: parseByteLimit(config.http.bodyLimit), logger: deps.logger, metrics: deps.metrics,
  });
  return { app, listener };
}
