/** Drives an out-of-process simulator through its `/_sim/` control API (global fetch). */
import type {
  Bitrix24Fault,
  Bitrix24Plan,
  Bitrix24Stats,
  BucketLoad,
  BucketSettings,
  HoldSettings,
  ListFieldItem,
  OAuthTokenPair,
  OriginRecord,
  SimulatedCall,
  SimulatedLead,
  SimulatedUser,
} from './types';

export interface SimulatorInfo {
  url: string;
  webhookUrl: string;
  userId: number;
  bucket: BucketSettings;
  clientEndpoint: string;
  tokenUrl: string;
  /** null unless the simulator was started with an OAuth app. */
  oauth: { clientId: string } | null;
  scopes: string[];
  hold: HoldSettings;
}

export class Bitrix24SimulatorClient {
  private readonly base: string;

  /** Accepts the simulator URL or any URL on it (e.g. the webhook URL). */
  constructor(url: string) {
    this.base = new URL(url).origin;
  }

  info(): Promise<SimulatorInfo> {
    return this.request('GET', '/_sim');
  }

  leads(): Promise<SimulatedLead[]> {
    return this.request('GET', '/_sim/leads');
  }

  /** Every ORIGIN_ID ever stored, with live and deleted lead IDs: duplicates vs. removed duplicates. */
  origins(): Promise<OriginRecord[]> {
    return this.request('GET', '/_sim/origins');
  }

  calls(): Promise<SimulatedCall[]> {
    return this.request('GET', '/_sim/calls');
  }

  stats(): Promise<Bitrix24Stats> {
    return this.request('GET', '/_sim/stats');
  }

  /** Faults still pending, with the count each has left. */
  faults(): Promise<Bitrix24Fault[]> {
    return this.request('GET', '/_sim/faults');
  }

  async injectFault(fault: Bitrix24Fault): Promise<void> {
    await this.request('POST', '/_sim/faults', fault);
  }

  async reset(): Promise<void> {
    await this.request('POST', '/_sim/reset');
  }

  async setWebhookCode(code: string): Promise<void> {
    await this.request('POST', '/_sim/webhook-code', { code });
  }

  async setPlan(plan: Bitrix24Plan | BucketSettings): Promise<void> {
    await this.request('POST', '/_sim/plan', typeof plan === 'string' ? { plan } : plan);
  }

  /** Sets the request counter ('full': the next request is refused) and/or other apps' steady load. */
  async setBucketLoad(load: BucketLoad): Promise<void> {
    await this.request('POST', '/_sim/bucket', load);
  }

  async setScopes(scopes: string[]): Promise<void> {
    await this.request('POST', '/_sim/scopes', { scopes });
  }

  /** Holds every request arriving from now on; `{ ms: 0 }` turns it off. */
  async setHold(hold: { ms: number; phase?: HoldSettings['phase'] }): Promise<void> {
    await this.request('POST', '/_sim/hold', hold);
  }

  /** Replaces the required lead fields and/or the list fields (either may be left out). */
  async setLeadFields(setup: { required?: string[]; lists?: Record<string, ListFieldItem[]> }): Promise<void> {
    await this.request('POST', '/_sim/lead-fields', setup);
  }

  async setUsers(users: SimulatedUser[]): Promise<void> {
    await this.request('POST', '/_sim/users', { users });
  }

  /** Required fields, list fields and users as set up. */
  portalSetup(): Promise<{ requiredFields: string[]; listFields: Record<string, ListFieldItem[]>; users: SimulatedUser[] }> {
    return this.request('GET', '/_sim/portal');
  }

  issueOAuthTokens(): Promise<OAuthTokenPair> {
    return this.request('POST', '/_sim/oauth/tokens');
  }

  async expireAccessTokens(): Promise<void> {
    await this.request('POST', '/_sim/oauth/expire');
  }

  async revokeRefreshTokens(): Promise<void> {
    await this.request('POST', '/_sim/oauth/revoke');
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const payload: unknown = text === '' ? undefined : JSON.parse(text);
    if (!res.ok) {
      const message = (payload as { error?: string } | undefined)?.error ?? res.statusText;
      throw new Error(`simulator control ${method} ${path} failed: ${res.status} ${message}`);
    }
    return payload as T;
  }
}
