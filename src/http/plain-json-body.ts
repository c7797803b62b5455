import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

const PLAIN_JSON_TYPES = new Set(['application/json', 'application/json;charset=utf-8']);
const FIRST_NON_WHITESPACE = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d]|$)/;

/**
 * A body as every fetch() landing page and the snippet send it: JSON in UTF-8, not compressed, its
 * length announced and within `limitBytes`. Such a body is read here, in a few lines; anything else
 * (another charset, gzip, chunked, too long) goes to body-parser, whose answers these match.
 */
export function isPlainJson(headers: IncomingHttpHeaders, limitBytes: number): boolean {
  const type = headers['content-type'];
  if (type === undefined || !PLAIN_JSON_TYPES.has(type.toLowerCase().replace(/ /g, ''))) return false;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  if (headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  return length !== undefined && /^\d{1,9}$/.test(length) && Number(length) <= limitBytes;
}

/**
 * Reads and parses a body `isPlainJson` admitted, as express.json({ strict: true }) would: an empty
 * body is `{}`, a byte-order mark is dropped, the top level must be an object or an array, and bytes
 * that are not UTF-8 become U+FFFD. Errors are the HttpErrors the error handler makes of body-parser's.
 */
export function readPlainJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      try {
        resolve(parseStrictJson(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    });
    const aborted = (): void => reject(new HttpError(400, 'request_aborted', 'the request was aborted'));
    req.once('error', aborted);
    req.once('close', () => {
      if (!req.complete) aborted();
    });
  });
}

function parseStrictJson(decoded: string): unknown {
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  if (text.length === 0) return {};
  if (text[0] !== '{' && text[0] !== '[') {
    const first = FIRST_NON_WHITESPACE.exec(text)?.[1];
    if (first !== '{' && first !== '[') throw malformedJson();
  }
  try {
    return JSON.parse(text);
  } catch {
    throw malformedJson();
  }
}

const malformedJson = (): HttpError => new HttpError(400, 'malformed_json', 'the body is not valid JSON');
