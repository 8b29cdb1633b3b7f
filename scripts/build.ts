/**
 * `npm run build`, after `tsc -p tsconfig.build.json` compiled src/, workflows/, activities/ and
 * schedules/ to dist/: writes the workflow bundle the compiled worker loads
 * (dist/workflow-bundle.js, `workflowBundle: { codePath }`, so a worker never bundles at start) and
 * copies the data files the code reads beside itself (src/data/pricing).
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWorkflowBundle } from '../src/build/workflow-bundle';

const root = join(__dirname, '..');

async function main(): Promise<void> {
  const started = Date.now();
  const code = await buildWorkflowBundle();
  writeFileSync(join(root, 'dist', 'workflow-bundle.js'), code);
  cpSync(join(root, 'src', 'data', 'pricing'), join(root, 'dist', 'src', 'data', 'pricing'), { recursive: true });
  process.stderr.write(`build: workflow bundle ${(code.length / 1024).toFixed(0)} KiB in ${Date.now() - started} ms\n`);
}

main().catch((err) => {
  process.stderr.write(`build: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
