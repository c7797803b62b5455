import type { BitrixFieldValue, ExtraField, Lead, LeadSourceKind, Touches, Utm } from '../lead/lead';
import { exactIsoMs } from '../shared/iso-time';

/**
 * A lead as its delivery job carries it (payload v3): the same lead, ~20% fewer bytes. While a lead
 * waits, its job is most of what Redis holds for it, and BullMQ keeps the job's JSON as one string
 * (in jemalloc's size classes: 896 bytes take 1,024, 768 take 768), so every byte left out counts:
 * short keys, the multifield type `WORK` left out (a bare string), the receipt time as epoch ms,
 * empty UTM, click ids and extras, and the default tracking field (COMMENTS) left out.
 */
export interface PackedLead {
  /** id */
  i: string;
  /** source: kind, name and, when it has one, the platform's own id */
  s: [LeadSourceKind, string] | [LeadSourceKind, string, string];
  /** destination */
  d: string;
  /** receivedAt: epoch ms, or the string itself when it is not the ISO form Date writes */
  r: number | string;
  /** fields: a multifield entry of type WORK as its value alone */
  f: Record<string, PackedFieldValue>;
  u?: Utm;
  t?: PackedTracking;
  x?: ExtraField[];
  /** trackingField when not COMMENTS */
  tf?: string;
  test?: boolean;
}

type PackedFieldValue = string | number | Array<string | { VALUE: string; VALUE_TYPE: string }>;

interface PackedTracking {
  c?: Record<string, string>;
  p?: string;
  f?: string;
  o?: Touches;
  n?: string;
}

const DEFAULT_TYPE = 'WORK';
const DEFAULT_TRACKING_FIELD = 'COMMENTS';

function packField(value: BitrixFieldValue): PackedFieldValue {
  if (!Array.isArray(value)) return value;
  return value.map((entry) => (entry.VALUE_TYPE === DEFAULT_TYPE && typeof entry.VALUE === 'string' && Object.keys(entry).length === 2 ? entry.VALUE : entry));
}

function unpackField(value: PackedFieldValue): BitrixFieldValue {
  if (!Array.isArray(value)) return value;
  return value.map((entry) => (typeof entry === 'string' ? { VALUE: entry, VALUE_TYPE: DEFAULT_TYPE } : entry));
}

function isEmpty(object: object | undefined): boolean {
  if (object === undefined) return true;
  for (const key in object) if (Object.hasOwn(object, key)) return false;
  return true;
}

/** Receipt time as epoch ms when it is the ISO form Date writes (it always is for leads taken here). */
function packReceived(receivedAt: string): number | string {
  return exactIsoMs(receivedAt) ?? receivedAt;
}

function packFields(lead: Lead): Record<string, PackedFieldValue> {
  const fields: Record<string, PackedFieldValue> = {};
  for (const code in lead.fields) if (Object.hasOwn(lead.fields, code)) fields[code] = packField(lead.fields[code]!);
  return fields;
}

/**
 * The properties after the UTM (tracking, extras, tracking field, test), onto `packed`. Assigned one
 * by one, in the order the JSON has always had them: conditional spreads cost an object each, on
 * every lead the intake takes.
 */
function packTail(lead: Lead, packed: Pick<PackedLead, 't' | 'x' | 'tf' | 'test'>): void {
  const { clickIds, pageUrl, referrer, touches, consent } = lead.tracking;
  const tracking: PackedTracking = {};
  if (!isEmpty(clickIds)) tracking.c = clickIds;
  if (pageUrl !== undefined) tracking.p = pageUrl;
  if (referrer !== undefined) tracking.f = referrer;
  if (touches !== undefined) tracking.o = touches;
  if (consent !== undefined) tracking.n = consent;
  if (!isEmpty(tracking)) packed.t = tracking;
  if (lead.extras.length > 0) packed.x = lead.extras;
  if (lead.trackingField !== DEFAULT_TRACKING_FIELD) packed.tf = lead.trackingField;
  if (lead.test !== undefined) packed.test = lead.test;
}

function packSource(lead: Lead): PackedLead['s'] {
  return lead.source.externalId !== undefined ? [lead.source.kind, lead.source.name, lead.source.externalId] : [lead.source.kind, lead.source.name];
}

export function packLead(lead: Lead): PackedLead {
  const packed: PackedLead = { i: lead.id, s: packSource(lead), d: lead.destination, r: packReceived(lead.receivedAt), f: packFields(lead) };
  if (!isEmpty(lead.utm)) packed.u = lead.utm;
  packTail(lead, packed);
  return packed;
}

export function unpackLead(packed: PackedLead): Lead {
  const [kind, name, externalId] = packed.s;
  const fields: Lead['fields'] = {};
  for (const [code, value] of Object.entries(packed.f)) fields[code] = unpackField(value);
  const t = packed.t ?? {};
  return {
    id: packed.i,
    source: { kind, name, ...(packed.s.length > 2 ? { externalId: externalId! } : {}) },
    destination: packed.d,
    receivedAt: typeof packed.r === 'number' ? new Date(packed.r).toISOString() : packed.r,
    fields,
    utm: packed.u ?? {},
    tracking: {
      clickIds: t.c ?? {},
      ...(t.p !== undefined ? { pageUrl: t.p } : {}),
      ...(t.f !== undefined ? { referrer: t.f } : {}),
      ...(t.o !== undefined ? { touches: t.o } : {}),
      ...(t.n !== undefined ? { consent: t.n } : {}),
    },
    extras: packed.x ?? [],
    trackingField: packed.tf ?? DEFAULT_TRACKING_FIELD,
    ...(packed.test !== undefined ? { test: packed.test } : {}),
  };
}

/**
 * Payload v4's lead: v3's less what the job itself says or a letter can. The lead id is left out (it is
 * the job's id, `readDeliverLeadJob` is given it) and the UTM keys are letters (`s`, `m`, `c`, `n`,
 * `t`): the bench lead's JSON 688 -> 628 characters, which jemalloc keeps in 640 bytes instead of 768.
 */
export type PackedLeadV4 = Omit<PackedLead, 'i' | 'u'> & { u?: Record<string, string> };

const UTM_LETTERS: Record<string, string> = { source: 's', medium: 'm', campaign: 'c', content: 'n', term: 't' };
const UTM_NAMES = Object.fromEntries(Object.entries(UTM_LETTERS).map(([k, v]) => [v, k]));

/** The lead as payload v4 carries it, or undefined when a UTM key of its own would read as a letter (then v3). */
export function packLeadV4(lead: Lead): PackedLeadV4 | undefined {
  let letters: Record<string, string> | undefined;
  const utm = lead.utm as Record<string, string>;
  for (const key in utm) {
    if (!Object.hasOwn(utm, key)) continue;
    if (UTM_NAMES[key] !== undefined) return undefined;
    letters ??= {};
    letters[UTM_LETTERS[key] ?? key] = utm[key]!;
  }
  // v3's order less the id, the UTM last (where v4 has always had it).
  const packed: PackedLeadV4 = { s: packSource(lead), d: lead.destination, r: packReceived(lead.receivedAt), f: packFields(lead) };
  packTail(lead, packed);
  if (letters !== undefined) packed.u = letters;
  return packed;
}

export function unpackLeadV4(packed: PackedLeadV4, id: string): Lead {
  const utm: Record<string, string> = {};
  for (const [key, value] of Object.entries(packed.u ?? {})) utm[UTM_NAMES[key] ?? key] = value;
  return unpackLead({ ...packed, i: id, ...(packed.u !== undefined ? { u: utm as Utm } : {}) });
}
