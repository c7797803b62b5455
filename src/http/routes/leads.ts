import { Router } from 'express';
import { isLeadId } from '../../lead/lead-id';
import type { IntakeSpool } from '../../queue/intake-spool/intake-spool';
import type { ConversionRecord, ConversionStore } from '../../queue/conversion-store';
import type { LeadLedger, LeadRecord } from '../../queue/lead-ledger';
import { requireAdmin } from '../admin-auth';
import { HttpError } from '../http-error';

/** A lead still in this process's spool: Redis has not seen it yet, so the ledger knows nothing. */
type SpooledRecord = Omit<LeadRecord, 'status'> & { status: 'spooled' };

/** Operator view of one lead's delivery: status, Bitrix24 id, attempts and the last error. */
export function leadsRouter(deps: {
  ledger: Pick<LeadLedger, 'get'>;
  spool?: Pick<IntakeSpool, 'find'>;
  adminToken?: string;
  /** With the conversion loop on, the lead's events for Meta and Google (status, stage, time) are shown too. */
  conversions?: Pick<ConversionStore, 'list'>;
}): Router {
  const router = Router();
  router.get('/v1/leads/:id', requireAdmin(deps.adminToken), async (req, res) => {
    const id = String(req.params.id);
    // Only a lead id reaches Redis: "<id>:attempts" would name another of the lead's keys.
    if (!isLeadId(id)) throw notFound();
    let record: LeadRecord | undefined;
    try {
      record = await deps.ledger.get(id);
    } catch (err) {
      // Redis away: the spool still answers for the leads it holds.
      if (!deps.spool?.find(id)) throw err;
    }
    const spooled = record ? undefined : deps.spool?.find(id);
    if (spooled) {
      const answer: SpooledRecord = {
        id,
        status: 'spooled',
        source: spooled.source,
        ...(spooled.externalId ? { externalId: spooled.externalId } : {}),
        destination: spooled.destination ?? '',
        receivedAt: spooled.receivedAt,
        updatedAt: spooled.spooledAt,
        attempts: 0,
        history: [],
      };
      res.json(answer);
      return;
    }
    if (!record) throw notFound();
    const conversions: ConversionRecord[] | undefined = deps.conversions ? await deps.conversions.list(id) : undefined;
    res.json(conversions ? { ...record, conversions } : record);
  });
  return router;
}

const notFound = (): HttpError => new HttpError(404, 'lead_not_found', 'no lead with this id (or its status has expired)');
