/**
 * CRestUtil::getRequestData: query string and body merged with array_replace($query, $body);
 * JSON bodies that fail to parse count as empty, anything non-JSON goes through parse_str.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { newPhpArray, parsePhpPairs, parsePhpQuery, type PhpArray } from './php-query';

/** Far above any real REST payload; only guards the process against runaway clients. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new Error('request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
    // An aborted upload emits neither 'end' nor always 'error'; without this the handler would hang.
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

export async function parseRestParams(req: IncomingMessage, body: Buffer, rawQuery: string): Promise<PhpArray> {
  const query = rawQuery === '' ? newPhpArray() : parsePhpQuery(rawQuery);
  const fromBody = await parseBody(req, body);
  return Object.assign(newPhpArray(), query, fromBody);
}

async function parseBody(req: IncomingMessage, body: Buffer): Promise<PhpArray> {
  if (body.length === 0) return newPhpArray();
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/json')) return parseJsonBody(body);
  if (contentType.startsWith('multipart/form-data')) return parseMultipart(req, body);
  return parsePhpQuery(body.toString('utf8'));
}

function parseJsonBody(body: Buffer): PhpArray {
  let decoded: unknown;
  try {
    decoded = JSON.parse(body.toString('utf8'));
  } catch {
    return newPhpArray();
  }
  if (typeof decoded !== 'object' || decoded === null) return newPhpArray();
  return Object.assign(newPhpArray(), decoded);
}

/** One part per bracket name (`fields[PHONE][0][VALUE]`); file parts are ignored. */
function parseMultipart(req: IncomingMessage, body: Buffer): Promise<PhpArray> {
  return new Promise((resolve) => {
    const pairs: Array<[string, string]> = [];
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fieldNameSize: 4096, fieldSize: MAX_BODY_BYTES } });
    } catch {
      resolve(newPhpArray());
      return;
    }
    parser.on('field', (name, value) => pairs.push([name, value]));
    parser.on('file', (_name, stream) => stream.resume());
    parser.on('close', () => resolve(parsePhpPairs(pairs)));
    parser.on('error', () => resolve(parsePhpPairs(pairs)));
    parser.end(body);
  });
}
