import type { CrmEntities } from './crm-entities';
import type { CrmFunnel } from './crm-funnel';
import type { LeadStore } from './lead-store';
import type { PortalSetup } from './portal-setup';
import type { PhpArray, PhpValue } from './php-query';

/** What a REST method produces; list methods add `next`/`total` (batch moves them to result_next/result_total). */
export interface MethodOutcome {
  result: unknown;
  next?: number;
  total?: number;
}

export interface MethodContext {
  store: LeadStore;
  /** Contacts, companies, deals, timeline comments and the CRM mode. */
  crm: CrmEntities;
  /** Stage history and outgoing events. */
  funnel: CrmFunnel;
  /** Required fields, list fields, users. */
  portal: PortalSetup;
  userId: number;
  nowMs: number;
  /** Epoch ms from which what this call stores becomes visible (a slow commit); 0 = at once. */
  visibleFrom: number;
}

/** Throws RestError for method-level failures. */
export type MethodHandler = (params: PhpArray, ctx: MethodContext) => MethodOutcome;

/** CCrmRestProxyBase::resolveParam: `fields` and `FIELDS` are both accepted. */
export function readParam(params: PhpArray, name: string): PhpValue | undefined {
  if (Object.hasOwn(params, name)) return params[name];
  const upper = name.toUpperCase();
  return Object.hasOwn(params, upper) ? params[upper] : undefined;
}
