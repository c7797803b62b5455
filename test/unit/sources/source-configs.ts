import Ajv from 'ajv';
import configSchema from '../../../schemas/config.schema.json';
import type { GoogleSourceConfig, MetaSourceConfig, PartnerConfig, SourcesConfig } from '../../../src/config/sources-config';

/** Builds `sources` the way the config loader does: config.schema.json's `sources` with defaults applied. */
export function buildSources(raw: unknown): SourcesConfig {
  const ajv = new Ajv({ useDefaults: true, strict: true, allErrors: true, allowUnionTypes: true });
  const validate = ajv.compile({
    type: 'object',
    properties: { sources: configSchema.properties.sources },
    definitions: configSchema.definitions,
  });
  const data = { sources: structuredClone(raw) };
  if (!validate(data)) throw new Error(JSON.stringify(validate.errors));
  return data.sources as SourcesConfig;
}

export const PAGE_ID = '1234567890123456789';
export const PAGE_TOKEN = 'EAAB-page-token';

export function metaConfig(overrides: Record<string, unknown> = {}): MetaSourceConfig {
  const meta = buildSources({ meta: { appSecret: 'app-secret', verifyToken: 'verify-me', pages: { [PAGE_ID]: { accessToken: PAGE_TOKEN } }, ...overrides } }).meta;
  if (!meta) throw new Error('no meta config');
  return meta;
}

export function googleConfig(overrides: Record<string, unknown> = {}): GoogleSourceConfig {
  const google = buildSources({ google: { keys: ['test-google-key-0001'], ...overrides } }).google;
  if (!google) throw new Error('no google config');
  return google;
}

export function partnerConfig(overrides: Record<string, unknown> = {}): PartnerConfig {
  const partner = buildSources({ partners: { acme: { keyHashes: ['0'.repeat(64)], ...overrides } } }).partners.acme;
  if (!partner) throw new Error('no partner config');
  return partner;
}

export const IDENTITY = { id: 'lg_m1abcdef0123456789abcdef', receivedAt: '2026-03-01T10:15:01.000Z' };
