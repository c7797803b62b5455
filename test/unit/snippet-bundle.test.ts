import express from 'express';
import type { AddressInfo } from 'node:net';
import { get, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { buildSnippet, bundleModule, BUNDLE_MODULE } from '../../snippet/build';
import { readFileSync } from 'node:fs';
import { SNIPPET_JS } from '../../src/http/routes/snippet-bundle';
import { SNIPPET_VERSION, snippetRouter } from '../../src/http/routes/snippet';

describe('the browser snippet bundle', () => {
  it('is what snippet/src builds to (run `npm run build:snippet` after editing it)', () => {
    expect(readFileSync(BUNDLE_MODULE, 'utf8')).toBe(bundleModule(buildSnippet()));
  });

  it('is at most 3 KB gzipped', () => {
    expect(gzipSync(SNIPPET_JS, { level: 9 }).length).toBeLessThanOrEqual(3072);
  });
});

describe('GET /v1/snippet.js', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = express().use(snippetRouter());
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/snippet.js`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('serves the script to any site, revalidated by its version as ETag', async () => {
    const response = await fetch(base);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('etag')).toBe(`"${SNIPPET_VERSION}"`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(await response.text()).toBe(SNIPPET_JS);
    // node:http, not fetch: fetch marks a request with If-None-Match as `no-cache`, which is never answered 304.
    const revalidated = await new Promise<number | undefined>((resolve, reject) => {
      get(base, { headers: { 'if-none-match': `"${SNIPPET_VERSION}"` } }, (res) => resolve(res.resume().statusCode)).on('error', reject);
    });
    expect(revalidated).toBe(304);
  });

  it('caches the versioned URL for a year as immutable, and only the current version', async () => {
    expect((await fetch(`${base}?v=${SNIPPET_VERSION}`)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${base}?v=000000000000`)).headers.get('cache-control')).toBe('public, max-age=3600');
  });

  it('sends it gzipped to clients that accept gzip', async () => {
    const response = await fetch(base, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(Number(response.headers.get('content-length'))).toBeLessThanOrEqual(3072);
    expect(await response.text()).toBe(SNIPPET_JS);
  });
});
