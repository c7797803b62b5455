import type { RedisClient } from '../shared/redis-client';
import type { Conversion, ConversionPlatform, ReadCrmRecordJob } from './conversion-jobs';

/**
 * queued: waiting to be sent; retrying: a send failed and will be retried; sent: the platform took
 * it; expired: too old for the platform (Meta 7 days, Google 90 days from the click), never sent;
 * dead: refused or out of attempts (see the conversion dead letters); recorded: Google without an
 * API account, waiting for `leadgate conversions export`.
 */
export type ConversionStatus = 'queued' | 'retrying' | 'sent' | 'expired' | 'dead' | 'recorded';

/** What GET /v1/leads/:id shows of each conversion. */
export interface ConversionRecord {
  id: string;
  platform: ConversionPlatform;
  eventName: string;
  stage: Conversion['stage'];
  status: ConversionStatus;
  updatedAt: string;
  /** When a path first found the stage: orders a lead's stages Bitrix24 recorded within one second. */
  claimedAt?: string;
  attempts: number;
  error?: string;
  code?: string;
}

export interface ConversionDeadLetter {
  kind: 'send' | 'read';
  /** The send job's conversion, or the read job. */
  conversion?: Conversion;
  read?: ReadCrmRecordJob;
  code: string;
  reason: string;
  deadAt: string;
}

/** A CSV row of Google's scheduled import (kept whether or not the API uploads it). */
export interface GoogleExportRow {
  conversionId: string;
  clickKey: string;
  clickId: string;
  conversionName: string;
  at: string;
  /** When the click happened: Google credits it for 90 days. */
  clickAt?: string;
  value?: number;
  currency?: string;
}

const DAY = 86_400;

const entityOrder = (record: ConversionRecord): number => (record.stage.entity === 'lead' ? 0 : 1);

/**
 * Each lead's conversions (one hash per lead, a field per platform and event), the conversion dead
 * letters, and the Google export rows. The field is claimed with HSETNX, so the first path to find a
 * stage (event, sweep, a second worker) owns it and the others see it is taken.
 */
export class ConversionStore {
  private readonly ttl: number;

  constructor(private readonly redis: RedisClient, private readonly prefix: string, retentionDays: number) {
    this.ttl = retentionDays * DAY;
  }

  private key(leadId: string): string {
    return `${this.prefix}:conversions:lead:${leadId}`;
  }

  private get deadKey(): string {
    return `${this.prefix}:conversions:dead`;
  }

  private get exportKey(): string {
    return `${this.prefix}:conversions:google-export`;
  }

  private static field(c: Pick<Conversion, 'platform' | 'eventName'>): string {
    return `${c.platform}:${c.eventName}`;
  }

  /** Claims the conversion; answers the stored record when another path claimed it first. */
  async claim(conversion: Conversion, status: ConversionStatus): Promise<{ claimed: boolean; record: ConversionRecord }> {
    const record: ConversionRecord = {
      id: conversion.id,
      platform: conversion.platform,
      eventName: conversion.eventName,
      stage: conversion.stage,
      status,
      updatedAt: new Date().toISOString(),
      claimedAt: new Date().toISOString(),
      attempts: 0,
    };
    const key = this.key(conversion.leadId);
    const field = ConversionStore.field(conversion);
    const replies = (await this.redis.multi().hsetnx(key, field, JSON.stringify(record)).hget(key, field).expire(key, this.ttl).exec()) ?? [];
    const [claimErr, claimed] = replies[0] ?? [];
    if (claimErr) throw claimErr;
    const stored = replies[1]?.[1];
    return { claimed: claimed === 1, record: typeof stored === 'string' ? (JSON.parse(stored) as ConversionRecord) : record };
  }

  async get(conversion: Pick<Conversion, 'leadId' | 'platform' | 'eventName'>): Promise<ConversionRecord | undefined> {
    const raw = await this.redis.hget(this.key(conversion.leadId), ConversionStore.field(conversion));
    return raw ? (JSON.parse(raw) as ConversionRecord) : undefined;
  }

  /** The sender is the only writer once a conversion is claimed (BullMQ runs a job once at a time). */
  async update(conversion: Conversion, patch: Partial<Pick<ConversionRecord, 'status' | 'attempts' | 'error' | 'code'>>): Promise<ConversionRecord> {
    const current = (await this.get(conversion)) ?? { id: conversion.id, platform: conversion.platform, eventName: conversion.eventName, stage: conversion.stage, status: 'queued' as const, updatedAt: '', attempts: 0 };
    const next: ConversionRecord = { ...current, ...patch, updatedAt: new Date().toISOString() };
    if (patch.status === 'sent' || patch.status === 'queued') {
      delete next.error;
      delete next.code;
    }
    await this.redis.multi().hset(this.key(conversion.leadId), ConversionStore.field(conversion), JSON.stringify(next)).expire(this.key(conversion.leadId), this.ttl).exec();
    return next;
  }

  /** Every conversion of a lead, oldest stage first (Bitrix24 times are whole seconds: a lead's stage before its deal's). */
  async list(leadId: string): Promise<ConversionRecord[]> {
    const all = await this.redis.hgetall(this.key(leadId));
    return Object.values(all ?? {})
      .map((raw) => JSON.parse(raw) as ConversionRecord)
      .sort((a, b) => a.stage.at.localeCompare(b.stage.at) || entityOrder(a) - entityOrder(b) || (a.claimedAt ?? '').localeCompare(b.claimedAt ?? '') || a.platform.localeCompare(b.platform));
  }

  async addDeadLetter(id: string, letter: ConversionDeadLetter): Promise<void> {
    await this.redis.multi().hset(this.deadKey, id, JSON.stringify(letter)).expire(this.deadKey, this.ttl).exec();
  }

  async deadLetters(): Promise<Array<ConversionDeadLetter & { id: string }>> {
    const all = await this.redis.hgetall(this.deadKey);
    return Object.entries(all ?? {})
      .map(([id, raw]) => ({ id, ...(JSON.parse(raw) as ConversionDeadLetter) }))
      .sort((a, b) => a.deadAt.localeCompare(b.deadAt));
  }

  async deadLetterCount(): Promise<number> {
    return this.redis.hlen(this.deadKey);
  }

  async deadLetter(id: string): Promise<ConversionDeadLetter | undefined> {
    const raw = await this.redis.hget(this.deadKey, id);
    return raw ? (JSON.parse(raw) as ConversionDeadLetter) : undefined;
  }

  async removeDeadLetter(id: string): Promise<void> {
    await this.redis.hdel(this.deadKey, id);
  }

  async addExportRow(row: GoogleExportRow): Promise<void> {
    const cutoff = Date.now() - this.ttl * 1000;
    await this.redis
      .multi()
      .zadd(this.exportKey, Date.parse(row.at), JSON.stringify(row))
      .zremrangebyscore(this.exportKey, '-inf', cutoff)
      .expire(this.exportKey, this.ttl)
      .exec();
  }

  /** Google export rows whose conversion happened in [since, until), oldest first. */
  async exportRows(since: Date, until: Date): Promise<GoogleExportRow[]> {
    const raw = await this.redis.zrangebyscore(this.exportKey, since.getTime(), `(${until.getTime()}`);
    return raw.map((r) => JSON.parse(r) as GoogleExportRow);
  }
}
