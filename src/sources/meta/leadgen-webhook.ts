import Ajv from 'ajv';
import schema from '../../../schemas/meta-webhook.schema.json';
import type { FieldError } from '../../lead/field-errors';
import type { LeadgenNotification } from '../../lead/leadgen-notification';
import { idString, parseJsonExact } from '../shared/exact-json';
import { schemaProblems } from '../shared/schema-problems';

/** One lead announced by a webhook: enough to fetch it from the Graph API and to deduplicate it. */
/** The body is signed by Meta but not what we expect: answer 400 and log the problems. */
export class MetaWebhookError extends Error {
  constructor(readonly problems: FieldError[]) {
    super(`malformed Meta webhook: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'MetaWebhookError';
  }
}

interface LeadgenValue {
  leadgen_id: string | number;
  page_id?: string | number;
  form_id?: string | number;
  adgroup_id?: string | number;
  ad_id?: string | number;
  created_time?: number | string;
}
interface WebhookBody {
  object: string;
  entry: Array<{ id: string | number; changes: Array<{ field: string; value: LeadgenValue }> }>;
}

// allErrors is affordable: this runs only after the signature has been verified.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateWebhook = ajv.compile<WebhookBody>(schema);

function unixSeconds(value: number | string | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^[0-9]{1,12}$/.test(value)) return Number(value);
  return undefined;
}

function toNotification(value: LeadgenValue, entryPageId: string): LeadgenNotification {
  // The schema has checked every id's shape, so idString only normalises numbers to strings here.
  const note: LeadgenNotification = {
    leadgenId: idString(value.leadgen_id) ?? '',
    pageId: idString(value.page_id) ?? entryPageId,
  };
  const formId = idString(value.form_id);
  const adId = idString(value.ad_id);
  const adgroupId = idString(value.adgroup_id);
  const createdTime = unixSeconds(value.created_time);
  if (formId) note.formId = formId;
  if (adId) note.adId = adId;
  if (adgroupId) note.adgroupId = adgroupId;
  if (createdTime !== undefined) note.createdTime = createdTime;
  return note;
}

/**
 * Every `leadgen` change of a (signature-verified) webhook body, in order; other fields are skipped,
 * and a body for another object than `page` yields nothing, so it is acknowledged rather than retried.
 * Ids survive beyond 2^53 even when sent as numbers. Throws MetaWebhookError listing every problem.
 */
export function parseLeadgenWebhook(rawBody: Buffer | string): LeadgenNotification[] {
  let body: unknown;
  try {
    body = parseJsonExact(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch {
    throw new MetaWebhookError([{ field: '/', message: 'is not valid JSON' }]);
  }
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const object = (body as { object?: unknown }).object;
    if (typeof object === 'string' && object !== 'page') return [];
  }
  if (!validateWebhook(body)) throw new MetaWebhookError(schemaProblems(validateWebhook.errors));

  const notifications: LeadgenNotification[] = [];
  for (const entry of body.entry) {
    const entryPageId = idString(entry.id) ?? '';
    for (const change of entry.changes) {
      if (change.field === 'leadgen') notifications.push(toNotification(change.value, entryPageId));
    }
  }
  return notifications;
}
