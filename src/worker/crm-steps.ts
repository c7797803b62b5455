/**
 * The CRM around one destination's crm.lead.add: its mode (read once per worker, when the portal has
 * budget to spare), what a lead became on a converting portal, and returning customers before the add.
 */
import type { Bitrix24Client } from '../clients/bitrix24/bitrix24-client';
import { findConversions, readCrmMode, type CrmMode } from '../clients/bitrix24/crm-lookups';
import type { Config } from '../config/config';
import { duplicatesFor } from '../config/duplicates-for';
import type { Lead, LeadFields } from '../lead/lead';
import type { LeadLedger } from '../queue/lead-ledger';
import type { Logger } from '../shared/logger';
import { QueryLimitExceededError } from '../clients/delivery-errors';
import { LeadReleasedError, type PortalDispatcher } from './portal-dispatcher';

const sleepUnref = (ms: number): Promise<void> =>
  new Promise((r) => {
    setTimeout(r, ms).unref();
  });
import { resolveReturningCustomer, type Resolution } from './returning-customers';

export interface CrmSteps {
  /** Before the add: a returning customer is attached to their contact, or their open lead gets a comment. */
  prepare(lead: Lead, fields: LeadFields, reconcileFirst: boolean): Promise<Resolution>;
  /**
   * After the add: on a simple-mode portal, records the deal and contact the lead was converted into.
   * While the mode is not known yet the lead is remembered and looked up once it is (the job does not wait).
   */
  afterCreate(leadId: string, bitrixLeadId: number): Promise<void>;
  /**
   * Reads the mode (worker start) once the portal has budget to spare; a failure is logged and asked
   * again with the next lead.
   */
  detectMode(): Promise<CrmMode | undefined>;
}

/**
 * The mode read waits for spare budget at most this long: a portal whose queue never empties still
 * learns its mode (and leads created meanwhile are looked up) within a minute.
 */
export const MODE_READ_LATEST_MS = 60_000;
/** How often the mode read looks whether the portal has budget to spare. */
const IDLE_POLL_MS = 100;
/** Leads remembered for a conversion lookup while the mode is unknown (ids only, ~100 bytes each). */
const MAX_AWAITING_MODE = 20_000;
const LOOKUP_CHUNK = 50;

