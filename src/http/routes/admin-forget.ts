import express, { Router } from 'express';
import type { Config } from '../../config/config';
import { forgetPerson, type ForgetSpool } from '../../queue/forget-person';
import type { RedisClient } from '../../shared/redis-client';
import { requireAdmin } from '../admin-auth';
import { HttpError } from '../http-error';

const EMAIL_OR_PHONE = /^(?:[^\s@]+@[^\s@]+|\+?[0-9 ()./-]{5,40})$/;

/**
 * `POST /v1/admin/forget {"contact": "<email or phone>"}`: the admin endpoint of `leadgate forget`.
 * Answers what was removed, per kind, this process's intake spool included; the contact itself is never logged.
 */
export function adminForgetRouter(deps: { config: Config; redis: RedisClient; spool?: ForgetSpool }): Router {
  const { config } = deps;
  const router = Router();
  router.post('/v1/admin/forget', requireAdmin(config.admin.token), express.json({ limit: '1kb' }), async (req, res) => {
    const contact = (req.body as { contact?: unknown } | undefined)?.contact;
    if (typeof contact !== 'string' || !EMAIL_OR_PHONE.test(contact.trim())) {
      throw new HttpError(422, 'validation_failed', 'contact must be an email address or a phone number', [{ field: 'contact', message: 'an email or a phone is required' }]);
    }
    const report = await forgetPerson(
      {
        redis: deps.redis,
        prefix: config.redis.prefix,
        destinations: Object.keys(config.destinations),
        // This API process's own spool: leads it took while Redis was away and has not queued yet.
        ...(deps.spool ? { spool: deps.spool } : {}),
        retentionSeconds: Math.max(config.delivery.statusRetentionSeconds, config.delivery.deliveredRetentionSeconds),
      },
      contact,
    );
    res.json(report);
  });
  return router;
}
