import { Router } from 'express';
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
}

export function operationsRouter(deps: OperationsDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', role: deps.role });
  });

  router.get('/readyz', async (_req, res) => {
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
      res.json({
        status: degraded ? 'degraded' : 'ready', redis: 'ok',
        ...(destinations ? { destinations } : {}), ...(spool ? { spool } : {}), ...(metaPages ? { meta: { pages: metaPages } } : {}),
      });
    } catch (err) {
      const spool = deps.spool?.status();
      // Intake still answers 202 while the spool has room: keep the process in the load balancer.
      if (spool && spool.bytes < spool.maxBytes) {
        res.json({ status: 'degraded', redis: (err as Error).message, spool });
        return;
      }
      res.status(503).json({ status: 'not_ready', redis: (err as Error).message, ...(spool ? { spool } : {}) });
    } finally {
      clearTimeout(timer);
    }
  });

  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return router;
}
