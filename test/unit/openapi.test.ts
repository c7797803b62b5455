import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { parse } from 'yaml';
import { buildConfig } from '../../src/config/load-config';
import { createApp } from '../../src/http/app';
import type { Intake } from '../../src/http/intake';
import { createSourceRouters } from '../../src/http/source-routers';
import { adminForgetRouter } from '../../src/http/routes/admin-forget';
import { bitrix24EventsRouter } from '../../src/http/routes/bitrix24-events';
import { silentLogger } from '../../src/shared/logger';
import { Metrics } from '../../src/shared/metrics';

const SCHEMAS = join(__dirname, '../../schemas');
const DOC_ID = 'https://leadgate.dev/schemas/openapi.yaml';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Node = Record<string, unknown>;
const doc = parse(readFileSync(join(SCHEMAS, 'openapi.yaml'), 'utf8')) as Node;

/** The app as production builds it, with every source switched on; nothing touches Redis. */
function appWithAllSources(): Express {
  const config = buildConfig({
    redis: { url: 'redis://127.0.0.1:6379', prefix: 'openapi-test' },
    http: {},
    delivery: {},
    destinations: { main: { webhookUrl: 'https://portal.example/rest/1/abc/' } },
    forms: { contact: {} },
    admin: { token: 'admin' },
    sources: {
      meta: { appSecret: 'secret', verifyToken: 'verify', pages: { '1': { accessToken: 't' } } },
      google: { keys: ['google-key-0001'] },
      partners: { acme: { keyHashes: ['a'.repeat(64)] } },
      linkedin: { clientId: 'c', clientSecret: 'linkedin-secret', accessToken: 't' },
      tiktok: { secret: 'tiktok-secret' },
      webhooks: { landing: { preset: 'tilda', token: 'a-long-shared-token' } },
    },
    conversions: { destinations: { main: { applicationToken: 'app-token-1' } }, leadStatuses: { NEW: { meta: 'Lead' } }, meta: { datasetId: '1', accessToken: 't' } },
  }, {});
  // Rate-limit stores define their script at construction; a call that never settles keeps this offline.
  const redis = { call: () => new Promise(() => undefined), defineCommand: () => undefined } as unknown as Redis;
  const metrics = new Metrics();
  const intake: Intake = { metrics, logger: silentLogger, canSpool: false, accept: async () => 'queued', acceptMany: async () => 'queued', acceptFetchJobs: async () => 'queued', acceptLinkedInJobs: async () => 'queued' };
  const ledger = { get: async () => undefined };
  const unused = async (): Promise<never> => {
    throw new Error('not used');
  };
  const idempotency = { bind: unused };
  const sourceRouters = createSourceRouters({
    config,
    redis,
    intake,
    ledger,
    seen: { seenAmong: unused, remember: unused },
    idempotency,
  });
  const conversions = bitrix24EventsRouter({ conversions: config.conversions, queues: { enqueueRead: unused }, metrics });
  return createApp({ config, redis, intake, ledger, idempotency, metrics, logger: silentLogger, sourceRouters: [...sourceRouters, conversions, adminForgetRouter({ config, redis })] });
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD /path` the express app routes, in OpenAPI path syntax (`:id` → `{id}`). */
function registeredRoutes(app: Express): string[] {
  const found = new Set<string>();
  const walk = (stack: Layer[]): void => {
    for (const layer of stack) {
      if (layer.route) {
        const path = layer.route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') found.add(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...found].sort();
}

function documentedRoutes(): string[] {
  const routes: string[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Node>)) {
    for (const method of METHODS) if (item[method]) routes.push(`${method.toUpperCase()} ${path}`);
  }
  return routes.sort();
}

const pointer = (parts: string[]): string => `/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

interface Example {
  where: string;
  /** JSON pointer (inside the document) of the schema the example must satisfy. */
  schema: string;
  value: unknown;
}

/**
 * Every example in the document: `example` / `examples{…value}` beside a `schema` (media types,
 * parameters, headers), and `examples: [...]` inside a schema.
 */
function collectExamples(node: unknown, parts: string[], out: Example[]): Example[] {
  if (node === null || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    node.forEach((item, i) => collectExamples(item, [...parts, String(i)], out));
    return out;
  }
  const record = node as Node;
  if (record.schema !== undefined) {
    const schema = pointer([...parts, 'schema']);
    if ('example' in record) out.push({ where: pointer([...parts, 'example']), schema, value: record.example });
    if (record.examples && typeof record.examples === 'object' && !Array.isArray(record.examples)) {
      for (const [name, example] of Object.entries(record.examples as Record<string, Node>)) {
        const resolved = typeof example.$ref === 'string' ? resolveLocal(example.$ref) : example;
        if ('value' in resolved) out.push({ where: pointer([...parts, 'examples', name]), schema, value: resolved.value });
      }
    }
  }
  if (Array.isArray(record.examples)) {
    record.examples.forEach((value, i) => out.push({ where: pointer([...parts, 'examples', String(i)]), schema: pointer(parts), value }));
  }
  for (const [key, value] of Object.entries(record)) if (key !== 'example' && key !== 'examples') collectExamples(value, [...parts, key], out);
  return out;
}

function resolveLocal(ref: string): Node {
  if (!ref.startsWith('#/')) throw new Error(`not a local reference: ${ref}`);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = (node as Node)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) throw new Error(`unresolved reference ${ref}`);
  return node as Node;
}

