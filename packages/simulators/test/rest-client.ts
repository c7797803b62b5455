/** Tiny fetch wrappers so the specs read as HTTP exchanges with a portal. */

import type { TimeInfo as TimeBlock } from '../src/bitrix24/time-info';

export interface RestBody<R = unknown> {
  result?: R;
  next?: number;
  total?: number;
  time?: TimeBlock;
  error?: string;
  error_description?: string;
}

export interface BatchResult {
  result: Record<string, unknown> | unknown[];
  result_error: Record<string, { error: string; error_description: string }> | unknown[];
  result_total: Record<string, number> | unknown[];
  result_next: Record<string, number> | unknown[];
  result_time: Record<string, TimeBlock> | unknown[];
}

export interface RestResponse<R = unknown> {
  status: number;
  contentType: string | null;
  body: RestBody<R>;
}

async function toResponse<R>(res: Response): Promise<RestResponse<R>> {
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), body: JSON.parse(text) as RestBody<R> };
}

/** POST with a JSON body, the way leadgate calls Bitrix24. */
export async function callJson<R = unknown>(webhookUrl: string, method: string, params: unknown = {}): Promise<RestResponse<R>> {
  const res = await fetch(webhookUrl + method, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(params),
  });
  return toResponse<R>(res);
}

/** POST with a PHP-bracket form body (`fields[PHONE][0][VALUE]=…`). */
export async function callForm<R = unknown>(webhookUrl: string, method: string, form: string): Promise<RestResponse<R>> {
  const res = await fetch(webhookUrl + method, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  return toResponse<R>(res);
}

export async function callGet<R = unknown>(url: string): Promise<RestResponse<R>> {
  return toResponse<R>(await fetch(url));
}

export const lead = (fields: Record<string, unknown>) => ({ fields });
