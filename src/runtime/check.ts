import type { Config } from '../config/config';
import { configuredFieldUses } from '../config/field-uses';
import { createBitrix24Client } from '../clients/bitrix24/create-client';
import { readCrmMode } from '../clients/bitrix24/crm-lookups';
import { assignedUsers, assigneeProblems } from './check-assignees';
import { checkDealDestination } from './check-deal';
import { conversionStageProblems } from './check-conversions';
import { ServiceAccountTokens } from '../clients/google-ads/service-account-token';
import { leadFieldProblems } from './check-fields';
import { describeRedis } from '../config/redis-config';
import { createRedis, waitForRedis } from '../queue/redis-connection';
import { LinkedInTokens } from '../clients/linkedin/linkedin-tokens';
import { introspectLinkedInToken } from '../clients/linkedin/introspect-token';

const LEADGEN_SCOPE = 'r_marketing_leadgen_automation';

/**
 * `leadgate check`: what a new setup gets wrong, found before the first lead is lost: Redis
 * unreachable, a webhook URL or token the portal refuses, a mapped field the portal does not have
 * (Bitrix24 drops such values without an error), a SOURCE_ID or STATUS_ID it does not know, a
 * static value a list field does not offer, a required field nothing fills, an assigned user who
 * does not exist or was dismissed, a LinkedIn token that is not active or lacks the lead scope.
 * Returns false when anything failed.
 */
