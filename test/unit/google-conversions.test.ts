import { createVerify, generateKeyPairSync } from 'node:crypto';
import { DataManagerUploader, ingestRequest } from '../../src/clients/google-ads/data-manager-uploader';
import { classifyGoogleError } from '../../src/clients/google-ads/google-errors';
import { googleImportCsv, importTime } from '../../src/clients/google-ads/google-import-csv';
import { serviceAccountAssertion } from '../../src/clients/google-ads/service-account-token';
import type { Conversion } from '../../src/lead/conversion';

const conversion = (over: Partial<Conversion> = {}): Conversion => ({
  id: 'c'.repeat(32), leadId: 'lg_1', platform: 'google', eventName: 'Sale', destination: 'main',
  stage: { entity: 'deal', crmId: 3, stageId: 'WON', at: '2026-12-06T09:00:00.000Z' },
  click: { key: 'gbraid', value: 'GB-1', clickAt: '2026-11-01T09:00:00.000Z' },
  value: { amount: 99.5, currency: 'EUR' },
  ...over,
});

describe('Google offline click conversions', () => {
  it('builds the events:ingest request: customer, login account, conversion action, click id, time, value, transaction id', () => {
    expect(ingestRequest({ customerId: '1234567890', loginCustomerId: '1111111111', validateOnly: true }, '987', [conversion()])).toEqual({
      destinations: [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, loginAccount: { accountType: 'GOOGLE_ADS', accountId: '1111111111' }, productDestinationId: '987' }],
      events: [{ adIdentifiers: { gbraid: 'GB-1' }, eventTimestamp: '2026-12-06T09:00:00.000Z', transactionId: 'c'.repeat(32), eventSource: 'WEB', conversionValue: 99.5, currency: 'EUR' }],
      validateOnly: true,
    });
  });

  it('expires a conversion more than 90 days after its click', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const uploader = new DataManagerUploader({
      customerId: '1234567890', ingestUrl: 'http://127.0.0.1:9/', conversionActions: {}, exportTimeZone: '+0000', batchSize: 10, lingerMs: 0, validateOnly: false, timeoutMs: 1000,
      serviceAccount: { clientEmail: 'a@b', privateKey, tokenUrl: 'http://127.0.0.1:9/token' },
    });
    expect(uploader.tooOld(conversion())).toBeUndefined();
    expect(uploader.tooOld(conversion({ click: { key: 'gclid', value: 'G', clickAt: '2026-09-01T09:00:00.000Z' } }))).toMatch(/96 days before the conversion/);
  });

  it('signs the service-account assertion RS256 with iss, scope, aud and a one-hour lifetime', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const jwt = serviceAccountAssertion({ clientEmail: 'sa@p.iam.gserviceaccount.com', privateKey, tokenUrl: 'https://oauth2.googleapis.com/token' }, 'https://www.googleapis.com/auth/datamanager', 1_765_000_000_000);
    const [h, c, s] = jwt.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(c, 'base64url').toString())).toEqual({ iss: 'sa@p.iam.gserviceaccount.com', scope: 'https://www.googleapis.com/auth/datamanager', aud: 'https://oauth2.googleapis.com/token', iat: 1_765_000_000, exp: 1_765_003_600 });
    expect(createVerify('RSA-SHA256').update(`${h}.${c}`).verify(publicKey, Buffer.from(s, 'base64url'))).toBe(true);
  });

  it('classifies Google errors by what to do', () => {
    expect(classifyGoogleError(429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota' } }).kind).toBe('retryable');
    expect(classifyGoogleError(503, undefined).kind).toBe('retryable');
    expect(classifyGoogleError(403, { error: { code: 403, status: 'PERMISSION_DENIED', message: 'no' } })).toMatchObject({ kind: 'auth', code: 'GOOGLE_PERMISSION_DENIED' });
    expect(classifyGoogleError(400, { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'bad gclid' } })).toMatchObject({ kind: 'request', code: 'GOOGLE_INVALID_ARGUMENT' });
  });

  it('writes the scheduled-import CSV in the configured offset, quoting where needed, gclid rows only', () => {
    expect(importTime('2026-12-06T23:30:00.000Z', '+0130')).toBe('2026-12-07 01:00:00');
    expect(importTime('2026-12-06T00:30:00.000Z', '-0500')).toBe('2026-12-05 19:30:00');
    const { csv, skipped } = googleImportCsv([
      { clickKey: 'gclid', clickId: 'G-1', conversionName: 'Sale, big', at: '2026-12-06T09:00:00.000Z', value: 10, currency: 'USD' },
      { clickKey: 'wbraid', clickId: 'W-1', conversionName: 'Sale', at: '2026-12-06T09:00:00.000Z' },
    ], '+0000');
    expect(csv).toBe('Parameters:TimeZone=+0000\nGoogle Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\nG-1,"Sale, big",2026-12-06 09:00:00,10,USD\n');
    expect(skipped).toBe(1);
  });
});
