import { Router } from 'express';
import { isLeadId } from '../../lead/lead-id';
import type { LeadLedger } from '../../queue/lead-ledger';
import { requireAdmin } from '../admin-auth';
import { HttpError } from '../http-error';

/** Operator view of one lead's delivery: status, Bitrix24 id, attempts and the last error. */
export function leadsRouter(deps: { ledger: Pick<LeadLedger, 'get'>; adminToken?: string }): Router {
  const router = Router();
  router.get('/v1/leads/:id', requireAdmin(deps.adminToken), async (req, res) => {
    const id = String(req.params.id);
    // Only a lead id reaches Redis: "<id>:attempts" would name another of the lead's keys.
    const record = isLeadId(id) ? await deps.ledger.get(id) : undefined;
    if (!record) throw new HttpError(404, 'lead_not_found', 'no lead with this id (or its status has expired)');
    res.json(record);
  });
  return router;
}
