import { Router, type Request } from 'express';
import { readActivity, RANGES, type ActivityRange } from '../../queue/activity';
import type { ConsoleDeps } from './console-deps';
import { pageChrome } from './console-session';
import { page } from './layout';
import { overviewBody, overviewLive, type Breakdown, type OverviewData } from './overview-page';
import { portalHost } from './portal-host';

function rangeOf(req: Request): ActivityRange {
  const range = String(req.query.range ?? 'hour');
  return Object.hasOwn(RANGES, range) ? (range as ActivityRange) : 'hour';
}

function breakdownOf(req: Request): Breakdown {
  return req.query.by === 'destination' ? 'destination' : 'source';
}

/** What the overview shows, read fresh from Redis for every view and poll (every process writes into the same place). */
export async function readOverview(deps: ConsoleDeps, range: ActivityRange): Promise<OverviewData> {
  const { config } = deps;
  const names = Object.keys(config.destinations);
  const [activity, status, deadLetters, destinations] = await Promise.all([
    readActivity(deps.redis, config.redis.prefix, range),
    deps.destinationStatus(),
    deps.deadLetterCount(),
    Promise.all(names.map(async (name) => ({ name, backlog: await deps.backlog(name), use: await deps.portalUse(name) }))),
  ]);
  return {
    generatedAt: new Date().toISOString(),
    activity,
    deadLetters,
    destinations: destinations.map((d) => {
      const portal = portalHost(config.destinations[d.name]);
      return { ...d, ...(portal ? { portal } : {}), health: status[d.name] ?? { open: false } };
    }),
  };
}

/**
 * The console's landing page: activity over the last hour, day or week, backlog, latency and each
 * portal's budget. /overview/live renders the changing part again for the page's script to swap in;
 * /api/overview is the same data as JSON (behind the same session).
 */
export function overviewRoutes(deps: ConsoleDeps): Router {
  const router = Router();
  router.get('/overview', async (req, res) => {
    const range = rangeOf(req);
    const by = breakdownOf(req);
    const live = overviewLive(await readOverview(deps, range), by);
    res.send(page({ title: 'Overview', section: 'overview', ...pageChrome(res) }, overviewBody(range, by, live)));
  });
  router.get('/overview/live', async (req, res) => {
    res.type('html').send(overviewLive(await readOverview(deps, rangeOf(req)), breakdownOf(req)).text);
  });
  router.get('/api/overview', async (req, res) => {
    res.json(await readOverview(deps, rangeOf(req)));
  });
  return router;
}
