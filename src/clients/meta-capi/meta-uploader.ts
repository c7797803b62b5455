import type { MetaCapiConfig } from '../../config/conversions-config';
import type { Conversion } from '../../lead/conversion';
import type { ConversionUploader, UploadResult } from '../conversion-uploader';
import { GraphRequestError, MetaGraphError } from '../meta/graph-errors';
import { CAPI_MAX_AGE_MS, CapiEventTooOldError, MAX_CAPI_BATCH, MetaCapiClient, type CapiEvent } from './capi-client';

/** The CRM event of a conversion: the stage's name and real time, the Meta lead id, event_id = the conversion id. */
export function capiEvent(conversion: Conversion, leadEventSource: string): CapiEvent {
  return {
    event_name: conversion.eventName,
    event_time: Math.floor(Date.parse(conversion.stage.at) / 1000),
    action_source: 'system_generated',
    event_id: conversion.id,
    user_data: { lead_id: conversion.metaLeadId ?? '' },
    custom_data: {
      event_source: 'crm',
      lead_event_source: leadEventSource,
      ...(conversion.value ? { value: conversion.value.amount, currency: conversion.value.currency } : {}),
    },
  };
}

function failure(err: unknown): UploadResult {
  if (err instanceof CapiEventTooOldError) return { ok: false, kind: 'expired', code: 'META_EVENT_TOO_OLD', message: err.message };
  if (err instanceof MetaGraphError) {
    return { ok: false, kind: err.retryable ? 'retryable' : 'permanent', code: `META_${err.kind.toUpperCase()}${err.details.code !== undefined ? `_${err.details.code}` : ''}`, message: err.message };
  }
  throw err;
}

/** A margin under Meta's 7 days: an event that would turn 7 days old on its way is not sent. */
const AGE_MARGIN_MS = 10 * 60_000;

export class MetaConversionUploader implements ConversionUploader {
  readonly platform = 'meta' as const;
  readonly maxBatch: number;
  private readonly client: MetaCapiClient;

  constructor(private readonly config: MetaCapiConfig) {
    this.maxBatch = Math.min(config.batchSize, MAX_CAPI_BATCH);
    this.client = new MetaCapiClient({
      graphUrl: config.graphUrl, version: config.graphVersion, datasetId: config.datasetId, accessToken: config.accessToken,
      timeoutMs: config.timeoutMs, ...(config.testEventCode ? { testEventCode: config.testEventCode } : {}),
    });
  }

  tooOld(conversion: Conversion, now: number): string | undefined {
    const age = now - Date.parse(conversion.stage.at);
    return age > CAPI_MAX_AGE_MS - AGE_MARGIN_MS ? `the stage was reached ${Math.round(age / 3_600_000)} h ago; Meta takes CRM events up to 7 days old` : undefined;
  }

  async upload(conversions: Conversion[]): Promise<UploadResult[]> {
    try {
      await this.client.send(conversions.map((c) => capiEvent(c, this.config.leadEventSource)));
      return conversions.map(() => ({ ok: true }));
    } catch (err) {
      const result = failure(err);
      // One bad event fails Meta's whole batch: send each alone, so only that one is refused. A refused
      // token or dataset refuses every event alike, so those are not split.
      if (!(err instanceof GraphRequestError) || conversions.length === 1) return conversions.map(() => result);
      const results: UploadResult[] = [];
      for (const conversion of conversions) results.push(...(await this.upload([conversion])));
      return results;
    }
  }
}
