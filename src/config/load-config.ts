import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import schema from '../../schemas/config.schema.json';
import type { Config } from './config';
import { dealDestinationProblems } from './deal-config';
import { conversionsConfigProblems } from './conversions-config';
import { interpolate } from './interpolate';
import { redisConfigProblems, redisFromEnv } from './redis-config';
import { resolveWebhook, type RawWebhookConfig } from './webhook-config';
import { allowedIpsProblems } from './allowed-ips';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

// Defaults and integer coercion (env values are strings) are applied by the schema itself.
const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true, strict: true, allowUnionTypes: true });
const validateConfig = ajv.compile(schema);

const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

function describe(error: ErrorObject): string {
  const path = error.instancePath || '/';
  if (error.propertyName !== undefined) {
    // A key that fails propertyNames (a webhook's field path, a name): the path names the key itself.
    return `${error.instancePath}/${escapePointer(error.propertyName)}: is not an allowed name (${error.message ?? 'invalid'})`;
  }
  if (error.keyword === 'additionalProperties') {
    return `${path}: unknown property "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (error.keyword === 'required') {
    return `${path}: missing required property "${(error.params as { missingProperty: string }).missingProperty}"`;
  }
  if (error.keyword === 'false schema') return `${path}: is not allowed here (it belongs to another type)`;
  if (error.keyword === 'enum') {
    return `${path}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  }
  return `${path}: ${error.message ?? 'is invalid'}`;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

/** `META_PAGE_TOKENS=pageId:token,pageId:token` → `{ pageId: { accessToken } }`. */
function metaPagesFromEnv(value: string | undefined): Record<string, { accessToken: string }> {
  const pages: Record<string, { accessToken: string }> = {};
  for (const [index, item] of list(value).entries()) {
    const colon = item.indexOf(':');
    const pageId = colon > 0 ? item.slice(0, colon).trim() : '';
    const accessToken = colon > 0 ? item.slice(colon + 1).trim() : '';
    if (!/^[0-9]{1,32}$/.test(pageId) || !accessToken) {
      // Never echo the item: it holds a token.
      throw new ConfigError([`META_PAGE_TOKENS: entry ${index + 1} must be PAGE_ID:TOKEN (digits, a colon, the Page access token)`]);
    }
    pages[pageId] = { accessToken };
  }
  return pages;
}

/** `sources` from META_* and GOOGLE_LEAD_KEYS; a source none of whose variables is set stays off. */
function sourcesFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const sources: Record<string, unknown> = {};
  if (env.META_APP_SECRET || env.META_VERIFY_TOKEN || env.META_PAGE_TOKENS) {
    sources.meta = {
      ...(env.META_APP_SECRET ? { appSecret: env.META_APP_SECRET } : {}),
      ...(env.META_VERIFY_TOKEN ? { verifyToken: env.META_VERIFY_TOKEN } : {}),
      ...(env.META_APP_ID ? { appId: env.META_APP_ID } : {}),
      ...(env.META_GRAPH_URL ? { graphUrl: env.META_GRAPH_URL } : {}),
      pages: metaPagesFromEnv(env.META_PAGE_TOKENS),
    };
  }
  const googleKeys = list(env.GOOGLE_LEAD_KEYS);
  if (googleKeys.length > 0) sources.google = { keys: googleKeys };
  return sources;
}

/** Raw config from environment variables alone: one destination, any form id, default mapping. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    redis: redisFromEnv(env),
    http: { port: env.PORT ?? 8080, ...(env.API_PROCESSES ? { processes: env.API_PROCESSES === 'auto' ? 'auto' : env.API_PROCESSES } : {}), ...(env.OPERATIONS_TOKEN ? { operations: { token: env.OPERATIONS_TOKEN } } : {}) },
    worker: { port: env.WORKER_PORT ?? 8081 },
    admin: { ...(env.ADMIN_TOKEN ? { token: env.ADMIN_TOKEN } : {}), ...(env.ADMIN_PORT ? { port: env.ADMIN_PORT } : {}) },
    delivery: {},
    destinations: env.BITRIX24_WEBHOOK_URL ? { main: { webhookUrl: env.BITRIX24_WEBHOOK_URL } } : {},
    forms: {},
    acceptAnyForm: true,
    sources: sourcesFromEnv(env),
  };
  return raw;
}

/** Every destination a source names (its own, a page's, a form's, a partner's), with where it is named. */
function sourceDestinations(config: Config): Array<[path: string, destination: string]> {
  const sources = config.sources;
  if (!sources) return [];
  const named: Array<[string, string]> = [];
  if (sources.meta) {
    named.push(['/sources/meta/destination', sources.meta.destination]);
    for (const [pageId, page] of Object.entries(sources.meta.pages)) {
      if (page.destination) named.push([`/sources/meta/pages/${pageId}/destination`, page.destination]);
      for (const [formId, form] of Object.entries(page.forms ?? {})) {
        if (form.destination) named.push([`/sources/meta/pages/${pageId}/forms/${formId}/destination`, form.destination]);
      }
    }
  }
  if (sources.google) {
    named.push(['/sources/google/destination', sources.google.destination]);
    for (const [formId, form] of Object.entries(sources.google.forms)) {
      if (form.destination) named.push([`/sources/google/forms/${formId}/destination`, form.destination]);
    }
  }
  for (const [name, partner] of Object.entries(sources.partners)) named.push([`/sources/partners/${name}/destination`, partner.destination]);
  if (sources.linkedin) named.push(['/sources/linkedin/destination', sources.linkedin.destination]);
  if (sources.tiktok) named.push(['/sources/tiktok/destination', sources.tiktok.destination]);
  for (const [name, hook] of Object.entries(sources.webhooks ?? {})) named.push([`/sources/webhooks/${name}/destination`, hook.destination]);
  return named;
}

