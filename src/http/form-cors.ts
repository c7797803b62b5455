import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FormConfig } from '../config/config';

export function isOriginAllowed(form: FormConfig, origin: string | undefined): boolean {
  const allowed = form.allowedOrigins;
  if (!origin || !allowed || allowed.length === 0 || allowed.includes('*')) return true;
  return allowed.includes(origin);
}

/** Adds Origin to Vary as express's `res.vary` would (kept once; `*` already covers it). */
function varyOnOrigin(res: ServerResponse): void {
  const prior = res.getHeader('Vary');
  const listed = prior === undefined ? '' : Array.isArray(prior) ? prior.join(', ') : String(prior);
  if (listed === '') {
    res.setHeader('Vary', 'Origin');
    return;
  }
  const names = listed.split(',').map((name) => name.trim().toLowerCase());
  if (names.includes('*') || names.includes('origin')) return;
  res.setHeader('Vary', `${listed}, Origin`);
}

/**
 * Per-form CORS. Only an allowed Origin is echoed back; `Vary: Origin` keeps caches from handing one
 * site's answer to another. On the bare Node request and response, so the front door shares it.
 */
export function applyFormCors(req: IncomingMessage, res: ServerResponse, form: FormConfig): void {
  const origin = req.headers.origin;
  varyOnOrigin(res);
  if (!origin || !isOriginAllowed(form, origin)) return;
  const any = !form.allowedOrigins || form.allowedOrigins.length === 0 || form.allowedOrigins.includes('*');
  res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? 'content-type');
    res.setHeader('Access-Control-Max-Age', '600');
  }
}
