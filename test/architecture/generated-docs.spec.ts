import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { GENERATED_DOCS, generateDocs, type GeneratedDoc } from '../../scripts/docs/generate';
import { type Codebase, readCodebase } from '../../scripts/docs/read-codebase';

/**
 * docs/modules.md and docs/asyncapi.yaml are generated from the code by `npm run docs`
 * (scripts/docs). This fails the build when a committed one no longer matches what the code
 * generates, and checks that the generator still finds what it must: it could otherwise go on
 * producing a tidy, empty catalog.
 */

const repoRoot = path.resolve(__dirname, '../..');

/** The parts of the AsyncAPI document the checks below read. */
interface AsyncApiDocument {
  asyncapi: string;
  servers: Record<string, { host: string; protocol: string }>;
  channels: Record<string, unknown>;
  operations: Record<string, { action: string }>;
  components: {
    messages: Record<string, { payload: { type?: string; properties?: Record<string, unknown> } }>;
    schemas: { CloudEventsHeaders: { required: string[]; properties: Record<string, unknown> } };
  };
}

describe('generated docs', () => {
  let codebase: Codebase;
  let docs: GeneratedDoc[];
  let asyncApi: AsyncApiDocument;

  beforeAll(async () => {
    codebase = readCodebase(repoRoot);
    docs = await generateDocs(repoRoot, codebase);
    asyncApi = YAML.parse(generated('docs/asyncapi.yaml')) as AsyncApiDocument;
  }, 120_000);

  const generated = (file: string) => docs.find((d) => d.path === file)!.content;

  describe('are up to date', () => {
    it.each(GENERATED_DOCS)('%s', (file) => {
      const committed = fs.existsSync(path.join(repoRoot, file))
        ? fs.readFileSync(path.join(repoRoot, file), 'utf8')
        : '';
      const fresh = generated(file);
      if (committed !== fresh) {
        const [a, b] = [committed.split('\n'), fresh.split('\n')];
        const line = a.findIndex((text, i) => text !== b[i]);
        throw new Error(
          `${file} is stale: it no longer matches the code. Run \`npm run docs\` and commit the result.\n` +
            `First difference at line ${(line < 0 ? a.length : line) + 1}:\n` +
            `  committed: ${a[line] ?? '(end of file)'}\n  generated: ${b[line] ?? '(end of file)'}`,
        );
      }
    });
  });

  describe('docs/modules.md', () => {
    it('draws ordering -> catalog through CatalogFacade, and no module depending on ordering', () => {
      const md = generated('docs/modules.md');
      expect(md).toContain('ordering -->|"CatalogFacade"| catalog');
      expect(md).toContain('inventory -->|"CatalogFacade"| catalog');
      expect(md).toMatch(/ordering -\.->\|"[^"]*inventory\.reserve-stock\.v1[^"]*"\| inventory/);
      expect(md).not.toMatch(/^ {4}\w+ -->.*\| ordering$/m);
    });

    it('keeps the anchors other documents link to', () => {
      const headings = generated('docs/modules.md')
        .split('\n')
        .filter((line) => line.startsWith('## '));
      expect(headings).toEqual(
        expect.arrayContaining(['## Events', '## catalog', '## inventory', '## ordering', '## payments']),
      );
    });

    it("lists catalog's facade methods, routes, rules and tables", () => {
      const catalog = codebase.modules.find((m) => m.name === 'catalog')!;
      expect(catalog.facades.map((f) => f.name)).toEqual(['CatalogFacade']);
      expect(catalog.facades[0]!.methods.map((m) => m.signature)).toContain(
        'getPrices(skus: readonly string[]): Promise<ReadonlyMap<string, ProductPrice>>',
      );
      expect(catalog.routes.map((r) => `${r.method} ${r.path}`)).toContain('PATCH /catalog/products/:sku');
      expect(catalog.rules.map((r) => r.problemType)).toContain('/problems/product-name-must-not-be-blank');
      expect(catalog.database?.tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['products', 'outbox', 'inbox', 'inbox_dead_letters']),
      );
    });
  });

  describe('the messages', () => {
    const moduleNamed = (name: string) => codebase.modules.find((m) => m.name === name)!;

    it('ordering publishes ordering.order-placed.v1 and consumes inventory.stock-reserved.v1', () => {
      expect(moduleNamed('ordering').outbox?.types).toContain('ordering.order-placed.v1');
      expect(moduleNamed('ordering').consumers.map((c) => c.type)).toContain('inventory.stock-reserved.v1');
    });

    it('payments consumes payments.capture-payment.v1, a command ordering sends', () => {
      const consumer = moduleNamed('payments').consumers.find((c) => c.type === 'payments.capture-payment.v1');
      expect(consumer).toMatchObject({ name: 'payments.capture-payment', transactionOwner: 'handler' });
      expect(codebase.messages.find((m) => m.type === 'payments.capture-payment.v1')).toMatchObject({
        kind: 'command',
        publishers: [expect.objectContaining({ module: 'ordering' })],
      });
    });

    it('every contract declared in libs/*/src/contracts is a channel of the AsyncAPI document', () => {
      const declared = declaredContractTypes();
      expect(declared.length).toBeGreaterThanOrEqual(16);
      expect(Object.keys(asyncApi.channels).sort()).toEqual(declared);
    });

    it('every payload schema describes an object with properties', () => {
      for (const [name, message] of Object.entries(asyncApi.components.messages)) {
        expect([name, message.payload.type]).toEqual([name, 'object']);
        expect([name, Object.keys(message.payload.properties ?? {}).length > 0]).toEqual([name, true]);
      }
    });

    it('has a send operation per publisher and a receive operation per consumer, named after its group', () => {
      const operations = Object.values(asyncApi.operations);
      for (const m of codebase.messages) {
        for (const p of m.publishers) {
          expect(asyncApi.operations[`${p.module}.send.${m.type}`]).toMatchObject({ action: 'send' });
        }
        for (const c of m.consumers) {
          expect(asyncApi.operations[c.name]).toMatchObject({
            action: 'receive',
            channel: { $ref: `#/channels/${m.type}` },
            bindings: { kafka: { groupId: { enum: [c.name] } } },
          });
        }
      }
      expect(operations.filter((o) => o.action === 'receive').length).toBe(
        codebase.modules.flatMap((m) => m.consumers).length,
      );
    });
  });

  describe('docs/asyncapi.yaml', () => {
    it('is a valid AsyncAPI 3.0.0 document (the official JSON Schema, @asyncapi/specs)', () => {
      // The variant without $id: its definitions are referenced within the file, nothing is fetched.
      const schema = JSON.parse(
        fs.readFileSync(require.resolve('@asyncapi/specs/schemas/3.0.0-without-$id.json'), 'utf8'),
      ) as object;
      const ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(ajv);
      const validate = ajv.compile(schema);
      validate(asyncApi);
      expect(validate.errors ?? []).toEqual([]);
    });

    it('resolves every $ref inside the document', () => {
      for (const ref of refsIn(asyncApi)) {
        expect([ref, resolvePointer(asyncApi, ref)]).toEqual([ref, expect.anything()]);
      }
    });

    it('describes Kafka as docker compose publishes it, and the CloudEvents headers', () => {
      expect(asyncApi.asyncapi).toBe('3.0.0');
      expect(asyncApi.servers.kafka).toMatchObject({ host: 'localhost:9094', protocol: 'kafka' });
      expect(asyncApi.components.schemas.CloudEventsHeaders.required).toEqual(
        expect.arrayContaining(['ce_id', 'ce_source', 'ce_specversion', 'ce_subject', 'ce_time', 'ce_type']),
      );
      expect(Object.keys(asyncApi.components.schemas.CloudEventsHeaders.properties)).toEqual(
        expect.arrayContaining(['ce_traceparent', 'traceparent']),
      );
    });
  });
});

/** The types of every `defineEvent('<type>', ...)` in libs/*\/src/contracts, read without the generator. */
function declaredContractTypes(): string[] {
  const types: string[] = [];
  for (const lib of fs.readdirSync(path.join(repoRoot, 'libs'))) {
    const dir = path.join(repoRoot, 'libs', lib, 'src', 'contracts');
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      types.push(...[...text.matchAll(/defineEvent\(\s*'([^']+)'/g)].map((m) => m[1]!));
    }
  }
  return types.sort();
}

function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [value] : refsIn(value),
  );
}

function resolvePointer(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], document);
}
