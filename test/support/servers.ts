import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMoto, startTemporalDevServer, REPO_ROOT, type ManagedProcess } from '../../src/sandbox/processes';

/**
 * The real servers of one test run, started by the global setup of the Jest projects that need
 * them (jest.config.js) and stopped by global-teardown. Each `ensure…` starts its server at most
 * once per run: when the workflows and integration projects both run, they share one moto.
 * Tests find the servers through environment variables (`motoEndpoint()`/`temporalAddress()` in
 * stack.ts); global setup runs in Jest's main process, whose environment the test workers inherit.
 */
export const TEST_LOG_DIR = join(REPO_ROOT, '.data', 'test-logs');

/** A started server: one process (moto, Temporal) or several (the Kubernetes control plane). */
type RunningServer = { stop(): Promise<void>; pids: (number | undefined)[] };
type Registry = { servers: RunningServer[]; endpoints: Record<string, string> };

const running = (p: ManagedProcess): RunningServer => ({ stop: () => p.stop(), pids: [p.child.pid] });

function registry(): Registry {
  const g = globalThis as { __eksflowTestServers?: Registry };
  g.__eksflowTestServers ??= { servers: [], endpoints: {} };
  return g.__eksflowTestServers;
}

/** Stops every server this run started (global-teardown); safe to call more than once. */
export async function stopTestServers(): Promise<void> {
  const r = registry();
  const servers = r.servers.splice(0);
  await Promise.all(servers.map((s) => s.stop()));
}

function record(name: string, server: RunningServer, endpoint: string): void {
  const r = registry();
  r.servers.push(server);
  r.endpoints[name] = endpoint;
  mkdirSync(TEST_LOG_DIR, { recursive: true });
  writeFileSync(
    join(TEST_LOG_DIR, 'servers.json'),
    JSON.stringify({ ...r.endpoints, pids: r.servers.flatMap((s) => s.pids) }),
  );
}

export function prepareTestEnvironment(): void {
  // The AWS SDK's Node 20 end-of-support notice would repeat in every test file and worker.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  mkdirSync(TEST_LOG_DIR, { recursive: true });
}

/** moto over HTTP, for the real AWS SDK. */
export async function ensureMoto(): Promise<void> {
  if (process.env.EKSFLOW_TEST_MOTO_ENDPOINT) return;
  const moto = await startMoto({ logFile: join(TEST_LOG_DIR, 'moto.log') });
  process.env.EKSFLOW_TEST_MOTO_ENDPOINT = moto.endpoint;
  record('moto', running(moto), moto.endpoint);
}

/** The Temporal dev server (in memory, headless). */
export async function ensureTemporalDevServer(): Promise<void> {
  if (process.env.EKSFLOW_TEST_TEMPORAL_ADDRESS) return;
  const temporal = await startTemporalDevServer({ headless: true, logFile: join(TEST_LOG_DIR, 'temporal.log') });
  process.env.EKSFLOW_TEST_TEMPORAL_ADDRESS = temporal.address;
  record('temporal', running(temporal), temporal.address);
}

/**
 * The Kubernetes control plane of the kube tests (etcd, kube-apiserver, kube-controller-manager;
 * test/support/kube.ts). A failure to start is recorded for the tests that need it
 * (`kubeEndpoints()` names it), not fatal for the others.
 */
export async function ensureKubernetes(): Promise<void> {
  // Loaded here: the projects that do not start it need not load the Kubernetes client.
  const { kubeStartAttempted, startKubeForTests } = await import('./kube');
  if (kubeStartAttempted()) return;
  const cp = await startKubeForTests(join(TEST_LOG_DIR, 'kube'));
  if (cp) record('kubernetes', cp, cp.url);
}

/** Prometheus (Debian's package) scraping one exporter whose values the tests control (issue 12). */
export async function ensurePrometheus(): Promise<void> {
  if (process.env.EKSFLOW_TEST_PROMETHEUS_URL) return;
  const { startTestPrometheus } = await import('./prometheus');
  const prometheus = await startTestPrometheus(TEST_LOG_DIR);
  record('prometheus', { stop: () => prometheus.stop(), pids: [] }, process.env.EKSFLOW_TEST_PROMETHEUS_URL ?? '');
}
