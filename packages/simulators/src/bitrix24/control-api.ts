/**
 * `/_sim/` routes so an out-of-process simulator (CLI, benchmarks) can be inspected and driven.
 * They bypass the bucket, faults and call log: observing the portal must not change it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFault } from './fault-queue';
import { sendJson } from './http-reply';
import { readBody } from './request-params';
import type { Bitrix24Plan, Bitrix24Simulator, BucketLoad, BucketSettings, EventSubscription, HoldSettings, ListFieldItem, SimulatedUser } from './types';

export type ControlTarget = Omit<Bitrix24Simulator, 'close'> & {
  pendingFaults(): unknown[];
  bucketSettings(): BucketSettings;
  /** The installed OAuth app's client_id, if any. */
  oauthClientId(): string | undefined;
  scopes(): string[];
  hold(): HoldSettings;
  /** Required fields, list fields and users as set up. */
  portalSetup(): { requiredFields: string[]; listFields: Record<string, ListFieldItem[]>; users: unknown[] };
  userId: number;
};

export async function handleControl(
  sim: ControlTarget,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const route = path.replace(/\/+$/, '') || '/_sim';
  const verb = req.method ?? 'GET';
  const body = await readBody(req);
  const json = (): unknown => {
    if (body.length === 0) return undefined;
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new BadRequest('body must be JSON');
    }
  };
  try {
    const key = `${verb} ${route}`;
    switch (key) {
      case 'GET /_sim':
        return sendJson(res, 200, {
          url: sim.url,
          webhookUrl: sim.webhookUrl,
          userId: sim.userId,
          bucket: sim.bucketSettings(),
          clientEndpoint: sim.clientEndpoint,
          tokenUrl: sim.tokenUrl,
          oauth: sim.oauthClientId() === undefined ? null : { clientId: sim.oauthClientId() },
          scopes: sim.scopes(),
          hold: sim.hold(),
        });
      case 'GET /_sim/leads':
        return sendJson(res, 200, sim.leads());
      case 'GET /_sim/origins':
        return sendJson(res, 200, sim.origins());
      case 'GET /_sim/calls':
        return sendJson(res, 200, sim.calls());
      case 'GET /_sim/stats':
        return sendJson(res, 200, sim.stats());
      case 'GET /_sim/faults':
        return sendJson(res, 200, sim.pendingFaults());
      case 'POST /_sim/faults':
        sim.injectFault(parseFault(json()));
        return sendJson(res, 201, { ok: true });
      case 'POST /_sim/reset':
        sim.reset();
        return sendJson(res, 200, { ok: true });
      case 'POST /_sim/webhook-code': {
        const input = json();
        const code = typeof input === 'object' && input !== null ? (input as { code?: unknown }).code : undefined;
        if (typeof code !== 'string' || code === '') throw new BadRequest('body must be {"code": "<non-empty string>"}');
        sim.setWebhookCode(code);
        return sendJson(res, 200, { ok: true, webhookUrl: sim.webhookUrl });
      }
      case 'POST /_sim/oauth/tokens':
        return sendJson(res, 201, sim.issueOAuthTokens());
      case 'POST /_sim/oauth/expire':
        sim.expireAccessTokens();
        return sendJson(res, 200, { ok: true });
      case 'POST /_sim/oauth/revoke':
        sim.revokeRefreshTokens();
        return sendJson(res, 200, { ok: true });
      case 'POST /_sim/scopes': {
        const input = json();
        const scopes = typeof input === 'object' && input !== null ? (input as { scopes?: unknown }).scopes : undefined;
        if (!Array.isArray(scopes)) throw new BadRequest('body must be {"scopes": ["crm", …]}');
        sim.setScopes(scopes as string[]);
        return sendJson(res, 200, { ok: true, scopes: sim.scopes() });
      }
      case 'POST /_sim/crm-mode': {
        const input = json();
        const mode = typeof input === 'object' && input !== null ? (input as { mode?: unknown }).mode : undefined;
        if (mode !== 'classic' && mode !== 'simple') throw new BadRequest('body must be {"mode": "classic" | "simple"}');
        sim.setCrmMode(mode);
        return sendJson(res, 200, { ok: true, mode });
      }
      case 'GET /_sim/portal':
        return sendJson(res, 200, sim.portalSetup());
      case 'POST /_sim/lead-fields': {
        const input = json();
        const { required, lists } = (typeof input === 'object' && input !== null ? input : {}) as { required?: unknown; lists?: unknown };
        if (required === undefined && lists === undefined) throw new BadRequest('body must be {"required"?: ["CODE", …], "lists"?: {"UF_CRM_X": [{"ID", "VALUE"}]}}');
        // Both are checked before either applies, so a bad body changes nothing.
        if (required !== undefined && !Array.isArray(required)) throw new BadRequest('"required" must be an array of lead field codes');
        if (lists !== undefined && (typeof lists !== 'object' || lists === null || Array.isArray(lists))) throw new BadRequest('"lists" must be an object of UF_CRM_… → [{"ID", "VALUE"}]');
        const before = sim.portalSetup();
        try {
          if (lists !== undefined) sim.setListFields(lists as Record<string, ListFieldItem[]>);
          if (required !== undefined) sim.setRequiredFields(required as string[]);
        } catch (e) {
          sim.setListFields(before.listFields);
          sim.setRequiredFields(before.requiredFields);
          throw e;
        }
        const { requiredFields, listFields } = sim.portalSetup();
        return sendJson(res, 200, { ok: true, requiredFields, listFields });
      }
      case 'POST /_sim/users': {
        const input = json();
        const users = typeof input === 'object' && input !== null ? (input as { users?: unknown }).users : undefined;
        if (!Array.isArray(users)) throw new BadRequest('body must be {"users": [{"ID", "ACTIVE"?, "NAME"?, …}]}');
        sim.setUsers(users as SimulatedUser[]);
        return sendJson(res, 200, { ok: true, users: sim.portalSetup().users });
      }
      case 'POST /_sim/rights': {
        const input = json();
        const leadAdd = typeof input === 'object' && input !== null ? (input as { leadAdd?: unknown }).leadAdd : undefined;
        if (typeof leadAdd !== 'boolean') throw new BadRequest('body must be {"leadAdd": true | false}');
        sim.setLeadAddAllowed(leadAdd);
        return sendJson(res, 200, { ok: true, leadAdd });
      }
      case 'GET /_sim/deals':
        return sendJson(res, 200, sim.crmRecords('deal'));
      case 'GET /_sim/contacts':
        return sendJson(res, 200, sim.crmRecords('contact'));
      case 'POST /_sim/events/subscriptions': {
        const input = (json() ?? {}) as { url?: unknown; applicationToken?: unknown; events?: unknown };
        const handlerId = sim.subscribeEvents(input as EventSubscription);
        return sendJson(res, 201, { ok: true, handlerId });
      }
      case 'GET /_sim/events':
        return sendJson(res, 200, sim.sentEvents());
      case 'POST /_sim/events/drop': {
        const input = json();
        const count = typeof input === 'object' && input !== null ? (input as { count?: unknown }).count : undefined;
        if (typeof count !== 'number') throw new BadRequest('body must be {"count": <events to lose>}');
        sim.dropEvents(count);
        return sendJson(res, 200, { ok: true });
      }
      case 'POST /_sim/stage': {
        const input = (json() ?? {}) as { entity?: unknown; id?: unknown; stageId?: unknown; at?: unknown };
        if ((input.entity !== 'lead' && input.entity !== 'deal') || typeof input.id !== 'number' || typeof input.stageId !== 'string') {
          throw new BadRequest('body must be {"entity": "lead" | "deal", "id": <number>, "stageId": "<STATUS_ID or STAGE_ID>", "at"?: <ISO time or epoch ms>}');
        }
        sim.moveStage(input.entity, input.id, input.stageId, typeof input.at === 'string' || typeof input.at === 'number' ? { at: input.at } : {});
        return sendJson(res, 200, { ok: true });
      }
      case 'GET /_sim/stagehistory':
        return sendJson(res, 200, sim.stageHistory());
      case 'POST /_sim/hold':
        sim.setHold(json() as HoldSettings);
        return sendJson(res, 200, { ok: true, hold: sim.hold() });
      case 'POST /_sim/bucket': {
        const input = json();
        if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new BadRequest('body must be {"level"?: "full" | number, "otherAppsPerSecond"?: number}');
        sim.setBucketLoad(input as BucketLoad);
        const stats = sim.stats();
        return sendJson(res, 200, { ok: true, level: stats.bucketLevel, otherAppsPerSecond: stats.otherApps.requestsPerSecond });
      }
      case 'POST /_sim/plan':
        sim.setPlan(parsePlan(json()));
        return sendJson(res, 200, { ok: true, bucket: sim.bucketSettings() });
      default:
        return sendJson(res, 404, { error: `unknown control route ${key}` });
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return sendJson(res, 400, { error: message });
  }
}

class BadRequest extends Error {}

/** Accepts "enterprise", {"plan":"enterprise"} or {"drainPerSecond":2,"limit":5}. */
export function parsePlan(input: unknown): Bitrix24Plan | BucketSettings {
  const candidate = typeof input === 'object' && input !== null && 'plan' in input ? (input as { plan: unknown }).plan : input;
  if (candidate === 'standard' || candidate === 'enterprise') return candidate;
  if (typeof candidate === 'object' && candidate !== null) {
    const { drainPerSecond, limit } = candidate as Record<string, unknown>;
    if (typeof drainPerSecond === 'number' && drainPerSecond >= 0 && typeof limit === 'number' && limit >= 0) {
      return { drainPerSecond, limit };
    }
  }
  throw new BadRequest('plan must be "standard", "enterprise" or {"drainPerSecond": number, "limit": number}');
}
