/**
 * Sends one platform's conversions: each job checks its record (sent, expired or dead already: done),
 * expires a conversion too old for the platform without sending it, and otherwise joins a batch.
 * The uploader's answer per conversion decides: sent, expired, retried with backoff, or
 * dead-lettered with the platform's reason.
 */
import type { ConversionUploader, UploadResult } from '../clients/conversion-uploader';
import { conversionJobId, readSendConversionJob, type Conversion, type SendConversionJob } from '../queue/conversion-jobs';
import type { ConversionStore, ConversionStatus } from '../queue/conversion-store';
import type { ConversionMetrics } from '../shared/conversion-metrics';
import type { Logger } from '../shared/logger';
import { MicroBatcher } from '../shared/micro-batcher';

export interface ConversionSenderDeps {
  uploader: ConversionUploader;
  store: Pick<ConversionStore, 'get' | 'update' | 'addDeadLetter'>;
  attempts: number;
  lingerMs: number;
  metrics: ConversionMetrics;
  logger: Logger;
}

/** Thrown for a retryable failure, so BullMQ retries the job with the conversion backoff. */
export class ConversionRetryError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ConversionRetryError';
  }
}

const FINAL: ReadonlySet<ConversionStatus> = new Set(['sent', 'expired', 'dead']);

export function createConversionSender(deps: ConversionSenderDeps) {
  const { uploader, store, metrics, logger } = deps;
  const platform = uploader.platform;
  const batcher = new MicroBatcher<Conversion, UploadResult>(uploader.maxBatch, deps.lingerMs, (items) => uploader.upload(items));

  async function deadLetter(conversion: Conversion, code: string, reason: string, attempts: number): Promise<void> {
    await store.addDeadLetter(conversionJobId(conversion), { kind: 'send', conversion, code, reason, deadAt: new Date().toISOString() });
    await store.update(conversion, { status: 'dead', code, error: reason, attempts });
    metrics.deadLettered.inc({ platform, code });
    logger.warn({ platform, leadId: conversion.leadId, event: conversion.eventName, code, reason }, 'conversion dead-lettered');
  }

  async function process(data: SendConversionJob, attemptsMade: number): Promise<ConversionStatus> {
    const { conversion } = readSendConversionJob(data);
    const record = await store.get(conversion);
    if (record && FINAL.has(record.status)) return record.status;
    const attempt = attemptsMade + 1;
    const old = uploader.tooOld(conversion, Date.now());
    if (old) return expire(conversion, old, attempt);
    const result = await batcher.add(conversion);
    if (result.ok) {
      await store.update(conversion, { status: 'sent', attempts: attempt });
      metrics.sent.inc({ platform, event: conversion.eventName });
      return 'sent';
    }
    if (result.kind === 'expired') return expire(conversion, result.message, attempt);
    if (result.kind === 'retryable' && attempt < deps.attempts) {
      await store.update(conversion, { status: 'retrying', attempts: attempt, code: result.code, error: result.message });
      metrics.retried.inc({ platform, kind: result.code });
      throw new ConversionRetryError(result.code, result.message);
    }
    const reason = result.kind === 'retryable' ? `gave up after ${attempt} attempts: ${result.message}` : result.message;
    await deadLetter(conversion, result.code, reason, attempt);
    return 'dead';
  }

  /** Expired conversions are kept visible (status, metric), never retried. */
  async function expire(conversion: Conversion, why: string, attempt: number): Promise<ConversionStatus> {
    await store.update(conversion, { status: 'expired', code: 'EXPIRED', error: why, attempts: attempt });
    metrics.expired.inc({ platform, event: conversion.eventName });
    logger.info({ platform, leadId: conversion.leadId, event: conversion.eventName, why }, 'conversion expired');
    return 'expired';
  }

  return { process, deadLetter, drain: () => batcher.drain() };
}
