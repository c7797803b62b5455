/**
 * What a destination creates for each lead, behind one small interface so the portal dispatcher
 * batches, reconciles and removes copies the same way for both: a Bitrix24 lead (LeadWriter), or a
 * contact and a deal (DealWriter, `entity: deal`). Every method is ONE HTTP request, so the caller
 * draws exactly one unit of the portal's request budget for it.
 */
import type { LeadFields } from '../../lead/lead';
import type { DeliveryError } from '../delivery-errors';

export type CrmEntity = 'lead' | 'deal';

/** What one lead became: the lead or deal id, and for a deal the contact it is linked to. */
export interface CreatedEntity {
  id: number;
  contactId?: number;
  /** The contact was created for this lead (its ORIGIN_ID is the lead's id), not an existing customer. */
  ownContact?: boolean;
}

/** Per lead of an add request: created, refused, or never run (a halted batch stopped before it). */
export type WriteResult = { created: CreatedEntity } | { error: DeliveryError } | { notRun: true };

export interface EntityToWrite {
  key: string;
  fields: LeadFields;
}

/** What a look-up by ORIGIN_ID found for one lead id. */
export interface OriginMatch {
  /** Every copy, oldest first: more than one means a late commit doubled it. */
  created: CreatedEntity[];
  /** Nothing to find, but part of an earlier attempt exists: fields the next add should use (an orphan contact). */
  reuse?: LeadFields;
}

export interface CrmWriter {
  readonly entity: CrmEntity;
  /** How many leads one add request can carry (a batch holds 50 commands). */
  readonly leadsPerRequest: number;
  /** The method name an add of `count` leads is counted under (metrics). */
  addMethod(count: number): string;
  readonly listMethod: string;
  readonly deleteMethod: string;
  /** Creates the leads' entities in one request; a failure of the whole request is thrown. */
  add(items: EntityToWrite[], signal?: AbortSignal): Promise<Map<string, WriteResult>>;
  /** One look-up for up to 50 lead ids by ORIGINATOR_ID + ORIGIN_ID. */
  findByOrigin(originatorId: string, originIds: string[], signal?: AbortSignal): Promise<Map<string, OriginMatch>>;
  /** Removes a later copy (and what was created only for it), keeping `kept`. */
  removeCopy(copy: CreatedEntity, kept: CreatedEntity, signal?: AbortSignal): Promise<void>;
}
