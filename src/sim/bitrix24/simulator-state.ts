/** Everything mutable about one simulated portal, so reset() has a single place to act on. */
import { FaultQueue } from './fault-queue';
import { LeakyBucket } from './leaky-bucket';
import { LeadStore } from './lead-store';
import { OperatingLimiter } from './operating-limit';
import { Sleeper } from './sleeper';
import type { BucketSettings, SimulatedCall } from './types';

/** Long `leadgate dev` sessions must not grow without bound; benchmarks stay far below this. */
const MAX_CALL_LOG = 100_000;

export interface StateSettings {
  userId: number;
  webhookCode: string;
  bucket: BucketSettings;
  operatingLimitSeconds: number;
  processingMs: number;
  chargeBatchAs: 'batch' | 'commands';
}

export class SimulatorState {
  readonly store = new LeadStore();
  readonly faults = new FaultQueue();
  readonly sleeper = new Sleeper();
  readonly bucket: LeakyBucket;
  readonly operating: OperatingLimiter;
  readonly userId: number;
  readonly processingMs: number;
  readonly chargeBatchAs: 'batch' | 'commands';
  webhookCode: string;
  bucketSettings: BucketSettings;
  counters = { requests: 0, queryLimitExceeded: 0, operationTimeLimit: 0 };
  private callLog: SimulatedCall[] = [];

  constructor(settings: StateSettings) {
    this.userId = settings.userId;
    this.webhookCode = settings.webhookCode;
    this.processingMs = settings.processingMs;
    this.chargeBatchAs = settings.chargeBatchAs;
    this.bucketSettings = { ...settings.bucket };
    this.bucket = new LeakyBucket(this.bucketSettings);
    this.operating = new OperatingLimiter(settings.operatingLimitSeconds);
  }

  /** Operating time is billed per webhook, so a changed code starts a fresh budget. */
  operatingKey(method: string): string {
    return `${this.userId}/${this.webhookCode}|${method}`;
  }

  setBucket(settings: BucketSettings): void {
    this.bucketSettings = { ...settings };
    this.bucket.configure(this.bucketSettings);
  }

  recordCall(call: SimulatedCall): void {
    this.callLog.push(call);
    if (this.callLog.length > MAX_CALL_LOG) this.callLog.splice(0, this.callLog.length - MAX_CALL_LOG);
  }

  calls(): SimulatedCall[] {
    return this.callLog.map((c) => ({ ...c }));
  }

  reset(): void {
    this.store.reset();
    this.faults.clear();
    this.bucket.reset();
    this.operating.reset();
    this.callLog = [];
    this.counters = { requests: 0, queryLimitExceeded: 0, operationTimeLimit: 0 };
  }
}
