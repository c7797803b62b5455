import type { Request, Response } from 'express';
import type { FormConfig } from '../config/config';

export function isOriginAllowed(form: FormConfig, origin: string | undefined): boolean {
  const allowed = form.allowedOrigins;
  if (!origin || !allowed || allowed.length === 0 || allowed.includes('*')) return true;
  return allowed.includes(origin);
}

/**
 * Per-form CORS. Only an allowed Origin is echoed back; `Vary: Origin` keeps caches from handing one
 * site's answer to another.
 */
export function applyFormCors(req: Request, res: Response, form: FormConfig): void {
  const origin = req.headers.origin;
  res.vary('Origin');
  if (!origin || !isOriginAllowed(form, origin)) return;
  const any = !form.allowedOrigins || form.allowedOrigins.length === 0 || form.allowedOrigins.includes('*');
  res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? 'content-type');
    res.setHeader('Access-Control-Max-Age', '600');
  }
}
