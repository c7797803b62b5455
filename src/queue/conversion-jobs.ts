/**
 * Job payloads and ids of the conversion loop: Bitrix24 records to read after an outgoing event or
 * a sweep, and conversions to send to an ad platform. Payloads are versioned like lead jobs.
 */
import type { Conversion, ConversionPlatform, CrmEntity } from '../lead/conversion';
import { UnknownPayloadError } from './jobs';

export { CONVERSION_PLATFORMS, conversionId, type Conversion, type ConversionPlatform, type CrmEntity } from '../lead/conversion';

/** One queue for every record to read, all destinations: each read draws on its portal's budget. */
export const CRM_READS_QUEUE = 'conversion-reads';
export const READ_CRM_RECORD_JOB = 'read-crm-record';

/** A Bitrix24 lead or deal changed (an outgoing event, or a row the sweep found): read it, find its stages. */
export interface ReadCrmRecordJobV1 {
  v: 1;
  destination: string;
  entity: CrmEntity;
  id: number;
  /** The event name (ONCRMLEADUPDATE…) or `sweep`. */
  trigger: string;
  receivedAt: string;
}
export type ReadCrmRecordJob = ReadCrmRecordJobV1;

export function readReadCrmRecordJob(data: ReadCrmRecordJob): ReadCrmRecordJobV1 {
  if (data.v === 1) return data;
  throw new UnknownPayloadError((data as { v?: unknown }).v);
}

export interface SendConversionJobV1 {
  v: 1;
  conversion: Conversion;
}
export type SendConversionJob = SendConversionJobV1;
export const SEND_CONVERSION_JOB = 'send-conversion';

export function readSendConversionJob(data: SendConversionJob): SendConversionJobV1 {
  if (data.v === 1) return data;
  throw new UnknownPayloadError((data as { v?: unknown }).v);
}

export function conversionQueueName(platform: ConversionPlatform): string {
  return `conversions-${platform}`;
}

export function conversionJobId(conversion: Pick<Conversion, 'platform' | 'id'>): string {
  return `cv-${conversion.platform}-${conversion.id}`;
}
