import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { REPO_ROOT } from '../../src/sandbox/processes';

/**
 * The layout's boundaries are enforced by eslint (`npm run lint`, eslint.config.cjs): what workflow
 * code may import, the purity of src/domain, and `process.env` only in src/config/env.ts. This
 * proves the real rule blocks fire — including where a line-by-line check would not, an import
 * spread over several lines — and let type-only imports of activities through. It runs ESLint's
 * Node API on strings, in-process, without type information (the boundary rules need none).
 */
// The config is CommonJS by design (see its header), so a plain require loads it.
const config = require('../../eslint.config.cjs') as Linter.Config[];

/** Every block of the real config except the type-aware one (which needs a TypeScript program). */
const boundaryBlocks = config.filter((c) => !c.languageOptions);

const eslint = new ESLint({
  cwd: REPO_ROOT,
  overrideConfigFile: true,
  overrideConfig: [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser },
      plugins: { '@typescript-eslint': tseslint.plugin },
    },
    ...boundaryBlocks,
  ],
});

async function problems(code: string, filePath = 'workflows/lint-fixture.ts'): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}/${filePath}` });
  return result!.messages.map((m) => `${m.line}:${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('workflow import boundary (eslint)', () => {
  it('rejects a Node built-in imported over several lines', async () => {
    const found = await problems(`import {
  readFileSync,
  writeFileSync,
} from 'fs';
export const x = [readFileSync, writeFileSync];
`);
    expect(found).toEqual([
      expect.stringMatching(/^1:@typescript-eslint\/no-restricted-imports: .*fs.*no Node built-ins/),
    ]);
  });

  it.each([
    ["import { createHash } from 'node:crypto';", /no Node built-ins/],
    ["import * as path from 'path';", /no Node built-ins/],
    ["import { EKSClient } from '@aws-sdk/client-eks';", /activities\/gateways/],
    ["import { Client } from '@temporalio/client';", /only @temporalio\/workflow/],
    ["import { Context } from '@temporalio/activity';", /only @temporalio\/workflow/],
    ["import { TestWorkflowEnvironment } from '@temporalio/testing';", /only @temporalio\/workflow/],
    ["import { createActivities } from '../activities';", /types only/],
    ["import { createScalingActivities } from '../../activities/scaling';", /types only/],
    ["import { readEnv } from '../src/config/env';", /does I\/O/],
  ])('rejects %s', async (line, message) => {
    const found = await problems(`${line}\nexport const used = 1;\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('rejects Math.random() in workflow code', async () => {
    expect(await problems('export const r = Math.random();\n')).toEqual([
      expect.stringMatching(/no-restricted-properties/),
    ]);
  });

  it('allows the workflow API and type-only imports of activities', async () => {
    const code = `import { proxyActivities } from '@temporalio/workflow';
import type {
  createActivities,
} from '../activities';
import { type ActivityDeps } from '../activities';
export type A = ReturnType<typeof createActivities>;
export type D = ActivityDeps;
export const acts = proxyActivities<A>({ startToCloseTimeout: '1 minute' });
`;
    expect(await problems(code)).toEqual([]);
  });

  it('does not apply the boundary outside workflows/', async () => {
    expect(
      await problems("import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'activities/x.ts'),
    ).toEqual([]);
  });
});

describe('pure domain and one reader of the environment (eslint)', () => {
  const inDomain = (code: string) => problems(code, 'src/domain/lint-fixture.ts');

  it.each([
    ["import { readFileSync } from 'node:fs';\nexport const r = readFileSync;", /src\/domain is pure/],
    ["import {\n  readFile,\n} from 'fs/promises';\nexport const r = readFile;", /src\/domain is pure/],
    ["import { EC2Client } from '@aws-sdk/client-ec2';\nexport const c = EC2Client;", /activities\/gateways/],
    ['export const t = Date.now();', /take the time as a parameter/],
    ['export const t = new Date();', /take the time as a parameter/],
    ['export const region = process.env.AWS_REGION;', /only in src\/config\/env\.ts/],
  ])('rejects %s in src/domain', async (code, message) => {
    const found = await inDomain(`${code}\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('allows pure computation in src/domain: hashing, dates from a parameter', async () => {
    const code =
      "import { createHmac } from 'node:crypto';\nexport const f = (ms: number) => [new Date(ms), createHmac];\n";
    expect(await inDomain(code)).toEqual([]);
  });

  it('reads process.env only in src/config/env.ts', async () => {
    const code = 'export const port = process.env.EKSFLOW_INGRESS_PORT;\n';
    expect(await problems(code, 'activities/lint-fixture.ts')).toEqual([
      expect.stringMatching(/no-restricted-properties/),
    ]);
    expect(await problems(code, 'src/ingress/lint-fixture.ts')).toEqual([
      expect.stringMatching(/no-restricted-properties/),
    ]);
    expect(await problems(code, 'src/config/env.ts')).toEqual([]);
  });
});
