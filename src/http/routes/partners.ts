import express, { Router, type Request, type Response } from 'express';
import type { RedisClient } from '../../shared/redis-client';
import type { Lead } from '../../lead/lead';
import { deriveLeadId, isLeadId, newLeadId, partnerRefLeadId } from '../../lead/lead-id';
import type { IdempotencyStore, IdentityBinding } from '../../queue/idempotency-store';
import type { LeadLedger, LeadRecord } from '../../queue/lead-ledger';
import type { FieldError } from '../../lead/field-errors';
import { PartnerKeyStore } from '../../queue/partner-keys';
import { bearerToken, findPartnerByKey, hashPartnerKey } from '../../sources/partner/partner-auth';
import { partnerLeadToLead } from '../../sources/partner/partner-lead';
import { validatePartnerLead } from '../../sources/partner/validate-partner-lead';
import type { PartnerConfig } from '../../config/sources-config';
import { HttpError, validationFailed } from '../http-error';
import { bindIdentities, idempotencyKey, keyReused, requestFingerprint } from '../idempotency';
import { jsonDepthWithin } from '../../shared/json-depth';
import { bodyTooDeep } from '../json-depth';
import type { Accepted, Intake } from '../intake';
import { partnerRateLimit } from '../partner-rate-limit';

export const PARTNER_LEADS_PATH = '/v1/partners/leads';
export const PARTNER_BATCH_PATH = '/v1/partners/leads/batch';
export const PARTNER_LEAD_PATH = '/v1/partners/leads/:id';

export const MAX_BATCH = 100;
/** A hung Redis must not hold a partner's request: the config's keys are answered without it. */
const PARTNER_KEY_LOOKUP_MS = 1000;

function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('Redis did not answer in time')), ms)))]).finally(() => clearTimeout(timer));
}
/** 100 leads of the largest size the schema allows would need ~3 MB; real batches are far smaller. */
export const PARTNER_BATCH_BODY_LIMIT = '2mb';

export interface PartnersDeps {
  partners: Readonly<Record<string, PartnerConfig>>;
  bodyLimit: string;
  redis: RedisClient;
  prefix: string;
  intake: Intake;
  ledger: Pick<LeadLedger, 'get'>;
  idempotency: Pick<IdempotencyStore, 'bind'>;
}

export type BatchItemResult =
  | { index: number; id: string; status: Accepted; external_ref?: string }
  | { index: number; error: 'validation_failed' | 'external_ref_reused'; details: FieldError[] };

/**
 * A lead's id comes from its identity: the partner's external_ref, else the Idempotency-Key (with the
 * item's index in a batch); so a lead stored after its request answered 503 and then resent is the
 * same job. Without either, every request is a new lead.
 */
type IdOf = (externalRef: string | undefined) => string;

function idFrom(name: string, key: string | undefined, index?: number): IdOf {
  return (externalRef) => {
    // The prefixes keep the kinds of identity apart: a key can never pass for an external_ref.
    if (externalRef) return partnerRefLeadId(name, externalRef);
    if (key === undefined) return newLeadId();
    return deriveLeadId({ kind: 'partner', scope: name, id: index === undefined ? `key:${key}` : `batch:${index}:${key}` });
  };
}

/** One partner lead, checked and mapped; or every problem with it. */
function toLead(body: unknown, name: string, partner: PartnerConfig, idOf: IdOf): { ok: true; lead: Lead } | { ok: false; errors: FieldError[] } {
  const checked = validatePartnerLead(body);
  if (!checked.ok) return { ok: false, errors: checked.errors };
  const mapped = partnerLeadToLead(checked.value, name, partner, { id: idOf(checked.value.external_ref), receivedAt: new Date().toISOString() });
  return mapped.ok ? { ok: true, lead: mapped.value } : { ok: false, errors: mapped.errors };
}

/** An external_ref stands for the content first sent with it (24 hours), like an Idempotency-Key. */
function refBinding(name: string, lead: Lead, item: unknown): IdentityBinding[] {
  const ref = lead.source.externalId;
  return ref ? [{ scope: `partner:${name}:ref`, key: ref, fingerprint: requestFingerprint('partner lead', item), leadIds: [lead.id] }] : [];
}

