import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Metrics } from '../../shared/metrics';

/** Liveness, readiness and Prometheus metrics: served by API and worker processes alike. */
export function operationsRouter(deps: { redis: Redis; metrics: Metrics; role: string }): Router {
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
      res.json({ status: 'ready', redis: 'ok' });
    } catch (err) {
      res.status(503).json({ status: 'not_ready', redis: (err as Error).message });
    } finally {
      clearTimeout(timer);
    }
  });

  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return router;
}
