import busboy from 'busboy';
import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from './http-error';

/** Bytes from "64kb"-style limits, as body-parser reads them. */
export function parseByteLimit(limit: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(limit);
  if (!match) return 65536;
  const unit = { b: 1, kb: 1024, mb: 1024 * 1024 }[match[2]!.toLowerCase() as 'b' | 'kb' | 'mb'];
  return Number(match[1]) * unit;
}

function multipart(limit: string): RequestHandler {
  const maxBytes = parseByteLimit(limit);
  return (req, _res, next) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fieldSize: maxBytes, fields: 100, files: 0, parts: 101 } });
    } catch {
      next(new HttpError(400, 'malformed_body', 'multipart body without a valid boundary'));
      return;
    }
    const fields: Record<string, string> = {};
    let total = 0;
    let failure: HttpError | undefined;
    const fail = (error: HttpError): void => {
      if (!failure) failure = error;
    };
    parser.on('field', (name, value, info) => {
      total += name.length + value.length;
      if (info.valueTruncated || total > maxBytes) fail(new HttpError(413, 'payload_too_large', `body exceeds ${limit}`));
      else fields[name] = name in fields ? `${fields[name]}, ${value}` : value;
    });
    parser.on('file', (name, stream) => {
      fail(new HttpError(400, 'file_upload_not_supported', `field "${name}" is a file; leadgate accepts form fields only`));
      stream.resume();
    });
    parser.on('filesLimit', () => fail(new HttpError(400, 'file_upload_not_supported', 'file uploads are not accepted; send form fields only')));
    parser.on('fieldsLimit', () => fail(new HttpError(413, 'payload_too_large', 'too many fields')));
    parser.on('error', () => fail(new HttpError(400, 'malformed_body', 'the multipart body cannot be parsed')));
    parser.on('close', () => {
      if (failure) next(failure);
      else {
        req.body = fields;
        next();
      }
    });
    req.pipe(parser);
  };
}

/**
 * Parses every encoding a landing page uses: HTML form posts (urlencoded, multipart), fetch/XHR JSON,
 * and navigator.sendBeacon, which can only send text/plain. Anything else is a 415.
 */
export function readFormBody(limit: string): RequestHandler {
  const json = express.json({ limit, strict: true, type: () => true });
  const urlencoded = express.urlencoded({ limit, extended: false, parameterLimit: 100, type: () => true });
  const text = express.text({ limit, type: () => true });
  const multi = multipart(limit);

  return (req: Request, res, next) => {
    if (req.is('application/json') || req.is('application/*+json')) return json(req, res, next);
    if (req.is('application/x-www-form-urlencoded')) return urlencoded(req, res, next);
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
