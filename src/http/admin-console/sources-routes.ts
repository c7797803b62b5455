import { Router, type Request, type Response } from 'express';
import { AuditLog } from '../../queue/audit-log';
import { keyFingerprint, PartnerKeyStore } from '../../queue/partner-keys';
import { generatePartnerKey } from '../../sources/partner/partner-auth';
import { HttpError } from '../http-error';
import { actorOf, auditRecorder } from './console-audit';
import type { ConsoleDeps } from './console-deps';
import { pageChrome, signedIn } from './console-session';
import { page } from './layout';
import { sourcesBody, type PartnerKeyView, type SourcesView } from './sources-page';

const HASH = /^[0-9a-f]{64}$/;
const NOTICES: Record<string, string> = { revoked: 'Revoked: requests with that key are refused from now on.' };

/**
 * Sources: copy-paste forms and snippet, the ad platforms' webhook addresses and tokens (shown on
 * request, audited), and partner keys: created here (shown once, stored as a hash in Redis) or
 * revoked, whether they came from config or from here.
 */
export function sourcesRoutes(deps: ConsoleDeps): Router {
  const { config } = deps;
  const router = Router();
  const keys = new PartnerKeyStore(deps.redis, config.redis.prefix);
  const record = auditRecorder(new AuditLog(deps.redis, config.redis.prefix));
  const partners = config.sources?.partners ?? {};

  /** Where sites and platforms reach the gateway: http.publicUrl, else this console's own origin (or the public server's, on a separate admin port). */
  const baseUrl = (req: Request) => (config.http.publicUrl ?? deps.publicUrl?.() ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');

  async function partnerKeys(): Promise<Record<string, PartnerKeyView[]>> {
    const { keys: stored, revoked } = await keys.list();
    const views: Record<string, PartnerKeyView[]> = {};
    for (const [name, partner] of Object.entries(partners)) {
      views[name] = [
        ...partner.keyHashes.map((hash) => hash.toLowerCase()).map((hash): PartnerKeyView => ({ hash, origin: 'config', ...(revoked.has(hash) ? { revoked: revoked.get(hash)! } : {}) })),
        ...stored.filter((k) => k.partner === name).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((k): PartnerKeyView => ({ hash: k.hash, origin: 'console', createdAt: k.createdAt, createdBy: k.createdBy })),
      ];
    }
    return views;
  }

  async function show(req: Request, res: Response, extra: Partial<SourcesView> = {}): Promise<void> {
    const csrf = signedIn(res).session.csrf;
    const done = typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined;
    const view: SourcesView = { baseUrl: baseUrl(req), showSecrets: false, partnerKeys: await partnerKeys(), csrf, ...extra };
    res.send(page({ title: 'Sources', section: 'sources', ...pageChrome(res), ...(done ? { notice: { text: done } } : {}) }, sourcesBody(config, view)));
  }

  router.get('/sources', (req, res) => show(req, res));

  router.post('/sources/reveal', async (req, res) => {
    await record(req, { action: 'reveal-tokens', target: 'sources', outcome: 'ok' });
    await show(req, res, { showSecrets: true });
  });

  router.post('/sources/partners/:name/keys', async (req, res) => {
    const name = String(req.params.name);
    if (!Object.hasOwn(partners, name)) throw new HttpError(404, 'not_found', `no partner ${name} in sources.partners`);
    const { key, hash } = generatePartnerKey();
    await keys.add({ hash, partner: name, createdBy: actorOf(req) });
    await record(req, { action: 'partner-key-created', target: `${name} ${keyFingerprint(hash)}`, outcome: 'ok' });
    // Rendered, not redirected: the key must not travel in a URL or be shown a second time.
    await show(req, res, { newKey: { partner: name, key, fingerprint: keyFingerprint(hash) } });
  });

  router.post('/sources/partners/:name/keys/:hash/revoke', async (req, res) => {
    const name = String(req.params.name);
    const hash = String(req.params.hash).toLowerCase();
    const partner = Object.hasOwn(partners, name) ? partners[name] : undefined;
    if (!partner || !HASH.test(hash)) throw new HttpError(404, 'not_found', `no partner ${name} or no such key`);
    const configKey = partner.keyHashes.some((h) => h.toLowerCase() === hash);
    const { stored } = await keys.lookup(hash);
    if (!configKey && stored?.partner !== name) throw new HttpError(404, 'not_found', `partner ${name} has no key ${keyFingerprint(hash)}`);
    await keys.revoke(hash, { revokedBy: actorOf(req), configKey });
    await record(req, { action: 'partner-key-revoked', target: `${name} ${keyFingerprint(hash)}`, outcome: 'ok' });
    res.redirect(303, '/admin/sources?done=revoked');
  });
  return router;
}
