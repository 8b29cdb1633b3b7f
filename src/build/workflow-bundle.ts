import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { asciiBundle } from './ascii';

const root = join(__dirname, '..', '..');

/**
 * The workflow bundle a worker loads instead of bundling at start: every workflow of
 * workflows/index.ts with the config-version pin interceptor (workflows/lib/config-pin.ts), which a
 * prebuilt bundle must carry. `npm run build` writes it to dist/workflow-bundle.js; the local stack
 * (`npm run stack`, the chaos run) builds it once so that a restarted worker polls in seconds.
 * ASCII only (src/build/ascii.ts): a one-byte string in each isolate that loads it.
 */
export async function buildWorkflowBundle(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(root, 'workflows', 'index.ts'),
    workflowInterceptorModules: [join(root, 'workflows', 'lib', 'config-pin.ts')],
    logger: {
      trace() {},
      debug() {},
      info() {},
      warn: (m) => process.stderr.write(`${m}\n`),
      error: (m) => process.stderr.write(`${m}\n`),
      log() {},
    },
  });
  return asciiBundle(code);
}
