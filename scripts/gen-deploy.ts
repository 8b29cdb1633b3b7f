/**
 * Writes the generated deployment files (IAM policies, CloudFormation template, Helm values
 * schema) from the code: `npm run gen:deploy` (alias `npm run gen:iam`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generatedFiles } from '../src/deploy/generate';

const root = resolve(__dirname, '..');
for (const [rel, content] of Object.entries(generatedFiles(root))) {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
  process.stdout.write(`wrote ${rel}\n`);
}