export async function runCheck(config: Config, out: (line: string) => void = console.log): Promise<boolean> {
  let ok = true;
  const fail = (line: string): void => {
    ok = false;
    out(`✗ ${line}`);
  };
  // One-shot: no reconnect loop to outlive the check when Redis is down.
  const redis = createRedis(config.redis, 'worker', { retryStrategy: () => null });
  try {
    try {
      await waitForRedis(redis, 3000);
      await redis.ping();
      out(`✓ redis ${describeRedis(config.redis)} answers (prefix ${config.redis.prefix})`);
    } catch (err) {
      fail(`redis ${describeRedis(config.redis)}: ${(err as Error).message}`);
      return false;
    }

    const { fields, statuses } = configuredFieldUses(config);
    const assignees = assignedUsers(config);
    for (const [name, target] of Object.entries(config.destinations)) {
      const client = createBitrix24Client(name, target, { redis, prefix: config.redis.prefix });
      let known: Record<string, unknown>;
      try {
        known = await client.call<Record<string, unknown>>('crm.lead.fields', {});
      } catch (err) {
        fail(`destination ${name}: ${(err as Error).message}`);
        continue;
      }
      out(`✓ destination ${name}: the portal answers crm.lead.fields (${Object.keys(known).length} lead fields)`);
      try {
        const mode = await readCrmMode(client);
        out(`✓ destination ${name}: CRM mode ${mode}`);
        // leadgate writes leads; such a portal turns each into a contact + deal at once (when it has a first name).
        if (mode === 'simple' && target.entity !== 'deal') out(`⚠ destination ${name}: simple CRM mode (no leads): every lead with a first name is converted at once into a contact and a deal; leadgate records the deal and contact in the lead's status`);
      } catch (err) {
        fail(`destination ${name}: crm.settings.mode.get: ${(err as Error).message}`);
      }
      if (target.entity === 'deal') await checkDealDestination(client, config, name, target, { ok: (l) => out(`✓ ${l}`), warn: (l) => out(`⚠ ${l}`), fail });
      else {
        for (const use of fields.filter((f) => f.destination === name)) {
          if (!(use.code in known)) fail(`destination ${name}: lead field ${use.code} (${use.usedBy}) does not exist on this portal; Bitrix24 would silently drop its value`);
        }
        for (const problem of leadFieldProblems(config, name, known)) fail(`destination ${name}: ${problem}`);
      }
      const users = assignees.get(name);
      if (users) {
        try {
          const { problems, checked, unchecked } = await assigneeProblems(client, users);
          for (const problem of problems) fail(`destination ${name}: ${problem}`);
          if (unchecked) out(`⚠ destination ${name}: ${unchecked}`);
          else if (problems.length === 0) out(`✓ destination ${name}: ${checked} assigned user(s) exist and are active`);
        } catch (err) {
          fail(`destination ${name}: user.get: ${(err as Error).message}`);
        }
      }
      const conversions = config.conversions;
      if (conversions && Object.hasOwn(conversions.destinations, name)) {
        const { problems, confirmed } = await conversionStageProblems(client, conversions);
        for (const problem of problems) fail(`destination ${name}: ${problem}`);
        if (problems.length === 0) out(`✓ destination ${name}: ${confirmed} mapped status(es)/stage(s) exist on the portal (conversions)`);
      }
      // A lead STATUS_ID has no place on a deal (it goes to the deal's comments): only SOURCE_ID matters there.
      for (const entity of target.entity === 'deal' ? (['SOURCE'] as const) : (['SOURCE', 'STATUS'] as const)) {
        const wanted = statuses.filter((s) => s.destination === name && s.entity === entity);
        if (wanted.length === 0) continue;
        try {
          const items = await client.call<Array<{ STATUS_ID: string }>>('crm.status.list', { filter: { ENTITY_ID: entity } });
          const values = new Set(items.map((i) => i.STATUS_ID));
          for (const use of wanted) {
            if (!values.has(use.value)) fail(`destination ${name}: ${entity === 'SOURCE' ? 'SOURCE_ID' : 'STATUS_ID'} "${use.value}" (${use.usedBy}) is not one of the portal's: ${[...values].join(', ')}`);
          }
        } catch (err) {
          fail(`destination ${name}: crm.status.list ${entity}: ${(err as Error).message}`);
        }
      }
    }
    const linkedin = config.sources?.linkedin;
    if (linkedin) {
      try {
        // The token the workers use now: a refreshed one in Redis wins over the config's.
        const token = await new LinkedInTokens(redis, config.redis.prefix, linkedin).current();
        const status = await introspectLinkedInToken({ tokenUrl: linkedin.tokenUrl, clientId: linkedin.clientId, clientSecret: linkedin.clientSecret, token, timeoutMs: linkedin.timeoutMs });
        const days = status.expiresAt !== undefined ? Math.floor((status.expiresAt * 1000 - Date.now()) / 86_400_000) : undefined;
        if (!status.active) {
          if (linkedin.refreshToken) out(`⚠ linkedin: the access token is ${status.status ?? 'not active'}; the workers refresh it with the refresh token on the first read`);
          else fail(`linkedin: the access token is ${status.status ?? 'not active'} and no refreshToken is configured: put a new sources.linkedin.accessToken in the config`);
        } else if (status.scope !== undefined && !status.scope.split(/[ ,]+/).includes(LEADGEN_SCOPE)) {
          fail(`linkedin: the token lacks ${LEADGEN_SCOPE} (has ${status.scope}); lead responses cannot be read`);
        } else {
          out(`✓ linkedin: the token is active${days !== undefined ? `, expires in ${days} days` : ''}`);
          if (days !== undefined && days < 7 && !linkedin.refreshToken) out(`⚠ linkedin: the token expires within 7 days and no refreshToken is configured`);
        }
      } catch (err) {
        fail(`linkedin: ${(err as Error).message}`);
      }
    }
    // Google conversions: the service account must sign in before the first conversion is due.
    const google = config.conversions?.google;
    if (google?.serviceAccount) {
      try {
        await new ServiceAccountTokens(google.serviceAccount, google.timeoutMs).token();
        out(`✓ conversions.google: the service account ${google.serviceAccount.clientEmail} signs in (Data Manager API scope)`);
      } catch (err) {
        fail(`conversions.google: ${(err as Error).message}`);
      }
    }
    out(ok ? 'all checks passed' : 'some checks failed');
    return ok;
  } finally {
    redis.disconnect();
  }
}
