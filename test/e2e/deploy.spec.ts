/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are parsed YAML of any shape; the tests assert it. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { parseAllDocuments } from 'yaml';
import { toBrainConfig } from '../../src/config/brain.config';
import { EnvironmentVariables, validateEnvironment } from '../../src/config/environment';
import { createHttpAdapter } from '../../src/http-app';
import { labelNamesOf, metricFamilies } from '../support/prometheus-text';
import { familyOf, labelMatchersIn, metricNamesIn } from '../support/promql-names';
import { startBrain, TestBrain } from './brain-client';

const ROOT = join(__dirname, '..', '..');
const K8S = join(ROOT, 'deploy', 'k8s');
/** Written by Prometheus for every scrape target, not by the app. */
const SCRAPE_METRICS = new Set(['up']);
/** Labels Prometheus adds to every series of a target. */
const TARGET_LABELS = new Set(['job', 'instance']);

/** Every YAML document of a file; fails on any syntax error or warning. */
function yamlDocuments(path: string): any[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  if (!Array.isArray(documents)) return [];
  for (const document of documents) {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) throw new Error(`${path}: ${problems.map((p) => p.message).join('; ')}`);
  }
  return documents.map((document) => document.toJS());
}

const manifests = readdirSync(K8S)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => yamlDocuments(join(K8S, file)).map((manifest) => ({ file, manifest })));
const find = (kind: string, name?: string): any => {
  const found = manifests.filter(
    ({ manifest }) => manifest.kind === kind && (name === undefined || manifest.metadata?.name === name),
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0].manifest;
};
const deployment = find('Deployment');
const container = deployment.spec.template.spec.containers[0];
const configMap = find('ConfigMap');
const secret = find('Secret');

/** Every setting src/config/environment.ts validates (optional ones included). */
const SETTINGS = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
      .map((metadata) => metadata.propertyName),
  ),
].sort();

const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'brain.json'), 'utf8'));
const dashboardQueries: string[] = [
  ...dashboard.panels.flatMap((panel: any) =>
    (panel.targets ?? []).map((target: any) => target.expr as string),
  ),
  ...dashboard.templating.list
    .filter((variable: any) => variable.type === 'query')
    .map((variable: any) => /label_values\(\s*([^,\s)]+)/.exec(variable.query.query)![1]),
];
const [alertFile] = yamlDocuments(join(ROOT, 'deploy', 'prometheus', 'alerts.yml'));
const alertRules: any[] = alertFile.groups.flatMap((group: any) => group.rules);

