/**
 * Google Ads offline click conversions through the Data Manager API (`POST /v1/events:ingest`), the
 * API Google points new integrations to: one request per conversion action (its id is the
 * destination's productDestinationId), each event with its click id (gclid, gbraid or wbraid), the
 * stage time with its offset, the value and currency, and the conversion id as transactionId so a
 * resend is deduplicated. A click older than 90 days at the conversion can no longer be credited.
 */
import type { GoogleConversionsConfig, GoogleServiceAccountConfig } from '../../config/conversions-config';
import type { Conversion } from '../../lead/conversion';
import type { ConversionUploader, UploadResult } from '../conversion-uploader';
import { classifyGoogleError, GoogleApiError } from './google-errors';
import { ServiceAccountTokens } from './service-account-token';

/** Google Ads credits a conversion to a click at most 90 days before it. */
export const GOOGLE_CLICK_WINDOW_MS = 90 * 86_400_000;
/** The Data Manager API's limit per request. */
export const MAX_INGEST_EVENTS = 2000;

export interface IngestEvent {
  adIdentifiers: { gclid?: string; gbraid?: string; wbraid?: string };
  eventTimestamp: string;
  transactionId: string;
  eventSource: 'WEB';
  conversionValue?: number;
  currency?: string;
}

export function ingestEvent(conversion: Conversion): IngestEvent {
  const click = conversion.click!;
  return {
    adIdentifiers: { [click.key]: click.value },
    eventTimestamp: conversion.stage.at,
    transactionId: conversion.id,
    eventSource: 'WEB',
    ...(conversion.value ? { conversionValue: conversion.value.amount, currency: conversion.value.currency } : {}),
  };
}

export function ingestRequest(config: Pick<GoogleConversionsConfig, 'customerId' | 'loginCustomerId' | 'validateOnly'>, actionId: string, conversions: Conversion[]): Record<string, unknown> {
  return {
    destinations: [
      {
        operatingAccount: { accountType: 'GOOGLE_ADS', accountId: config.customerId },
        ...(config.loginCustomerId ? { loginAccount: { accountType: 'GOOGLE_ADS', accountId: config.loginCustomerId } } : {}),
        productDestinationId: actionId,
      },
    ],
    events: conversions.map(ingestEvent),
    ...(config.validateOnly ? { validateOnly: true } : {}),
  };
}

export class DataManagerUploader implements ConversionUploader {
  readonly platform = 'google' as const;
  readonly maxBatch: number;
  private readonly tokens: ServiceAccountTokens;

  constructor(private readonly config: GoogleConversionsConfig & { serviceAccount: GoogleServiceAccountConfig }) {
    this.maxBatch = Math.min(config.batchSize, MAX_INGEST_EVENTS);
    this.tokens = new ServiceAccountTokens(config.serviceAccount, config.timeoutMs);
  }

  tooOld(conversion: Conversion): string | undefined {
    if (!conversion.click) return 'the lead has no Google click id';
    const gap = Date.parse(conversion.stage.at) - Date.parse(conversion.click.clickAt);
    return gap > GOOGLE_CLICK_WINDOW_MS ? `the click was ${Math.floor(gap / 86_400_000)} days before the conversion; Google credits clicks up to 90 days old` : undefined;
  }

  async upload(conversions: Conversion[]): Promise<UploadResult[]> {
    const results = new Map<Conversion, UploadResult>();
    const byAction = new Map<string, Conversion[]>();
    for (const conversion of conversions) {
      const actionId = Object.hasOwn(this.config.conversionActions, conversion.eventName) ? this.config.conversionActions[conversion.eventName] : undefined;
      if (!actionId) {
        results.set(conversion, { ok: false, kind: 'permanent', code: 'GOOGLE_UNKNOWN_ACTION', message: `no conversion action "${conversion.eventName}" in conversions.google.conversionActions` });
        continue;
      }
      byAction.set(actionId, [...(byAction.get(actionId) ?? []), conversion]);
    }
    for (const [actionId, group] of byAction) {
      for (const [conversion, result] of await this.send(actionId, group)) results.set(conversion, result);
    }
    return conversions.map((c) => results.get(c)!);
  }

  /** One request; a refused request of several is sent again one by one, so only the bad event is refused. */
  private async send(actionId: string, group: Conversion[]): Promise<Array<[Conversion, UploadResult]>> {
    try {
      await this.post(ingestRequest(this.config, actionId, group));
      return group.map((c) => [c, { ok: true }]);
    } catch (err) {
      if (!(err instanceof GoogleApiError)) throw err;
      if (err.kind === 'request' && group.length > 1) {
        const each: Array<[Conversion, UploadResult]> = [];
        for (const conversion of group) each.push(...(await this.send(actionId, [conversion])));
        return each;
      }
      const result: UploadResult = { ok: false, kind: err.kind === 'retryable' ? 'retryable' : 'permanent', code: err.code, message: err.message };
      return group.map((c) => [c, result]);
    }
  }

  private async post(body: Record<string, unknown>, renewed = false): Promise<void> {
    const token = await this.tokens.token();
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.config.ingestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw new GoogleApiError(`Google Data Manager API unreachable (${(err as Error).name === 'TimeoutError' ? `no answer within ${this.config.timeoutMs} ms` : 'network error'}); retrying.`, { kind: 'retryable', code: 'GOOGLE_UNREACHABLE' });
    }
    if (response.ok) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // An access token revoked or expired early: one fresh exchange and one repeat.
    if (response.status === 401 && !renewed) {
      this.tokens.invalidate(token);
      return this.post(body, true);
    }
    throw classifyGoogleError(response.status, parsed);
  }
}
