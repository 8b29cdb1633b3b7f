// ESLint (flat config) for eslint's own rules that need type information: promises that nobody
// awaits, type-only imports, and the import boundaries of the layout (CONTRIBUTING.md). Formatting
// is prettier's job (`prettier --check` in `npm run lint`), so no stylistic rule lives here.
// CommonJS, so test/unit/lint-rules.test.ts can require the same rule options it proves.
const { builtinModules } = require('node:module');
const { defineConfig } = require('eslint/config');
const tseslint = require('typescript-eslint');

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

/**
 * What workflow code may not import (it runs in Temporal's deterministic sandbox, replayed from
 * history): Node built-ins, the AWS SDK and other I/O libraries, the non-workflow Temporal
 * packages, and eksflow's I/O modules. Activities are imported for their types only.
 */
const workflowImportRule = {
  paths: [
    ...nodeBuiltins.map((name) => ({
      name,
      message: 'Workflow code is deterministic: no Node built-ins (do I/O in an activity).',
    })),
    ...['activity', 'client', 'worker', 'testing'].map((p) => ({
      name: `@temporalio/${p}`,
      message: 'Workflow code imports only @temporalio/workflow (and @temporalio/common).',
    })),
  ],
  patterns: [
    { group: ['node:*'], message: 'Workflow code is deterministic: no Node built-ins (do I/O in an activity).' },
    { group: ['@aws-sdk/*', '@smithy/*'], message: 'AWS calls live in activities/gateways, never in a workflow.' },
    {
      group: ['@slack/*', 'fastify', 'fastify/*', 'commander', 'yaml'],
      message: 'I/O libraries live outside workflows/.',
    },
    {
      group: ['**/activities', '**/activities/*', '**/activities/**'],
      allowTypeImports: true,
      message: 'Workflows import activities for their types only: `import type` and proxyActivities.',
    },
    {
      group: [
        '**/src/aws/**',
        '**/src/sandbox/**',
        '**/src/ingress/**',
        '**/src/cli/**',
        '**/src/client',
        '**/src/client/**',
        '**/src/config/env',
        '**/src/config/load',
        '**/src/audit',
        '**/src/ml/data',
      ],
      allowTypeImports: true,
      message: 'This module does I/O: workflows may import only its types.',
    },
  ],
};

/** src/domain is pure decision logic: no I/O, no environment, no wall clock (time is a parameter). */
const domainImportRule = {
  // crypto stays allowed: hashing (e.g. the alert acknowledgement token's HMAC) is a pure computation.
  paths: nodeBuiltins
    .filter((name) => name !== 'crypto')
    .map((name) => ({ name, message: 'src/domain is pure: read files in a loader or an activity.' })),
  patterns: [
    { group: ['node:*', '!node:crypto'], message: 'src/domain is pure: read files in a loader or an activity.' },
    { group: ['@aws-sdk/*', '@smithy/*'], message: 'src/domain is pure: AWS calls live in activities/gateways.' },
    { group: ['@temporalio/*'], allowTypeImports: true, message: 'src/domain does not depend on Temporal.' },
  ],
};

const noEnv = {
  object: 'process',
  property: 'env',
  message: 'Read the environment only in src/config/env.ts (readEnv) and pass values in.',
};

module.exports = defineConfig(
  {
    ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'reports/', 'test-artifacts/', 'coverage/'],
  },
  {
    files: ['**/*.ts'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', workflowImportRule],
      'no-restricted-properties': [
        'error',
        noEnv,
        {
          object: 'Math',
          property: 'random',
          message: 'Use the workflow API (uuid4 / a seeded value from input), not Math.random().',
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'activities/**/*.ts'],
    ignores: ['src/config/env.ts', 'src/sandbox/**'],
    rules: { 'no-restricted-properties': ['error', noEnv] },
  },
  // After the general src/** block: a later block's options replace an earlier one's.
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', domainImportRule],
      'no-restricted-properties': [
        'error',
        noEnv,
        { object: 'Date', property: 'now', message: 'src/domain is pure: take the time as a parameter.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'src/domain is pure: take the time as a parameter.',
        },
      ],
    },
  },
);
module.exports.workflowImportRule = workflowImportRule;
