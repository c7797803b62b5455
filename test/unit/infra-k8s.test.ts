import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { buildConfig } from '../../src/config/load-config';

/** infra/k8s: manifests that deploy what leadgate is, checked against its own config and env names. */
const dir = join(__dirname, '../../infra/k8s');
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> };
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const docs: Doc[] = files
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${f}: ${d.errors[0]!.message}`);
    return d.toJS() as Doc;
  }));
const one = (kind: string, name: string): Doc => {
  const found = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const secret = one('Secret', 'leadgate');
const configMap = one('ConfigMap', 'leadgate');
const config = buildConfig(parse(configMap.data!['leadgate.yaml']!), secret.stringData!);
const deployments = { api: one('Deployment', 'leadgate-api'), worker: one('Deployment', 'leadgate-worker') };

describe('Kubernetes manifests (infra/k8s)', () => {
  it('kustomization.yaml applies every manifest in the directory', () => {
    const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('has API and worker Deployments, a Service, an HPA for the API, PDBs, a ConfigMap and a Secret', () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'ConfigMap/leadgate', 'Deployment/leadgate-api', 'Deployment/leadgate-worker', 'HorizontalPodAutoscaler/leadgate-api',
      'PodDisruptionBudget/leadgate-api', 'PodDisruptionBudget/leadgate-worker', 'Secret/leadgate', 'Service/leadgate-api',
    ]);
    expect(one('HorizontalPodAutoscaler', 'leadgate-api').spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'leadgate-api' });
  });

  it('the ConfigMap is a valid leadgate configuration once the Secret\'s values fill its ${VARS}', () => {
    expect(config.destinations.main?.webhookUrl).toBe(secret.stringData!.BITRIX24_WEBHOOK_URL);
    expect(config.http.operations.token).toBe(secret.stringData!.OPERATIONS_TOKEN);
  });

  it('selectors match their pods\' labels, and the Service sends traffic to the intake port only', () => {
    const api = deployments.api.spec.template;
    for (const d of Object.values(deployments)) expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    expect(api.metadata.labels).toMatchObject(one('Service', 'leadgate-api').spec.selector);
    expect(api.metadata.labels).toMatchObject(one('PodDisruptionBudget', 'leadgate-api').spec.selector.matchLabels);
    expect(deployments.worker.spec.template.metadata.labels).toMatchObject(one('PodDisruptionBudget', 'leadgate-worker').spec.selector.matchLabels);
    const http = api.spec.containers[0].ports.find((p: { name: string }) => p.name === 'http');
    expect(http.containerPort).toBe(config.http.port);
    expect(one('Service', 'leadgate-api').spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['http']);
  });

  describe.each(Object.entries(deployments))('%s Deployment', (role, deployment) => {
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const port = (name: string) => container.ports.find((p: { name: string }) => p.name === name)?.containerPort;

    it(`runs \`leadgate ${role}\` with the ConfigMap as its config file`, () => {
      expect(container.args).toEqual([role]);
      const configFile = container.env.find((e: { name: string }) => e.name === 'LEADGATE_CONFIG').value as string;
      const mount = container.volumeMounts.find((m: { mountPath: string }) => configFile.startsWith(`${m.mountPath}/`));
      expect(pod.volumes.find((v: { name: string }) => v.name === mount.name).configMap.name).toBe('leadgate');
    });

    it('probes /healthz (liveness) and /readyz (readiness) on the port that serves them', () => {
      const operations = role === 'api' ? config.http.operations.port : config.worker.port;
      expect(port(container.livenessProbe.httpGet.port)).toBe(operations);
      expect(port(container.readinessProbe.httpGet.port)).toBe(operations);
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    });

    it('gives a stopping process longer than delivery.shutdownTimeoutMs (plus preStop and 10 s margin)', () => {
      const preStop = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(config.delivery.shutdownTimeoutMs / 1000 + preStop + 10);
    });

    it('runs as the image\'s unprivileged user on a read-only root filesystem, with resources', () => {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(container.resources.requests).toHaveProperty('cpu');
      expect(container.resources.limits).toHaveProperty('memory');
    });

    it('takes every variable from the Secret `leadgate`, by the names leadgate reads', () => {
      const loadConfig = readFileSync(join(__dirname, '../../src/config/load-config.ts'), 'utf8') + readFileSync(join(__dirname, '../../src/config/redis-config.ts'), 'utf8');
      const fromSecret = container.env.filter((e: { valueFrom?: unknown }) => e.valueFrom);
      for (const e of fromSecret) {
        expect(e.valueFrom.secretKeyRef).toEqual({ name: 'leadgate', key: e.name });
        expect(Object.keys(secret.stringData!)).toContain(e.name);
      }
      const names = fromSecret.map((e: { name: string }) => e.name);
      // Read by leadgate itself (env.X) or by the ConfigMap (${X}); none is set for nothing.
      for (const name of names) expect(loadConfig.includes(`env.${name}`) || configMap.data!['leadgate.yaml']!.includes(`\${${name}}`)).toBe(true);
      expect(names).toEqual(expect.arrayContaining(['REDIS_URL', 'BITRIX24_WEBHOOK_URL', 'ADMIN_TOKEN']));
      expect(loadConfig).toMatch(/env\.REDIS_URL/);
      expect(loadConfig).toMatch(/env\.BITRIX24_WEBHOOK_URL/);
      expect(loadConfig).toMatch(/env\.ADMIN_TOKEN/);
    });
  });

  it('the API keeps its intake spool on a writable emptyDir, since the root filesystem is read-only', () => {
    const container = deployments.api.spec.template.spec.containers[0];
    const mount = container.volumeMounts.find((m: { mountPath: string }) => `${config.intake.spool.directory}/`.startsWith(`${m.mountPath}/`));
    expect(mount).toBeDefined();
    expect(deployments.api.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name)).toHaveProperty('emptyDir');
  });
});
