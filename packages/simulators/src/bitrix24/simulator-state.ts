/** Everything mutable about one simulated portal, so reset() has a single place to act on. */
import { randomBytes } from 'node:crypto';
import { CrmEntities, type CrmModeName } from './crm-entities';
import { CrmFunnel } from './crm-funnel';
import { OutgoingEvents } from './outgoing-events';
import { FaultQueue } from './fault-queue';
import { LeakyBucket } from './leaky-bucket';
import { LeadStore } from './lead-store';
import { OAuthTokens, type OAuthAppSettings } from './oauth-tokens';
import { OperatingLimiter } from './operating-limit';
import { OtherApps } from './other-apps';
import { PortalSetup } from './portal-setup';
import { Sleeper } from './sleeper';
import type { BucketSettings, HoldSettings, ListFieldItem, SimulatedCall, SimulatedUser } from './types';

/** What a webhook created with every permission has; tests narrow it to check scope handling. */
export const ALL_SCOPES = ['crm', 'user', 'basic'];

/** Long `leadgate dev` sessions must not grow without bound; benchmarks stay far below this. */
const MAX_CALL_LOG = 100_000;

export interface StateSettings {
  userId: number;
  webhookCode: string;
  bucket: BucketSettings;
  operatingLimitSeconds: number;
  processingMs: number;
  chargeBatchAs: 'batch' | 'commands';
  /** The portal's OAuth application; absent → `/rest/METHOD` knows no token. */
  oauth?: OAuthAppSettings;
  customFields?: string[];
  scopes: string[];
  crmMode?: CrmModeName;
  requiredFields?: string[];
  listFields?: Record<string, ListFieldItem[]>;
  users?: SimulatedUser[];
  dealCategories?: number[];
  onCall?: (call: SimulatedCall) => void;
}

const zeroCounters = () => ({ requests: 0, queryLimitExceeded: 0, operationTimeLimit: 0, tokenRefreshes: 0 });

export class SimulatorState {
  readonly store: LeadStore;
  readonly crm: CrmEntities;
  /** Stage history and outgoing events of leads and deals. */
  readonly funnel = new CrmFunnel(new OutgoingEvents());
  /** Required fields, list fields and users: the portal's setup, kept by reset(). */
  readonly portal: PortalSetup;
  readonly faults = new FaultQueue();
  readonly sleeper = new Sleeper();
  readonly bucket: LeakyBucket;
  readonly operating: OperatingLimiter;
  /** Other integrations sharing the portal's request counter. */
  readonly otherApps: OtherApps;
  readonly userId: number;
  readonly processingMs: number;
  readonly chargeBatchAs: 'batch' | 'commands';
  readonly oauth?: OAuthTokens;
  /** The portal's `member_id` in token answers. */
  readonly memberId = randomBytes(16).toString('hex');
  webhookCode: string;
  bucketSettings: BucketSettings;
  counters = zeroCounters();
  scopes: ReadonlySet<string>;
  hold: HoldSettings = { ms: 0, phase: 'after' };
  /** `/rest/` requests read but not yet answered (or dropped). */
  inFlight = 0;
  private callLog: SimulatedCall[] = [];
  private readonly onCall?: (call: SimulatedCall) => void;

  constructor(settings: StateSettings) {
    this.portal = new PortalSetup(settings, settings.userId);
    this.store = new LeadStore(settings.customFields, () => this.portal.customFieldNames());
    this.crm = new CrmEntities(settings.crmMode);
    this.userId = settings.userId;
    this.webhookCode = settings.webhookCode;
    this.processingMs = settings.processingMs;
    this.chargeBatchAs = settings.chargeBatchAs;
    this.bucketSettings = { ...settings.bucket };
    this.bucket = new LeakyBucket(this.bucketSettings);
    this.otherApps = new OtherApps(this.bucket);
    this.operating = new OperatingLimiter(settings.operatingLimitSeconds);
    if (settings.oauth) this.oauth = new OAuthTokens(settings.oauth);
    this.scopes = new Set(settings.scopes);
    if (settings.onCall) this.onCall = settings.onCall;
  }

  /** Whose operating budget a request draws on: the webhook (a changed code starts afresh) or the app. */
  webhookCaller(): string {
    return `webhook:${this.userId}/${this.webhookCode}`;
  }

  appCaller(): string {
    return `app:${this.oauth?.app.clientId ?? ''}`;
  }

  /** Operating time is billed per (webhook or application, method). */
  operatingKey(caller: string, method: string): string {
    return `${caller}|${method}`;
  }

  setBucket(settings: BucketSettings): void {
    this.bucketSettings = { ...settings };
    this.bucket.configure(this.bucketSettings);
  }

  recordCall(call: SimulatedCall): void {
    this.callLog.push(call);
    try {
      this.onCall?.({ ...call });
    } catch {
      // An observer's failure must not change what the portal answers.
    }
    if (this.callLog.length > MAX_CALL_LOG) this.callLog.splice(0, this.callLog.length - MAX_CALL_LOG);
  }

  calls(): SimulatedCall[] {
    return this.callLog.map((c) => ({ ...c }));
  }

  reset(): void {
    this.store.reset();
    this.crm.reset();
    this.funnel.reset();
    this.faults.clear();
    this.bucket.reset();
    this.otherApps.resetCounters();
    this.operating.reset();
    this.callLog = [];
    this.counters = zeroCounters();
    this.hold = { ms: 0, phase: 'after' };
  }
}
