/**
 * Where leads and deals move through their stages: every creation and move writes a stage-history
 * row and sends the portal's outgoing event. A lead moved to CONVERTED in classic mode is converted
 * into a contact and a deal (LEAD_ID pointing back), as the CRM's converter does.
 */
import { DEAL_STAGE_IDS, LEAD_STATUS_IDS, leadStatusSemantic } from './crm-statuses';
import type { CrmEntities } from './crm-entities';
import type { LeadStore } from './lead-store';
import type { OutgoingEvents } from './outgoing-events';
import { convertLead } from './simple-mode';
import { StageHistory, type StagedEntity } from './stage-history';
import { formatAtom } from './time-info';

export class StageMoveError extends Error {}

export class CrmFunnel {
  readonly history = new StageHistory();

  constructor(readonly events: OutgoingEvents) {}

  leadCreated(id: number, statusId: string, nowMs: number): void {
    this.history.record('lead', id, statusId, nowMs, true);
    this.events.emit('ONCRMLEADADD', id, nowMs);
  }

  dealCreated(id: number, stageId: string, nowMs: number): void {
    this.history.record('deal', id, stageId, nowMs, true);
    this.events.emit('ONCRMDEALADD', id, nowMs);
  }

  /** A lead simple mode converted as it was added: its move to CONVERTED and its new deal. */
  leadConvertedOnAdd(leadId: number, crm: CrmEntities, nowMs: number): void {
    this.history.record('lead', leadId, 'CONVERTED', nowMs, false);
    const deal = crm.all('deal').find((d) => d.LEAD_ID === String(leadId));
    if (deal) this.dealCreated(Number(deal.ID), String(deal.STAGE_ID), nowMs);
  }

  /**
   * Moves a lead or a deal to a stage at `atMs` (default now; a past time stands for a move made
   * while the events were not heard). Throws StageMoveError for an unknown record or stage.
   */
  move(target: { store: LeadStore; crm: CrmEntities; userId: number }, entity: StagedEntity, id: number, stageId: string, atMs: number): void {
    if (entity === 'lead') {
      const lead = target.store.get(id);
      if (!lead) throw new StageMoveError(`no lead ${id}`);
      if (!LEAD_STATUS_IDS.has(stageId)) throw new StageMoveError(`unknown lead status ${stageId}`);
      const record = lead.record as Record<string, unknown>;
      record.STATUS_ID = stageId;
      record.STATUS_SEMANTIC_ID = leadStatusSemantic(stageId);
      record.DATE_MODIFY = formatAtom(atMs);
      this.history.record('lead', id, stageId, atMs, false);
      this.events.emit('ONCRMLEADUPDATE', id, atMs);
      if (stageId === 'CONVERTED' && !target.crm.all('deal').some((d) => d.LEAD_ID === String(id))) {
        convertLead(lead, target.crm, target.userId, atMs);
        record.STATUS_ID = 'CONVERTED';
        const deal = target.crm.all('deal').find((d) => d.LEAD_ID === String(id));
        if (deal) this.dealCreated(Number(deal.ID), String(deal.STAGE_ID), atMs);
      }
      return;
    }
    const deal = target.crm.get('deal', id);
    if (!deal) throw new StageMoveError(`no deal ${id}`);
    if (!DEAL_STAGE_IDS.has(stageId.replace(/^C\d+:/, ''))) throw new StageMoveError(`unknown deal stage ${stageId}`);
    deal.STAGE_ID = stageId;
    deal.DATE_MODIFY = formatAtom(atMs);
    deal.MOVED_TIME = formatAtom(atMs);
    this.history.record('deal', id, stageId, atMs, false);
    this.events.emit('ONCRMDEALUPDATE', id, atMs);
  }

  reset(): void {
    this.history.reset();
    this.events.reset();
  }
}
