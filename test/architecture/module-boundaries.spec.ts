import * as path from 'node:path';
import { ESLint } from 'eslint';
import { checkBoundaries, type RuleName } from './boundary-rules';

const repoRoot = path.resolve(__dirname, '../..');
const brokenRepo = path.join(__dirname, 'fixtures/broken-repo');
const rules: RuleName[] = [
  'ModulesTalkThroughTheirIndex',
  'PlatformKnowsNoBoundedContext',
  'PlatformLibsTalkThroughTheirIndex',
  'DomainIsPlainTypeScript',
  'NoCyclesBetweenModules',
];

describe('module boundaries of this repository', () => {
  const violations = checkBoundaries(repoRoot);

  // The messages are the failure output: each names the file, the rule and the fix.
  it.each(rules)('%s', (rule) => {
    expect(violations.filter((v) => v.rule === rule).map((v) => v.message)).toEqual([]);
  });
});

describe('the rules bite: fixtures/broken-repo breaks each one on purpose', () => {
  const violations = checkBoundaries(brokenRepo);
  const expected: Array<[RuleName, string, string]> = [
    ['ModulesTalkThroughTheirIndex', 'apps/app/src/main.ts', '@modulith/beta/src/domain/gadget'],
    ['ModulesTalkThroughTheirIndex', 'libs/beta/src/application/gadget.service.ts', '../../../alpha/src/domain/widget'],
    ['PlatformKnowsNoBoundedContext', 'libs/platform/util/src/helper.ts', '@modulith/alpha'],
    ['PlatformLibsTalkThroughTheirIndex', 'libs/platform/util/src/helper.ts', '../../ddd/src/rules'],
    ['DomainIsPlainTypeScript', 'libs/alpha/src/domain/widget.ts', '@nestjs/common'],
    ['DomainIsPlainTypeScript', 'libs/alpha/src/domain/widget.ts', '../application/widget.service'],
    ['NoCyclesBetweenModules', 'libs/alpha/src/application/widget.service.ts', '@modulith/beta'],
  ];

  it.each(expected)('%s: %s importing %s', (rule, file, specifier) => {
    expect(violations).toContainEqual(expect.objectContaining({ rule, file, specifier }));
  });

  it('reports nothing else (index imports, @platform/ddd in domain/ and generated code pass)', () => {
    const found = violations.map((v): [string, string, string] => [v.rule, v.file, v.specifier]);
    expect(found.sort()).toEqual([...expected].sort());
  });

  it('names the modules of the cycle and the imports that close it', () => {
    const cycle = violations.find((v) => v.rule === 'NoCyclesBetweenModules');
    expect(cycle?.message).toContain('alpha -> beta -> alpha');
    expect(cycle?.message).toContain("libs/beta/src/application/gadget.service.ts:4 imports '../../../alpha");
  });

  it('tells a relative reach into another module which import to use instead', () => {
    const reach = violations.find((v) => v.specifier === '../../../alpha/src/domain/widget');
    expect(reach?.message).toContain("Fix: import from '@modulith/alpha'");
  });

  it('says in every message which file broke which rule and how to fix it', () => {
    for (const v of violations) {
      expect(v.message).toContain(v.file);
      expect(v.message).toContain(v.rule);
      expect(v.message).toContain('Fix:');
    }
  });
});

describe('the lint rules bite (eslint.config.mjs, no-restricted-imports)', () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const restrictedImports = async (file: string, specifier: string) => {
    const code = `import { thing } from '${specifier}';\n\nexport const used = thing;\n`;
    const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
    return result?.messages.filter((m) => m.ruleId === 'no-restricted-imports') ?? [];
  };

  it.each([
    ['libs/ordering/src/application/x.ts', '@modulith/catalog/src/domain/product'],
    ['libs/platform/http/src/x.ts', '@modulith/catalog'],
    ['libs/ordering/src/domain/x.ts', '@nestjs/common'],
  ])('%s may not import %s', async (file, specifier) => {
    expect(await restrictedImports(file, specifier)).not.toEqual([]);
  });

  it('lets a module import another through its index', async () => {
    expect(await restrictedImports('libs/ordering/src/application/x.ts', '@modulith/catalog')).toEqual([]);
  });
});
