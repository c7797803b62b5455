import express, { Router, type Express, type Request } from 'express';
import { safeEqual } from '../../shared/safe-equal';
import type { RedisClient } from '../../shared/redis-client';
import type { IntakeSpool } from '../../queue/intake-spool/intake-spool';
import type { Metrics } from '../../shared/metrics';

/** Liveness, readiness and Prometheus metrics: served by API and worker processes alike. */
export interface DestinationStatus {
  open: boolean;
  code?: string;
  reason?: string;
  since?: string;
}

/** One Meta Page's token, for /readyz: `ok` and `unchecked` are healthy, anything else needs an operator. */
export interface MetaPageStatus {
  status: string;
  paused: boolean;
  reason?: string;
  expiresAt?: string;
  checkedAt?: string;
}

export interface OperationsDeps {
  redis: RedisClient;
  metrics: Metrics;
  role: string;
  /** Circuit-breaker state per destination, shown in /readyz so a paused portal is visible. */
  destinationStatus?: () => Promise<Record<string, DestinationStatus>>;
  /**
   * Meta Page-token health as the workers found it (Redis), per Page id: a token expiring soon, unable
   * to read leads, or dead (its reads paused) makes the process `degraded` with the reason.
   */
  metaPages?: () => Promise<Record<string, MetaPageStatus>>;
  /** The API's intake spool: while it holds leads, or Redis is away but the spool takes them, the API is `degraded`, not unready. */
  spool?: Pick<IntakeSpool, 'status'>;
  /**
   * `http.operations.token`: /metrics then needs `Authorization: Bearer <token>`, and /readyz shows its details
   * (destinations, spool, Meta Pages) only with it; without it /readyz answers just `{status}` with the same
   * HTTP status, so load balancers and probes that send no header still work.
   */
  token?: string;
  /** false: only /healthz (the public port, once `http.operations.port` has moved /readyz and /metrics to their own). */
  details?: boolean;
}

async function readiness(deps: OperationsDeps): Promise<{ code: number; body: { status: string } & Record<string, unknown> }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      deps.redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), 1000);
      }),
    ]);
    // A paused destination does not make this process unready (it still takes and keeps leads), but operators see it here.
    const destinations = deps.destinationStatus ? await deps.destinationStatus() : undefined;
    const paused = destinations ? Object.entries(destinations).filter(([, d]) => d.open).map(([name]) => name) : [];
    const spool = deps.spool?.status();
    const metaPages = deps.metaPages ? await deps.metaPages() : undefined;
    const metaTrouble = Object.values(metaPages ?? {}).some((page) => page.status !== 'ok' && page.status !== 'unchecked');
    const degraded = paused.length > 0 || (spool?.leads ?? 0) > 0 || metaTrouble;
    return {
      code: 200,
      body: {
        status: degraded ? 'degraded' : 'ready', redis: 'ok',
        ...(destinations ? { destinations } : {}), ...(spool ? { spool } : {}), ...(metaPages ? { meta: { pages: metaPages } } : {}),
      },
    };
  } catch (err) {
    const spool = deps.spool?.status();
    // Intake still answers 202 while the spool has room: keep the process in the load balancer.
    if (spool && spool.bytes < spool.maxBytes) return { code: 200, body: { status: 'degraded', redis: (err as Error).message, spool } };
    return { code: 503, body: { status: 'not_ready', redis: (err as Error).message, ...(spool ? { spool } : {}) } };
  } finally {
    clearTimeout(timer);
  }
}

function authorized(req: Request, token: string | undefined): boolean {
  if (!token) return true;
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') && safeEqual(header.slice(7), token);
}

export function operationsRouter(deps: OperationsDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', role: deps.role });
  });

  if (deps.details === false) return router;

  router.get('/readyz', async (req, res) => {
    const { code, body } = await readiness(deps);
    // Without the token: the same status and HTTP code, no details, so a load balancer's check needs no secret.
    res.status(code).json(authorized(req, deps.token) ? body : { status: body.status });
  });

  router.get('/metrics', async (req, res) => {
    if (!authorized(req, deps.token)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="leadgate operations"').json({ error: 'unauthorized', message: 'a valid operations bearer token is required (http.operations.token)' });
      return;
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return router;
}

/** A server of its own for the operations endpoints: the worker's port, or the API's `http.operations.port`. */
export function operationsApp(deps: OperationsDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(operationsRouter(deps));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'no such endpoint' });
  });
  return app;
}