function sourceDestinationProblems(config: Config): string[] {
  const have = Object.keys(config.destinations).join(', ') || 'none';
  return sourceDestinations(config)
    .filter(([, destination]) => !config.destinations[destination])
    .map(([path, destination]) => `${path}: no destination named "${destination}" (have: ${have})`);
}

function crossCheck(config: Config): string[] {
  const problems: string[] = [...redisConfigProblems(config.redis)];
  for (const [id, form] of Object.entries(config.forms)) {
    if (!config.destinations[form.destination]) {
      problems.push(`/forms/${id}/destination: no destination named "${form.destination}" (have: ${Object.keys(config.destinations).join(', ') || 'none'})`);
    }
  }
  problems.push(...sourceDestinationProblems(config));
  problems.push(...dealDestinationProblems(config));
  problems.push(...conversionsConfigProblems(config.conversions, Object.keys(config.destinations)));
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    problems.push(`/http/headersTimeoutMs: must not exceed http.requestTimeoutMs (${config.http.requestTimeoutMs})`);
  }
  const names = config.admin.operators.map((o) => o.name);
  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`/admin/operators: the name "${name}" is used twice; the audit log could not tell them apart`);
  const adminPort = config.admin.port;
  if (adminPort && (adminPort === config.http.port || adminPort === config.http.operations.port)) {
    problems.push(`/admin/port: ${adminPort} is already http.port or http.operations.port; the console needs a port of its own`);
  }
  if (config.acceptAnyForm && !config.destinations.main) {
    problems.push('/destinations/main: required when any form id is accepted (set BITRIX24_WEBHOOK_URL)');
  }
  return problems;
}

/** Presets filled in, each entry's combinations checked: the routes read finished settings. */
function resolveWebhooks(config: Config): string[] {
  const problems: string[] = [];
  const hooks = config.sources?.webhooks;
  if (!hooks) return problems;
  for (const [name, raw] of Object.entries(hooks)) {
    const resolved = resolveWebhook(name, raw as unknown as RawWebhookConfig, problems);
    problems.push(...allowedIpsProblems(resolved.allowedIps, `/sources/webhooks/${name}/allowedIps`));
    hooks[name] = resolved;
  }
  return problems;
}

export function buildConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const data = structuredClone(interpolate(raw, env));
  if (!validateConfig(data)) {
    // "property name must be valid" and "must match then schema" only repeat the problems found inside.
    throw new ConfigError((validateConfig.errors ?? []).filter((e) => e.keyword !== 'propertyNames' && e.keyword !== 'if').map(describe));
  }
  const config = data as unknown as Config;
  const problems = [...resolveWebhooks(config), ...crossCheck(config)];
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/**
 * The one place configuration is read: `--config`/LEADGATE_CONFIG names a YAML file, otherwise the
 * environment alone describes a single-portal setup.
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.LEADGATE_CONFIG;
  if (!file) {
    if (!env.BITRIX24_WEBHOOK_URL) {
      throw new ConfigError(['no configuration: set BITRIX24_WEBHOOK_URL (https://PORTAL/rest/USER_ID/CODE/), or give a YAML file with --config or LEADGATE_CONFIG']);
    }
    return buildConfig(configFromEnv(env), env);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read ${file}: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${file}: YAML syntax error: ${(err as Error).message}`]);
  }
  if (raw === null || typeof raw !== 'object') throw new ConfigError([`${file}: expected a mapping at the top level`]);
  return buildConfig(raw, env);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
