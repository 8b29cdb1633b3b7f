import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMoto, startTemporalDevServer, REPO_ROOT } from '../../src/sandbox/processes';
import { startKubeForTests } from './kube';

/**
 * Starts the shared real servers of one test run — a moto server and a Temporal dev server
 * (in memory, headless) — on free ports. Tests find them through environment variables;
 * global-teardown stops them, so no process outlives the run.
 */
export default async function globalSetup(): Promise<void> {
  // The AWS SDK's Node 20 end-of-support notice would repeat in every test file and worker.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const logDir = join(REPO_ROOT, '.data', 'test-logs');
  mkdirSync(logDir, { recursive: true });
  const [moto, temporal, kube] = await Promise.all([
    startMoto({ logFile: join(logDir, 'moto.log') }),
    startTemporalDevServer({ headless: true, logFile: join(logDir, 'temporal.log') }),
    // --- Kubernetes (issue 11): etcd + kube-apiserver + kube-controller-manager, once per run.
    startKubeForTests(join(logDir, 'kube')),
  ]);
  process.env.EKSFLOW_TEST_MOTO_ENDPOINT = moto.endpoint;
  process.env.EKSFLOW_TEST_TEMPORAL_ADDRESS = temporal.address;
  // Teardown runs in the same process; keep the handles for it.
  (globalThis as Record<string, unknown>).__eksflowTestServers = [moto, temporal, ...(kube ? [kube] : [])];
  writeFileSync(join(logDir, 'servers.json'), JSON.stringify({ moto: moto.endpoint, temporal: temporal.address, pids: [moto.child.pid, temporal.child.pid] }));
}