const refReused = (): FieldError => ({ field: '/external_ref', message: 'was sent earlier with other content; send changes under a new external_ref' });

function accepted(lead: Lead, status: Accepted = 'queued'): { id: string; status: Accepted; external_ref?: string } {
  return { id: lead.id, status, ...(lead.source.externalId ? { external_ref: lead.source.externalId } : {}) };
}

/** The partner's view of a lead's status (snake_case, like the request schema). */
function statusAnswer(record: LeadRecord): Record<string, unknown> {
  return {
    id: record.id,
    status: record.status,
    ...(record.externalId ? { external_ref: record.externalId } : {}),
    ...(record.bitrixLeadId !== undefined ? { bitrix_lead_id: record.bitrixLeadId } : {}),
    // What a converting portal made of the lead: the deal and contact the sales team works on.
    ...(record.crm?.dealId !== undefined ? { bitrix_deal_id: record.crm.dealId } : {}),
    ...(record.crm?.contactId !== undefined ? { bitrix_contact_id: record.crm.contactId } : {}),
    ...(record.crm?.companyId !== undefined ? { bitrix_company_id: record.crm.companyId } : {}),
    received_at: record.receivedAt,
    updated_at: record.updatedAt,
  };
}

function batchItems(body: unknown): unknown[] {
  const problems: FieldError[] = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw validationFailed([{ field: '/', message: 'must be an object {"leads": [...]}' }]);
  for (const key of Object.keys(body)) if (key !== 'leads') problems.push({ field: `/${key}`, message: 'is not a known property' });
  const leads = (body as { leads?: unknown }).leads;
  if (!Array.isArray(leads)) problems.push({ field: '/leads', message: 'must be an array of leads' });
  else if (leads.length === 0) problems.push({ field: '/leads', message: 'must have at least 1 lead' });
  else if (leads.length > MAX_BATCH) problems.push({ field: '/leads', message: `must have at most ${MAX_BATCH} leads` });
  if (problems.length > 0) throw validationFailed(problems);
  return leads as unknown[];
}

/**
 * The partner API: Bearer key (stored as SHA-256), a per-partner rate limit, JSON bodies validated
 * against schemas/partner-lead.schema.json with every problem listed, Idempotency-Key on POSTs, and
 * a status lookup that shows a partner its own leads only.
 */
