import express from 'express';
import helmet from 'helmet';
import type { AddressInfo } from 'node:net';
import { securityHeaders } from '../../src/http/security-headers';

/** The headers an app answers with, X-Powered-By included when the app leaves it on. */
async function headersOf(app: express.Express): Promise<Record<string, string>> {
  app.get('/', (_req, res) => res.json({ ok: true }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const headers = Object.fromEntries(answer.headers);
    delete headers.date;
    delete headers['keep-alive'];
    return headers;
  } finally {
    server.close();
  }
}

describe('securityHeaders: helmet\'s default headers, worked out once', () => {
  it('answers with exactly the headers helmet() sets and removes', async () => {
    const withHelmet = express();
    withHelmet.use(helmet());
    const worked = express();
    worked.use(securityHeaders());
    const expected = await headersOf(withHelmet);
    expect(expected['content-security-policy']).toBeDefined();
    expect(expected['x-powered-by']).toBeUndefined();
    expect(await headersOf(worked)).toEqual(expected);
  });
});
