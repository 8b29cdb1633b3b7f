#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx eksflow …` works from a clone without a build step.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const tsx = require.resolve('tsx/cli', { paths: [path.join(__dirname, '..')] });
const entry = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
// The AWS SDK's Node 20 end-of-support notice is noise on every CLI call (see README).
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env };
const res = spawnSync(process.execPath, [tsx, entry, ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(res.status ?? 1);
