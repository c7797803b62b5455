import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const EXAMPLE = readFileSync(join(__dirname, '../../docs/snippet-example.html'), 'utf8');

export interface Site {
  origin: string;
  close(): Promise<void>;
}

/**
 * A customer's website on its own origin: every path is docs/snippet-example.html pointed at the
 * gateway; under /consent/ the snippet is told to wait for consent, under /redirect/ the form is
 * `with-redirect`.
 */
export async function startSite(gateway: () => string): Promise<Site> {
  const server: Server = createServer((req, res) => {
    let page = EXAMPLE.replaceAll('https://leads.example.com', gateway());
    if (req.url?.startsWith('/consent/')) page = page.replace('data-days="90"', 'data-days="90" data-consent="required"');
    if (req.url?.startsWith('/redirect/')) page = page.replaceAll('contact', 'with-redirect');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    // `localhost` here, 127.0.0.1 for the gateway: another site, as in production.
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
