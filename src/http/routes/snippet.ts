import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Router } from 'express';
import { SNIPPET_JS } from './snippet-bundle';

/** The content's own hash: a release that changes the script changes its URL. */
export const SNIPPET_VERSION = createHash('sha256').update(SNIPPET_JS).digest('hex').slice(0, 12);
const GZIPPED = gzipSync(SNIPPET_JS, { level: 9 });
const ONE_YEAR = 31_536_000;
/** The unversioned URL is what sites paste: short enough that a new release reaches them the same day. */
const UNVERSIONED_MAX_AGE = 3600;

/**
 * GET /v1/snippet.js: the browser snippet. `?v=<SNIPPET_VERSION>` (the ETag) is cached for a year as
 * immutable; any other URL for an hour and revalidated by ETag. Served gzipped to whoever accepts it.
 */
export function snippetRouter(): Router {
  const router = Router();
  router.get('/v1/snippet.js', (req, res) => {
    const versioned = req.query.v === SNIPPET_VERSION;
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.setHeader('Cache-Control', versioned ? `public, max-age=${ONE_YEAR}, immutable` : `public, max-age=${UNVERSIONED_MAX_AGE}`);
    res.setHeader('ETag', `"${SNIPPET_VERSION}"`);
    // A script is loaded by other sites' pages: helmet's same-origin resource policy would block it.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.vary('Accept-Encoding');
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
      res.setHeader('Content-Encoding', 'gzip');
      res.send(GZIPPED);
      return;
    }
    res.send(SNIPPET_JS);
  });
  return router;
}