/** The published JSON Schemas plus the OpenAPI document itself, so `./x.schema.json` and `#/components/…` refs resolve. */
function schemaValidator(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  for (const keyword of ['openapi', 'info', 'servers', 'tags', 'paths', 'components', 'security', 'jsonSchemaDialect', 'webhooks']) ajv.addKeyword(keyword);
  for (const file of readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Node);
  }
  ajv.addSchema({ ...doc, $id: DOC_ID });
  return ajv;
}

describe('schemas/openapi.yaml', () => {
  it('is an OpenAPI 3.1 document', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect((doc.info as Node).title).toBe('leadgate');
  });

  it('documents every route the app serves, and only those', () => {
    const registered = registeredRoutes(appWithAllSources());
    expect(registered).toEqual(expect.arrayContaining(['POST /v1/webhooks/meta', 'POST /v1/partners/leads/batch', 'GET /healthz']));
    expect(documentedRoutes()).toEqual(registered);
  });

  it('gives every operation an id, answers and a security decision, with every local $ref resolving', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node as Node)) {
        if (key === '$ref' && typeof value === 'string') refs.push(value);
        else walk(value);
      }
    };
    walk(doc);
    for (const ref of refs.filter((r) => r.startsWith('#/'))) expect(() => resolveLocal(ref)).not.toThrow();
    for (const ref of refs.filter((r) => !r.startsWith('#'))) expect(readdirSync(SCHEMAS)).toContain(ref.replace(/^\.\//, '').replace(/#.*$/, ''));

    const schemes = Object.keys((doc.components as Node).securitySchemes as Node);
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Node>)) {
      for (const method of METHODS) {
        const operation = item[method] as Node | undefined;
        if (!operation) continue;
        expect([path, method, typeof operation.operationId]).toEqual([path, method, 'string']);
        expect(ids.has(operation.operationId as string)).toBe(false);
        ids.add(operation.operationId as string);
        expect(Object.keys(operation.responses as Node).length).toBeGreaterThan(0);
        expect(Array.isArray(operation.security)).toBe(true);
        for (const requirement of operation.security as Node[]) for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
      }
    }
  });

  it('has examples that validate against their schemas', () => {
    const ajv = schemaValidator();
    const examples = collectExamples(doc, [], []);
    expect(examples.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const example of examples) {
      const validate = ajv.compile({ $ref: `${DOC_ID}#${example.schema}` });
      if (!validate(example.value)) failures.push(`${example.where}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(failures).toEqual([]);
  });

  it('reuses the published JSON Schemas, whose own examples validate', () => {
    const ajv = schemaValidator();
    for (const file of ['partner-lead.schema.json', 'google-lead.schema.json', 'meta-webhook.schema.json', 'form-submission.schema.json']) {
      expect(readFileSync(join(SCHEMAS, 'openapi.yaml'), 'utf8')).toContain(`./${file}`);
      const schema = JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as { $id: string; examples?: unknown[] };
      const validate = ajv.getSchema(schema.$id)!;
      for (const example of schema.examples ?? []) expect([file, validate(example)]).toEqual([file, true]);
    }
  });
});