export function partnersRouter(deps: PartnersDeps): Router {
  const router = Router();
  const { partners, intake } = deps;
  const consoleKeys = new PartnerKeyStore(deps.redis, deps.prefix);

  /**
   * The partner a key belongs to: a config key not revoked in the console, or a key created there for
   * a partner config still has. One Redis round trip; with Redis away, config keys still work (the
   * spool takes their leads) while console keys and revocations wait for Redis.
   */
  async function partnerOf(key: string | undefined): Promise<string | undefined> {
    if (!key) return undefined;
    const fromConfig = findPartnerByKey(key, partners);
    let found: Awaited<ReturnType<PartnerKeyStore['lookup']>>;
    try {
      found = await withinMs(consoleKeys.lookup(hashPartnerKey(key)), PARTNER_KEY_LOOKUP_MS);
    } catch (err) {
      intake.logger.warn({ err: (err as Error).message }, 'cannot read console partner keys (Redis unavailable); honouring config keys only');
      return fromConfig;
    }
    if (fromConfig) return found.revoked ? undefined : fromConfig;
    const owner = found.stored?.partner;
    return owner !== undefined && Object.hasOwn(partners, owner) ? owner : undefined;
  }

  router.use(
    '/v1/partners',
    async (req, res, next) => {
      res.locals.source = 'partner';
      const name = await partnerOf(bearerToken(req.get('authorization')));
      if (!name) throw new HttpError(401, 'unauthorized', 'a valid partner API key is required (Authorization: Bearer <key>)', undefined, { 'WWW-Authenticate': 'Bearer realm="leadgate partners"' });
      res.locals.partner = name;
      next();
    },
    partnerRateLimit({ partners, redis: deps.redis, prefix: deps.prefix, logger: intake.logger }),
  );

  const json = (limit: string) => [
    (req: Request, _res: Response, next: () => void) => {
      if (!req.is(['application/json', 'application/*+json'])) throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
      next();
    },
    express.json({ limit, type: ['application/json', 'application/*+json'] }),
    (req: Request, _res: Response, next: () => void) => {
      if (!jsonDepthWithin(req.body)) throw bodyTooDeep();
      next();
    },
  ];

  router.post(PARTNER_LEADS_PATH, ...json(deps.bodyLimit), async (req, res) => {
    const name = res.locals.partner as string;
    const key = idempotencyKey(req.get('idempotency-key'));
    intake.metrics.received.inc({ source: 'partner' });
    const result = toLead(req.body, name, partners[name]!, idFrom(name, key));
    if (!result.ok) throw validationFailed(result.errors);
    const keyBinding = key === undefined ? [] : [{ scope: `partner:${name}`, key, fingerprint: requestFingerprint(`POST ${PARTNER_LEADS_PATH}`, req.body), leadIds: [result.lead.id] }];
    const bound = await bindIdentities(deps.idempotency, [...keyBinding, ...refBinding(name, result.lead, req.body)], intake);
    if (keyBinding.length > 0 && bound[0] === 'other') throw keyReused();
    if (bound.includes('other')) throw new HttpError(409, 'external_ref_reused', 'this external_ref was sent earlier with other content; send changes under a new external_ref', [refReused()]);
    if (bound.length > 0 && bound.every((b) => b === 'same')) res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json(accepted(result.lead, await intake.accept(result.lead)));
  });

  router.post(PARTNER_BATCH_PATH, ...json(PARTNER_BATCH_BODY_LIMIT), async (req, res) => {
    const name = res.locals.partner as string;
    const key = idempotencyKey(req.get('idempotency-key'));
    const items = batchItems(req.body);
    intake.metrics.received.inc({ source: 'partner' }, items.length);
    const valid: Array<{ index: number; lead: Lead }> = [];
    const results: BatchItemResult[] = items.map((item, index) => {
      const result = toLead(item, name, partners[name]!, idFrom(name, key, index));
      if (result.ok) {
        valid.push({ index, lead: result.lead });
        return { index, ...accepted(result.lead) };
      }
      intake.metrics.rejected.inc({ source: 'partner', reason: 'validation_failed' });
      return { index, error: 'validation_failed', details: result.errors };
    });

    const keyBinding = key === undefined ? [] : [{ scope: `partner:${name}`, key, fingerprint: requestFingerprint(`POST ${PARTNER_BATCH_PATH}`, req.body), leadIds: valid.map(({ lead }) => lead.id) }];
    const withRef = valid.filter(({ lead }) => lead.source.externalId);
    const bound = await bindIdentities(deps.idempotency, [...keyBinding, ...withRef.flatMap(({ index, lead }) => refBinding(name, lead, items[index]))], intake);
    if (keyBinding.length > 0 && bound[0] === 'other') throw keyReused();
    if (keyBinding.length > 0 && bound[0] === 'same') res.setHeader('Idempotent-Replayed', 'true');
    const refused = new Set(withRef.filter((_, i) => bound[keyBinding.length + i] === 'other').map(({ index }) => index));
    for (const index of refused) {
      intake.metrics.rejected.inc({ source: 'partner', reason: 'external_ref_reused' });
      results[index] = { index, error: 'external_ref_reused', details: [refReused()] };
    }
    // All valid items in one atomic write: a 503 means none was stored and the batch can be resent as is.
    const leads = valid.filter(({ index }) => !refused.has(index)).map(({ lead }) => lead);
    if ((await intake.acceptMany(leads)) === 'spooled') {
      for (const item of results) if ('status' in item) item.status = 'spooled';
    }
    res.status(leads.length === items.length ? 202 : 207).json({ results });
  });

  router.get(PARTNER_LEAD_PATH, async (req, res) => {
    const id = String(req.params.id);
    const record = isLeadId(id) ? await deps.ledger.get(id) : undefined;
    // Another partner's lead is indistinguishable from no lead at all.
    if (!record || record.source !== `partner:${res.locals.partner as string}`) {
      throw new HttpError(404, 'lead_not_found', 'no lead with this id was sent with your key (or its status has expired)');
    }
    res.json(statusAnswer(record));
  });

  return router;
}
