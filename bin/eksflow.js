#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx eksflow …` works from a clone without a build step.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const tsx = require.resolve('tsx/cli', { paths: [path.join(__dirname, '..')] });
const entry = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
const res = spawnSync(process.execPath, [tsx, entry, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(res.status ?? 1);
