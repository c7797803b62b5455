import { createHmac } from 'node:crypto';
import { safeEqual } from '../../shared/safe-equal';
import type { LinkedInNotification } from '../../lead/linkedin-notification';
import { parseJsonExact } from '../shared/exact-json';

export type { LinkedInNotification } from '../../lead/linkedin-notification';

/** LinkedIn sends a UUID; anything else is not echoed back. */
const CHALLENGE = /^[A-Za-z0-9-]{1,128}$/;

/**
 * The validation answer (learn.microsoft.com, "Webhook validation"): `{challengeCode,
 * challengeResponse}` where the response is the hex HMAC-SHA256 of the code keyed with the client
 * secret. Undefined for a code that is missing or malformed.
 */
export function answerLinkedInChallenge(code: unknown, clientSecret: string): { challengeCode: string; challengeResponse: string } | undefined {
  if (typeof code !== 'string' || !CHALLENGE.test(code) || !clientSecret) return undefined;
  return { challengeCode: code, challengeResponse: createHmac('sha256', clientSecret).update(code).digest('hex') };
}

export type LinkedInSignatureCheck = 'ok' | 'missing' | 'invalid';

/**
 * `X-LI-Signature`: hex HMAC-SHA256, keyed with the client secret, of `"hmacsha256=" + raw body`.
 * The received bytes, never re-serialised JSON. Never throws; an empty secret never verifies.
 */
export function verifyLinkedInSignature(rawBody: Buffer, header: string | undefined, clientSecret: string): LinkedInSignatureCheck {
  const presented = header?.trim();
  if (!presented) return 'missing';
  if (!/^[0-9a-f]{64}$/i.test(presented) || !clientSecret) return 'invalid';
  return safeEqual(Buffer.from(presented, 'hex'), linkedInDigest(rawBody, clientSecret)) ? 'ok' : 'invalid';
}

function linkedInDigest(rawBody: Buffer | string, clientSecret: string): Buffer {
  return createHmac('sha256', clientSecret).update(Buffer.concat([Buffer.from('hmacsha256='), Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody)])).digest();
}

/** The header LinkedIn would send for this body (simulator and tests). */
export function signLinkedInBody(rawBody: Buffer | string, clientSecret: string): string {
  return linkedInDigest(rawBody, clientSecret).toString('hex');
}

/** The body is signed but not a lead notification: answered 400. */
export class LinkedInNotificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkedInNotificationError';
  }
}

const RESPONSE_URN = /^urn:li:leadGenFormResponse:([A-Za-z0-9_-]{1,128})$/;
const FORM_URN = /^urn:li:versionedLeadGenForm:\(urn:li:leadGenForm:([0-9]{1,32}),\s*[0-9]{1,10}\)$/;
const URN = /^urn:li:[A-Za-z]+:[A-Za-z0-9_:(),-]{1,256}$/;

const own = (record: Record<string, unknown>, key: string): unknown => (Object.hasOwn(record, key) ? record[key] : undefined);
const firstUrn = (value: unknown): string | undefined => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const urn = Object.values(value).find((v) => typeof v === 'string');
  return typeof urn === 'string' && URN.test(urn) ? urn : undefined;
};

/**
 * Reads a (signature-verified) notification body: `{type: "LEAD_ACTION", leadGenFormResponse,
 * leadGenForm, owner, associatedEntity, leadType, leadAction, occurredAt}` (Lead Sync docs).
 * Another `type` yields undefined (acknowledged, not retried). Throws LinkedInNotificationError.
 */
export function parseLinkedInNotification(rawBody: Buffer): LinkedInNotification | undefined {
  let body: unknown;
  try {
    body = parseJsonExact(rawBody.toString('utf8'));
  } catch {
    throw new LinkedInNotificationError('the body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new LinkedInNotificationError('the body must be a JSON object');
  const record = body as Record<string, unknown>;
  const type = own(record, 'type');
  if (type !== undefined && type !== 'LEAD_ACTION') return undefined;
  const response = own(record, 'leadGenFormResponse');
  const responseId = typeof response === 'string' ? RESPONSE_URN.exec(response)?.[1] : undefined;
  if (!responseId) throw new LinkedInNotificationError('leadGenFormResponse must be a urn:li:leadGenFormResponse URN');
  const action = own(record, 'leadAction') ?? 'CREATED';
  if (action !== 'CREATED' && action !== 'DELETED') throw new LinkedInNotificationError('leadAction must be CREATED or DELETED');
  const notification: LinkedInNotification = { responseId, action };
  const form = own(record, 'leadGenForm');
  if (typeof form === 'string' && form.length <= 256) {
    notification.formUrn = form;
    const formId = FORM_URN.exec(form)?.[1] ?? /^urn:li:leadGenForm:([0-9]{1,32})$/.exec(form)?.[1];
    if (formId) notification.formId = formId;
  }
  const owner = firstUrn(own(record, 'owner'));
  if (owner) notification.ownerUrn = owner;
  const creative = firstUrn(own(record, 'associatedEntity'));
  if (creative) notification.creativeUrn = creative;
  const leadType = own(record, 'leadType');
  if (typeof leadType === 'string' && /^[A-Z_]{1,40}$/.test(leadType)) notification.leadType = leadType;
  const occurredAt = own(record, 'occurredAt');
  if (typeof occurredAt === 'number' && Number.isSafeInteger(occurredAt)) notification.occurredAt = occurredAt;
  return notification;
}
