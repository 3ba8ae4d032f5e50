// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries, as lint so that editors show them while typing. The architecture test
 * (test/architecture) checks the same rules on resolved paths, relative imports included.
 */
const onlyThroughIndex = {
  group: ['@modulith/*/*', '@platform/*/*'],
  message:
    "Import a module only through its index.ts ('@modulith/<module>' or '@platform/<lib>'); its internals are private.",
};
const noBoundedContexts = {
  group: ['@modulith/*'],
  message:
    'libs/platform knows nothing of the bounded contexts: move the code into the module, or depend on an interface here.',
};
const pureDomain = {
  group: [
    '@nestjs/*',
    '@prisma/*',
    '**/generated/*',
    'pg',
    'fastify',
    '../application/*',
    '../infrastructure/*',
    '../api/*',
    '../../application/*',
    '../../infrastructure/*',
    '../../api/*',
  ],
  message: 'domain/ is plain TypeScript: no Nest, no Prisma, no other layer of the module.',
};

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '.data/', '**/generated/**', 'test/architecture/fixtures/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-restricted-imports': ['error', { patterns: [onlyThroughIndex] }],
    },
  },
  {
    files: ['libs/platform/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [onlyThroughIndex, noBoundedContexts] }] },
  },
  {
    files: ['libs/*/src/domain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [onlyThroughIndex, pureDomain] }] },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
