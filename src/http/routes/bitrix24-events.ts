import express, { Router } from 'express';
import type { ConversionsConfig } from '../../config/conversions-config';
import type { ConversionQueues } from '../../queue/conversion-queues';
import type { CrmEntity, ReadCrmRecordJob } from '../../queue/conversion-jobs';
import { QueueUnavailableError } from '../../queue/lead-queue';
import { conversionMetrics } from '../../shared/conversion-metrics';
import type { Metrics } from '../../shared/metrics';
import { safeEqual } from '../../shared/safe-equal';
import { HttpError, queueUnavailable } from '../http-error';

export const BITRIX24_EVENTS_PATH = '/v1/webhooks/bitrix24/:destination';

/** The outgoing events that can move a lead along its funnel, and what they name. */
const EVENTS: ReadonlyMap<string, CrmEntity> = new Map([
  ['ONCRMLEADADD', 'lead'],
  ['ONCRMLEADUPDATE', 'lead'],
  ['ONCRMDEALADD', 'deal'],
  ['ONCRMDEALUPDATE', 'deal'],
]);

export interface Bitrix24EventsDeps {
  conversions?: ConversionsConfig;
  queues: Pick<ConversionQueues, 'enqueueRead'>;
  metrics: Metrics;
}

const own = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;

/**
 * Bitrix24's outgoing events (form-encoded, PHP bracket keys): `event`, `data[FIELDS][ID]` and
 * `auth[application_token]`, the one secret the portal sends. Only the record id arrives, so the
 * answer is quick and a worker reads the record. Bitrix24 does not resend a failed event: what is
 * lost here is found by the sweep.
 */
export function bitrix24EventsRouter(deps: Bitrix24EventsDeps): Router {
  const router = Router();
  router.post(
    BITRIX24_EVENTS_PATH,
    (req, res, next) => {
      res.locals.source = 'bitrix24';
      const destination = String(req.params.destination);
      const settings = deps.conversions && Object.hasOwn(deps.conversions.destinations, destination) ? deps.conversions.destinations[destination] : undefined;
      if (!settings) throw new HttpError(404, 'unknown_destination', 'no conversions.destinations entry for this destination');
      if (!req.is('application/x-www-form-urlencoded')) throw new HttpError(415, 'unsupported_media_type', 'Bitrix24 events are application/x-www-form-urlencoded');
      res.locals.applicationToken = settings.applicationToken;
      next();
    },
    express.urlencoded({ extended: true, limit: '64kb', parameterLimit: 200 }),
    async (req, res) => {
      const body: unknown = req.body;
      const token = own(own(body, 'auth'), 'application_token');
      if (typeof token !== 'string' || !safeEqual(token, res.locals.applicationToken as string)) {
        throw new HttpError(401, 'invalid_application_token', 'auth[application_token] is missing or not this portal\'s');
      }
      const event = own(body, 'event');
      const rawId = own(own(own(body, 'data'), 'FIELDS'), 'ID');
      if (typeof event !== 'string' || event === '') throw new HttpError(400, 'invalid_event', 'the body has no event name');
      const entity = EVENTS.get(event.toUpperCase());
      if (!entity) {
        // A valid event this loop does not need (the handler may be bound to more): nothing to do.
        res.status(200).json({ status: 'ignored', event: event.slice(0, 64) });
        return;
      }
      if (typeof rawId !== 'string' || !/^[1-9][0-9]{0,17}$/.test(rawId)) throw new HttpError(400, 'invalid_event', 'data[FIELDS][ID] must be a record id');
      const destination = String(req.params.destination);
      const job: ReadCrmRecordJob = { v: 1, destination, entity, id: Number(rawId), trigger: event.toUpperCase(), receivedAt: new Date().toISOString() };
      try {
        await deps.queues.enqueueRead(job);
      } catch (err) {
        if (err instanceof QueueUnavailableError) throw queueUnavailable('the event could not be stored; the sweep will find the change later');
        throw err;
      }
      conversionMetrics(deps.metrics).crmEvents.inc({ destination, event: job.trigger });
      res.status(202).json({ status: 'queued' });
    },
  );
  return router;
}
