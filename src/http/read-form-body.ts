import busboy from 'busboy';
import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from './http-error';
import { isPlainJson, readPlainJson } from './plain-json-body';

/** Bytes from "64kb"-style limits, as body-parser reads them. */
export function parseByteLimit(limit: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(limit);
  if (!match) return 65536;
  const unit = { b: 1, kb: 1024, mb: 1024 * 1024 }[match[2]!.toLowerCase() as 'b' | 'kb' | 'mb'];
  return Number(match[1]) * unit;
}

const MAX_FIELDS = 100;

/**
 * Multipart form posts, read with busboy. Every way out (fields, a limit, a file, a parse error,
 * a handler that throws) settles the request exactly once and stops reading it, so no malformed
 * part can leave a request unanswered. Fields land in a null-prototype object: a visitor's field
 * named `__proto__` or `toString` is a field like any other.
 */
function multipart(limit: string): RequestHandler {
  const maxBytes = parseByteLimit(limit);
  return (req, _res, next) => {
    const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      next(new HttpError(415, 'unsupported_encoding', `content encoding "${encoding}" is not accepted on multipart bodies`));
      return;
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fieldSize: maxBytes, fields: MAX_FIELDS, files: MAX_FIELDS, parts: MAX_FIELDS + 1, headerPairs: 100 } });
    } catch {
      next(new HttpError(400, 'malformed_body', 'multipart body without a valid boundary'));
      return;
    }
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    let total = 0;
    let settled = false;
    let pendingFiles = 0;
    let parsed = false;

    const settle = (error?: HttpError): void => {
      if (settled) return;
      settled = true;
      if (error) {
        // Stop parsing and let the rest of the body drain; the request timeout bounds how long.
        req.unpipe(parser);
        req.resume();
        parser.removeAllListeners();
        parser.on('error', () => undefined);
        parser.destroy();
        next(error);
        return;
      }
      req.body = fields;
      next();
    };
    const guarded = <A extends unknown[]>(handler: (...args: A) => void) => (...args: A): void => {
      try {
        handler(...args);
      } catch {
        settle(new HttpError(400, 'malformed_body', 'the multipart body cannot be parsed'));
      }
    };
    const finishIfDone = (): void => {
      if (parsed && pendingFiles === 0) settle();
    };

    parser.on('field', guarded((name: string | undefined, value: string, info: busboy.FieldInfo) => {
      // A part without a name cannot come from a browser's form; it carries nothing to map.
      if (name === undefined) return;
      total += name.length + value.length;
      if (info.valueTruncated || info.nameTruncated || total > maxBytes) return settle(new HttpError(413, 'payload_too_large', `body exceeds ${limit}`));
      fields[name] = Object.hasOwn(fields, name) ? `${fields[name]}, ${value}` : value;
    }));
    parser.on('file', guarded((name: string | undefined, stream: NodeJS.ReadableStream & { truncated?: boolean }, info: busboy.FileInfo) => {
      // An untouched <input type="file"> is sent as an empty part without a filename: nothing was uploaded.
      pendingFiles += 1;
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on('error', () => settle(new HttpError(400, 'malformed_body', 'the multipart body cannot be parsed')));
      stream.on('end', () => {
        pendingFiles -= 1;
        if (bytes > 0 || (info.filename ?? '') !== '') {
          settle(new HttpError(400, 'file_upload_not_supported', `field "${name ?? ''}" is a file; leadgate accepts form fields only`));
        } else finishIfDone();
      });
    }));
    parser.on('partsLimit', () => settle(new HttpError(413, 'payload_too_large', 'too many fields')));
    parser.on('fieldsLimit', () => settle(new HttpError(413, 'payload_too_large', 'too many fields')));
    parser.on('filesLimit', () => settle(new HttpError(413, 'payload_too_large', 'too many fields')));
    parser.on('error', () => settle(new HttpError(400, 'malformed_body', 'the multipart body cannot be parsed')));
    parser.on('close', () => {
      parsed = true;
      finishIfDone();
    });
    req.on('error', () => settle(new HttpError(400, 'request_aborted', 'the request was aborted')));
    req.pipe(parser);
  };
}

/**
 * Urlencoded form posts, read as text (so limits, charsets and Content-Encoding work as for JSON)
 * and split with URLSearchParams into a null-prototype object: body-parser's `qs` drops a field
 * named `__proto__`, and a visitor's field is kept whatever its name. `a[b][c]` stays a flat name;
 * a repeated name becomes a list, as in JSON.
 */
function urlencoded(limit: string): RequestHandler {
  const text = express.text({ limit, type: () => true });
  return (req, res, next) => {
    text(req, res, (err?: unknown) => {
      if (err) return next(err);
      const fields = Object.create(null) as Record<string, string | string[]>;
      let count = 0;
      for (const [name, value] of new URLSearchParams(String(req.body ?? ''))) {
        count += 1;
        if (count > MAX_FIELDS) return next(new HttpError(413, 'payload_too_large', 'too many fields'));
        const existing = fields[name];
        if (existing === undefined) fields[name] = value;
        else if (Array.isArray(existing)) existing.push(value);
        else fields[name] = [existing, value];
      }
      req.body = fields;
      next();
    });
  };
}

/**
 * Parses every encoding a landing page uses: HTML form posts (urlencoded, multipart), fetch/XHR JSON,
 * and navigator.sendBeacon, which can only send text/plain. Anything else is a 415.
 */
export function readFormBody(limit: string): RequestHandler {
  const json = express.json({ limit, strict: true, type: () => true });
  const form = urlencoded(limit);
  const text = express.text({ limit, type: () => true });
  const multi = multipart(limit);
  const maxBytes = parseByteLimit(limit);

  return (req: Request, res, next) => {
    if (isPlainJson(req.headers, maxBytes)) {
      readPlainJson(req).then((body) => {
        req.body = body;
        next();
      }, next);
      return;
    }
    if (req.is('application/json') || req.is('application/*+json')) return json(req, res, next);
    if (req.is('application/x-www-form-urlencoded')) return form(req, res, next);
    if (req.is('multipart/form-data')) return multi(req, res, next);
    if (req.is('text/plain')) {
      return text(req, res, (err?: unknown) => {
        if (err) return next(err);
        try {
          req.body = JSON.parse(String(req.body ?? ''));
          next();
        } catch {
          next(new HttpError(400, 'malformed_json', 'text/plain bodies must hold JSON (as navigator.sendBeacon sends it)'));
        }
      });
    }
    next(new HttpError(415, 'unsupported_media_type', `content type "${req.headers['content-type'] ?? 'none'}" is not accepted; use urlencoded, multipart, JSON or text/plain JSON`));
  };
}