describe('deploy/ package', () => {
  describe('helpers', () => {
    it('finds the metric names of a PromQL expression, and only those', () => {
      expect(
        metricNamesIn(
          'histogram_quantile(0.99, sum by (le, operation) (rate(a_seconds_bucket{job=~"$job",x="y z"}[$__rate_interval])))' +
            ' / on(node) group_left max without (instance) (b_total offset 5m @ 1700000000) > 1e3 and bool c[10m:1m] unless absent(up)',
        ).sort(),
      ).toEqual(['a_seconds_bucket', 'b_total', 'c', 'up']);
    });

    it('finds the labels each selector matches on', () => {
      expect(labelMatchersIn('sum(rate(a_total{job=~"$job",status=~"5..",x!="}{"}[5m])) / b')).toEqual([
        { metric: 'a_total', labels: ['job', 'status', 'x'] },
      ]);
    });

    it('maps histogram series to their family and refuses what /metrics lacks', () => {
      const families = new Map([
        ['h_seconds', 'histogram'],
        ['s', 'summary'],
        ['c_total', 'counter'],
      ]);
      expect(familyOf('h_seconds_bucket', families)).toBe('h_seconds');
      expect(familyOf('h_seconds_count', families)).toBe('h_seconds');
      expect(familyOf('h_seconds', families)).toBeUndefined();
      expect(familyOf('s_bucket', families)).toBeUndefined();
      expect(familyOf('s_sum', families)).toBe('s');
      expect(familyOf('c_total', families)).toBe('c_total');
      expect(familyOf('c_total_count', families)).toBeUndefined();
      expect(familyOf('missing', families)).toBeUndefined();
    });
  });

  describe('Kubernetes manifests', () => {
    it('parse, and the kustomization applies every manifest except the example Secret', () => {
      const [kustomization] = yamlDocuments(join(K8S, 'kustomization.yaml'));
      const files = new Set(manifests.map(({ file }) => file));
      expect(kustomization.resources.sort()).toEqual(
        [...files].filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml').sort(),
      );
      expect(kustomization.images.map((image: any) => image.name)).toContain(container.image.split(':')[0]);
    });

    it('connect: the Service, PDB and HPA select the Deployment, and the Service targets its named port', () => {
      const labels = deployment.spec.template.metadata.labels;
      for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels))
        expect(labels[key]).toBe(value);
      const matches = (selector: Record<string, string>) =>
        Object.entries(selector).every(([key, value]) => labels[key] === value);
      const service = find('Service');
      expect(matches(service.spec.selector)).toBe(true);
      expect(matches(find('PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
      expect(find('HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual(
        expect.objectContaining({ kind: 'Deployment', name: deployment.metadata.name }),
      );
      const portNames = container.ports.map((port: any) => port.name);
      for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
      expect(container.envFrom).toEqual([
        { configMapRef: { name: configMap.metadata.name } },
        { secretRef: { name: secret.metadata.name } },
      ]);
    });

    it("listen where the app listens: the container port is the ConfigMap's PORT and the image's", () => {
      const http = container.ports.find((port: any) => port.name === 'http');
      expect(http.containerPort).toBe(Number(configMap.data.PORT));
      const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${http.containerPort}$`, 'm'));
      expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(
        String(http.containerPort),
      );
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        expect(container[probe].httpGet.port).toBe('http');
      }
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.startupProbe.httpGet.path).toMatch(/^\/health\//);
    });

    it('give a terminating replica longer than its drain plus the longest request', () => {
      const config = toBrainConfig(validateEnvironment({ ...configMap.data, ...secret.stringData }));
      // The longest a request may take: Fastify's requestTimeout as main.ts configures it (Fastify's types omit it).
      const initialConfig = createHttpAdapter(config).getInstance().initialConfig;
      const requestTimeoutMs = Number(Reflect.get(initialConfig, 'requestTimeout'));
      expect(requestTimeoutMs).toBeGreaterThan(0);
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
        config.http.shutdownDrainMs + requestTimeoutMs,
      );
      // The drain outlasts the readiness probe noticing it (the load balancer stops sending first).
      const readiness = container.readinessProbe;
      expect(config.http.shutdownDrainMs).toBeGreaterThanOrEqual(
        readiness.periodSeconds * readiness.failureThreshold * 1000,
      );
    });

    it('run as the image’s unprivileged user on a read-only root filesystem, with resources', () => {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: 1000 }));
      expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^USER node$/m); // uid 1000 in node images
      expect(container.securityContext).toEqual(
        expect.objectContaining({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        }),
      );
      expect(container.resources.requests).toEqual(
        expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
      );
      expect(container.resources.limits.memory).toBeDefined();
    });

    it('set every setting of src/config/environment.ts, secrets in the Secret, with valid values', () => {
      const inConfigMap = Object.keys(configMap.data);
      const inSecret = Object.keys(secret.stringData);
      expect(inConfigMap.filter((key) => inSecret.includes(key))).toEqual([]);
      expect([...inConfigMap, ...inSecret].sort()).toEqual(SETTINGS);
      expect(inSecret.sort()).toEqual([
        'BRAIN_ADMIN_TOKEN',
        'BRAIN_METRICS_TOKEN',
        'DATABASE_URL',
        'REDIS_URL',
      ]);
      // Every value is a string (Kubernetes wants them so) and the set passes the app's own validation.
      for (const value of [...Object.values(configMap.data), ...Object.values(secret.stringData)]) {
        expect(typeof value).toBe('string');
      }
      const config = toBrainConfig(validateEnvironment({ ...configMap.data, ...secret.stringData }));
      expect(config.env).toBe('production');
      expect(config.auth.enabled).toBe(true);
    });
  });

  describe('README "Deploying"', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = /^## Deploying\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';

    it('names files that exist: compose for one machine, the manifests, the dashboard and the alerts', () => {
      expect(section).not.toBe('');
      for (const file of [
        'docker-compose.yml',
        'deploy/k8s/',
        'deploy/grafana/brain.json',
        'deploy/prometheus/alerts.yml',
        'test/e2e/deploy.spec.ts',
      ]) {
        expect([file, section.includes(`\`${file}\``)]).toEqual([file, true]);
        expect([file, existsSync(join(ROOT, file))]).toEqual([file, true]);
      }
      expect(section).toContain('docker compose up');
      expect(section).toContain('kubectl apply -k deploy/k8s');
    });

    it("states the manifests' numbers: replicas, probes, termination, drain, request timeout, HPA range, secrets", () => {
      const hpa = find('HorizontalPodAutoscaler').spec;
      const config = configMap.data;
      expect(section).toContain(`Deployment (${deployment.spec.replicas} replicas;`);
      expect(section).toContain(`startup probe on \`${container.startupProbe.httpGet.path}\``);
      expect(section).toContain(`liveness \`${container.livenessProbe.httpGet.path}\``);
      expect(section).toContain(`readiness \`${container.readinessProbe.httpGet.path}\``);
      expect(section).toContain(
        `${deployment.spec.template.spec.terminationGracePeriodSeconds} s to terminate`,
      );
      expect(section).toContain(
        `\`BRAIN_SHUTDOWN_DRAIN_MS\` ${Number(config.BRAIN_SHUTDOWN_DRAIN_MS) / 1000} s`,
      );
      expect(section).toContain(
        `${Number(config.BRAIN_REQUEST_TIMEOUT_MS) / 1000} s \`BRAIN_REQUEST_TIMEOUT_MS\``,
      );
      expect(section).toContain(`${hpa.minReplicas}–${hpa.maxReplicas} replicas`);
      for (const key of Object.keys(secret.stringData)) expect(section).toContain(`\`${key}\``);
      expect(section).toContain(`\`${secret.metadata.name}\``);
      // Each alert's subject is named under "What to watch".
      for (const subject of [
        'archive lag',
        'dead-lettered',
        '5xx',
        'not ready',
        'Redis memory',
        'event-loop lag',
      ])
        expect([subject, section.includes(subject)]).toEqual([subject, true]);
    });
  });

  describe('Prometheus alerts and the Grafana dashboard', () => {
    let brain: TestBrain;
    let body: string;
    let families: Map<string, string>;

    beforeAll(async () => {
      brain = await startBrain('deploy', { agents: ['nova', 'dexter'] });
      const { client, token } = brain;
      // Some traffic, so the labelled metrics have series to compare the queries' labels with.
      const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
      expect(sent.status).toBe(201);
      await client.get('/v1/agents/dexter/messages?consumer=c1', token.dexter);
      expect((await client.post(`/v1/messages/${sent.body.id}/ack`, token.dexter, {})).status).toBe(200);
      expect((await client.get('/health/ready')).status).toBe(200);
      const response = await fetch(`${client.url}/metrics`);
      expect(response.status).toBe(200);
      body = await response.text();
      families = metricFamilies(body);
    });

    afterAll(() => brain?.close());

    it('probe paths of the Deployment answer 200 on the running app', async () => {
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        expect((await brain.client.get(container[probe].httpGet.path)).status).toBe(200);
      }
    });

    it('alert rules are complete and name only metrics that /metrics has', () => {
      expect(alertRules.length).toBeGreaterThan(0);
      const missing: string[] = [];
      for (const rule of alertRules) {
        expect(rule).toEqual(
          expect.objectContaining({
            alert: expect.stringMatching(/^Brain[A-Za-z0-9]+$/),
            expr: expect.any(String),
            labels: expect.objectContaining({ severity: expect.stringMatching(/^(critical|warning|info)$/) }),
            annotations: expect.objectContaining({ summary: expect.any(String) }),
          }),
        );
        if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
        const names = metricNamesIn(rule.expr);
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) {
          if (!SCRAPE_METRICS.has(name) && !familyOf(name, families)) missing.push(`${rule.alert}: ${name}`);
        }
      }
      expect(missing).toEqual([]);
    });

    it('dashboard queries name only metrics that /metrics has', () => {
      expect(dashboardQueries.length).toBeGreaterThan(10);
      const missing = dashboardQueries.flatMap((query) =>
        metricNamesIn(query)
          .filter((name) => !familyOf(name, families))
          .map((name) => `${name} in ${query}`),
      );
      expect(missing).toEqual([]);
    });

    it('queries select only labels the metrics carry (or Prometheus adds)', () => {
      const wrong = [...dashboardQueries, ...alertRules.map((rule) => rule.expr as string)].flatMap((query) =>
        labelMatchersIn(query).flatMap(({ metric, labels }) => {
          const family = familyOf(metric, families);
          if (!family) return SCRAPE_METRICS.has(metric) ? [] : [`${metric}: not on /metrics`];
          const known = labelNamesOf(body, family);
          return labels
            .filter((label) => !known.has(label) && !TARGET_LABELS.has(label))
            .map((l) => `${metric}{${l}}`);
        }),
      );
      expect(wrong).toEqual([]);
    });

    it('cover what operators watch: throughput, latency, backlog, archive, HTTP errors, event loop, Redis memory', () => {
      const used = (queries: string[]) =>
        new Set(
          queries.flatMap((query) => metricNamesIn(query).map((name) => familyOf(name, families) ?? name)),
        );
      const onDashboard = used(dashboardQueries);
      for (const family of [
        'brain_contextsync_messages_total',
        'brain_contextsync_latency_seconds',
        'brain_contextsync_pending',
        'brain_contextsync_dead_letters',
        'brain_archive_lag',
        'brain_http_request_duration_seconds',
        'nodejs_eventloop_lag_p99_seconds',
        'brain_redis_memory_used_bytes',
        'brain_ready',
      ]) {
        expect([family, onDashboard.has(family)]).toEqual([family, true]);
      }
      const alerted = used(alertRules.map((rule) => rule.expr));
      for (const family of [
        'brain_archive_lag',
        'brain_contextsync_messages_total',
        'brain_http_request_duration_seconds',
        'brain_ready',
        'brain_redis_memory_used_bytes',
        'brain_redis_memory_max_bytes',
      ]) {
        expect([family, alerted.has(family)]).toEqual([family, true]);
      }
    });
  });
});