export function createCrmSteps(deps: {
  config: Config;
  destination: string;
  dispatcher: Pick<PortalDispatcher, 'send' | 'idle' | 'stopped'>;
  client: Pick<Bitrix24Client, 'call'>;
  ledger: Pick<LeadLedger, 'markUnsure' | 'recordCrmOutcome' | 'decideReturning'>;
  logger: Logger;
  /**
   * No lead of this destination waits in the queue (any process): a request now takes budget no
   * lead needs. Without it the portal counts as busy until `modeReadLatestMs`.
   */
  queueIdle?(): Promise<boolean>;
  modeReadLatestMs?: number;
}): CrmSteps {
  const { dispatcher, client, ledger, logger, destination } = deps;
  const latestMs = deps.modeReadLatestMs ?? MODE_READ_LATEST_MS;
  let known: CrmMode | undefined;
  let reading: Promise<CrmMode> | undefined;
  /** Leads created while the mode was unknown: looked up at once in 50s when it turns out simple. */
  let awaitingMode: Array<{ leadId: string; bitrixLeadId: number }> = [];

  /**
   * Spare budget: nothing waits or is out in this process's dispatcher and the queue is empty. Under
   * load every request is a batch of 50 leads; the mode read taking one of them would cost a whole
   * batch (2.5% of a standard portal's first 20 s after a start), so it waits for a lull.
   */
  const spareBudget = async (): Promise<boolean> => dispatcher.idle && (deps.queueIdle ? await deps.queueIdle().catch(() => false) : false);

  let firstRead = true;
  const readMode = (): Promise<CrmMode> => {
    reading ??= (async () => {
      if (firstRead) {
        firstRead = false;
        // At start the read goes at once, as the worker's first request to the portal. With room in the
        // bucket it costs one request of the burst; into a bucket other apps keep full it is refused
        // (not counted by the portal) and teaches the mirror so before the first batch is sent, which
        // then goes one drain step later instead of being the one refused. Then it waits for spare budget.
        try {
          return await dispatcher.send('crm.settings.mode.get', (signal) => readCrmMode(client, signal), { refusedOnce: 'throw' });
        } catch (err) {
          if (!(err instanceof QueryLimitExceededError)) throw err;
        }
      }
      for (const deadline = Date.now() + latestMs; Date.now() < deadline && !dispatcher.stopped && !(await spareBudget()); ) await sleepUnref(IDLE_POLL_MS);
      return dispatcher.send('crm.settings.mode.get', (signal) => readCrmMode(client, signal));
    })().then(
      (m) => {
        known = m;
        logger.info({ destination, crmMode: m }, m === 'simple' ? 'portal in simple CRM mode: leads are converted into deals and contacts at once' : 'portal in classic CRM mode');
        void lookUpAwaiting();
        return m;
      },
      (err: unknown) => {
        reading = undefined;
        throw err;
      },
    );
    return reading;
  };

  const detectMode = async (): Promise<CrmMode | undefined> => {
    try {
      return await readMode();
    } catch (err) {
      if (err instanceof LeadReleasedError) return undefined; // shutting down
      logger.warn({ destination, err: (err as Error).message }, 'cannot read the CRM mode; asking again with the next lead');
      return undefined;
    }
  };

  /** The mode is known: on a simple portal the leads created before are looked up, 50 a request. */
  async function lookUpAwaiting(): Promise<void> {
    const leads = awaitingMode;
    awaitingMode = [];
    if (known !== 'simple') return;
    for (let i = 0; i < leads.length; i += LOOKUP_CHUNK) {
      const chunk = leads.slice(i, i + LOOKUP_CHUNK);
      try {
        const found = await dispatcher.send('crm.deal.list', (signal) => findConversions(client, chunk.map((l) => l.bitrixLeadId), signal));
        for (const lead of chunk) {
          const conversion = found.get(lead.bitrixLeadId);
          if (conversion) await ledger.recordCrmOutcome(lead.leadId, conversion);
        }
      } catch (err) {
        logger.warn({ destination, leads: chunk.length, err: (err as Error).message }, 'cannot look up what the portal converted the leads into');
      }
    }
  }

  return {
    detectMode,

    async prepare(lead, fields, reconcileFirst) {
      const policy = duplicatesFor(deps.config, lead.source);
      if (!policy) return { kind: 'create', fields };
      return resolveReturningCustomer(
        { send: dispatcher.send.bind(dispatcher), client, markUnsure: (ids) => ledger.markUnsure(ids), decide: (id, d) => ledger.decideReturning(id, d) },
        { lead, fields, policy, reconcileFirst, entity: deps.config.destinations[destination]?.entity ?? 'lead' },
      );
    },

    async afterCreate(leadId, bitrixLeadId) {
      if (known === undefined) {
        // Not known yet (read when the portal has budget to spare): looked up once it is.
        if (awaitingMode.length < MAX_AWAITING_MODE) awaitingMode.push({ leadId, bitrixLeadId });
        else logger.warn({ leadId, destination }, 'too many leads await the CRM mode; this one\'s conversion goes unrecorded');
        void detectMode();
        return;
      }
      // The lead is delivered whatever happens here: a failed lookup only leaves the deal unrecorded.
      try {
        if (known !== 'simple') return;
        const found = await dispatcher.send('crm.deal.list', (signal) => findConversions(client, [bitrixLeadId], signal));
        const conversion = found.get(bitrixLeadId);
        if (conversion) await ledger.recordCrmOutcome(leadId, conversion);
      } catch (err) {
        logger.warn({ leadId, destination, err: (err as Error).message }, 'cannot look up what the portal converted the lead into');
      }
    },
  };
}
