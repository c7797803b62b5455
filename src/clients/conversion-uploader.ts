/**
 * The one small interface every ad platform's conversion upload sits behind (Meta CAPI, Google's
 * Data Manager API): the worker batches, retries and dead-letters; an uploader only sends and says,
 * per conversion, what became of it. A platform that changes its API changes one uploader.
 */
import type { Conversion, ConversionPlatform } from '../lead/conversion';

export type UploadResult =
  | { ok: true }
  /** expired: the platform's time limit passed, it can never be sent; permanent: refused; retryable: try later. */
  | { ok: false; kind: 'expired' | 'permanent' | 'retryable'; code: string; message: string };

export interface ConversionUploader {
  readonly platform: ConversionPlatform;
  /** Conversions per request. */
  readonly maxBatch: number;
  /** Why the platform would refuse this conversion for its age (checked before sending), else undefined. */
  tooOld(conversion: Conversion, now: number): string | undefined;
  /** One request for the batch (or more when the platform fails a whole batch for one bad event): a result per conversion, in order. */
  upload(conversions: Conversion[]): Promise<UploadResult[]>;
}
