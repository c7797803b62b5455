/**
 * The CRM around one destination's crm.lead.add: its mode (read once at start, again after a
 * failure), what a lead became on a converting portal, and returning customers before the add.
 */
import type { Bitrix24Client } from '../clients/bitrix24/bitrix24-client';
import { findConversions, readCrmMode, type CrmMode } from '../clients/bitrix24/crm-lookups';
import type { Config } from '../config/config';
import { duplicatesFor } from '../config/duplicates-for';
import type { Lead, LeadFields } from '../lead/lead';
import type { LeadLedger } from '../queue/lead-ledger';
import type { Logger } from '../shared/logger';
import type { PortalDispatcher } from './portal-dispatcher';
import { resolveReturningCustomer, type Resolution } from './returning-customers';

export interface CrmSteps {
  /** Before the add: a returning customer is attached to their contact, or their open lead gets a comment. */
  prepare(lead: Lead, fields: LeadFields, reconcileFirst: boolean): Promise<Resolution>;
  /** After the add: on a simple-mode portal, records the deal and contact the lead was converted into. */
  afterCreate(leadId: string, bitrixLeadId: number): Promise<void>;
  /** Reads the mode now (worker start); a failure is logged and asked again at the next lead. */
  detectMode(): Promise<CrmMode | undefined>;
}

export function createCrmSteps(deps: {
  config: Config;
  destination: string;
  dispatcher: Pick<PortalDispatcher, 'send'>;
  client: Pick<Bitrix24Client, 'call'>;
  ledger: Pick<LeadLedger, 'markUnsure' | 'recordCrmOutcome' | 'decideReturning'>;
  logger: Logger;
}): CrmSteps {
  const { dispatcher, client, ledger, logger, destination } = deps;
  let mode: Promise<CrmMode> | undefined;

  const currentMode = (): Promise<CrmMode> => {
    mode ??= dispatcher.send('crm.settings.mode.get', (signal) => readCrmMode(client, signal)).then(
      (m) => {
        logger.info({ destination, crmMode: m }, m === 'simple' ? 'portal in simple CRM mode: leads are converted into deals and contacts at once' : 'portal in classic CRM mode');
        return m;
      },
      (err: unknown) => {
        mode = undefined;
        throw err;
      },
    );
    return mode;
  };

  return {
    async detectMode() {
      try {
        return await currentMode();
      } catch (err) {
        logger.warn({ destination, err: (err as Error).message }, 'cannot read the CRM mode; asking again with the next lead');
        return undefined;
      }
    },

    async prepare(lead, fields, reconcileFirst) {
      const policy = duplicatesFor(deps.config, lead.source);
      if (!policy) return { kind: 'create', fields };
      return resolveReturningCustomer(
        { send: dispatcher.send.bind(dispatcher), client, markUnsure: (ids) => ledger.markUnsure(ids), decide: (id, d) => ledger.decideReturning(id, d) },
        { lead, fields, policy, reconcileFirst, entity: deps.config.destinations[destination]?.entity ?? 'lead' },
      );
    },

    async afterCreate(leadId, bitrixLeadId) {
      // The lead is delivered whatever happens here: a failed lookup only leaves the deal unrecorded.
      try {
        if ((await currentMode()) !== 'simple') return;
        const found = await dispatcher.send('crm.deal.list', (signal) => findConversions(client, [bitrixLeadId], signal));
        const conversion = found.get(bitrixLeadId);
        if (conversion) await ledger.recordCrmOutcome(leadId, conversion);
      } catch (err) {
        logger.warn({ leadId, destination, err: (err as Error).message }, 'cannot look up what the portal converted the lead into');
      }
    },
  };
}
