import { createHmac } from 'node:crypto';
import { signMetaBody, verifyMetaSignature } from '../../../src/sources/meta/verify-signature';

const SECRET = 'app-secret';
// Meta escapes non-ASCII in what it signs; the raw bytes received are what must be hashed.
const body = Buffer.from('{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"leadgen","value":{"leadgen_id":"9223372036854775807","note":"\\u00e4\\u00f6\\u00e5"}}]}]}');
const header = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

describe('verifyMetaSignature (X-Hub-Signature-256)', () => {
  it('accepts the HMAC-SHA256 of the raw body with the app secret', () => {
    expect(verifyMetaSignature(body, header, SECRET)).toBe('ok');
    expect(signMetaBody(body, SECRET)).toBe(header);
  });

  it('accepts upper-case hex', () => {
    expect(verifyMetaSignature(body, `sha256=${header.slice(7).toUpperCase()}`, SECRET)).toBe('ok');
  });

  it('reports a missing or empty header as missing', () => {
    expect(verifyMetaSignature(body, undefined, SECRET)).toBe('missing');
    expect(verifyMetaSignature(body, '  ', SECRET)).toBe('missing');
  });

  it('refuses a body altered after signing', () => {
    const altered = Buffer.from(body.toString().replace('9223372036854775807', '9223372036854775808'));
    expect(verifyMetaSignature(altered, header, SECRET)).toBe('invalid');
  });

  it('refuses a body re-serialised from parsed JSON (unicode unescaped)', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
    expect(verifyMetaSignature(reserialised, header, SECRET)).toBe('invalid');
  });

  it('refuses another secret, the legacy sha1 header, truncated or garbage values, without throwing', () => {
    expect(verifyMetaSignature(body, header, 'other-secret')).toBe('invalid');
    expect(verifyMetaSignature(body, `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`, SECRET)).toBe('invalid');
    expect(verifyMetaSignature(body, header.slice(0, -2), SECRET)).toBe('invalid');
    expect(verifyMetaSignature(body, header.slice(7), SECRET)).toBe('invalid');
    expect(verifyMetaSignature(body, 'sha256=zz', SECRET)).toBe('invalid');
  });

  it('never verifies with an empty app secret (fail closed)', () => {
    const emptyKeyed = `sha256=${createHmac('sha256', '').update(body).digest('hex')}`;
    expect(verifyMetaSignature(body, emptyKeyed, '')).toBe('invalid');
  });
});
