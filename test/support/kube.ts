import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { freePort, REPO_ROOT, toolPath } from '../../src/sandbox/processes';

/**
 * A real Kubernetes control plane for the tests, one per test run (global-setup): etcd →
 * kube-apiserver (static tokens, RBAC, service-account keys from node crypto, a self-signed
 * serving cert from openssl) → kube-controller-manager with only the controllers a drain needs
 * (PodDisruptionBudget status, pod and namespace garbage collection). There is no kubelet and no
 * scheduler: tests create nodes and pods themselves and play the kubelet (see KubeTestCluster).
 */

export interface KubeEndpoints {
  url: string;
  caFile: string;
  /** system:masters: the test's own hand (playing kubelet, seeding objects). */
  adminToken: string;
  /** A user in group `eksflow`, bound to deploy/rbac/eksflow.yaml only: what eksflow runs as in tests. */
  eksflowToken: string;
  /** A kubeconfig for the eksflow user (kubeconfig auth). */
  eksflowKubeconfig: string;
}

export interface KubeControlPlane extends KubeEndpoints {
  /** etcd, kube-apiserver, kube-controller-manager. */
  pids: (number | undefined)[];
  stop(): Promise<void>;
}

const ENV = {
  url: 'EKSFLOW_TEST_KUBE_URL',
  caFile: 'EKSFLOW_TEST_KUBE_CA',
  adminToken: 'EKSFLOW_TEST_KUBE_ADMIN_TOKEN',
  eksflowToken: 'EKSFLOW_TEST_KUBE_EKSFLOW_TOKEN',
  eksflowKubeconfig: 'EKSFLOW_TEST_KUBE_KUBECONFIG',
  error: 'EKSFLOW_TEST_KUBE_ERROR',
} as const;

function launch(bin: string, args: string[], logFile: string): ChildProcess {
  const out = openSync(logFile, 'a');
  return spawn(bin, args, { stdio: ['ignore', out, out], detached: true });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

function httpsGet(url: string, ca: Buffer, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 2_000 },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(
  what: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
  ok: () => Promise<boolean>,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with ${child.exitCode}; last log lines:\n${tail(logFile)}`);
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms; last log lines:\n${tail(logFile)}`);
}

const tail = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no log)';

function kubeconfigYaml(url: string, caFile: string, user: string, token: string): string {
  const ca = readFileSync(caFile).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'current-context: test',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    `    user: ${user}`,
    '',
  ].join('\n');
}

/** Starts etcd, kube-apiserver and kube-controller-manager on free ports and applies eksflow's RBAC. */
export async function startKube(opts: { logDir: string }): Promise<KubeControlPlane> {
  const etcdBin = toolPath('etcd');
  const apiserverBin = toolPath('kube-apiserver');
  const kcmBin = toolPath('kube-controller-manager');
  // etcd's data on tmpfs when there is one: fsyncs on a shared disk are the slowest part of a write.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'eksflow-kube-'));
  mkdirSync(opts.logDir, { recursive: true });
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    // The API server first: etcd going away under it makes it log and retry for a while.
    for (const c of [...children].reverse()) await stopProcess(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdLog = join(opts.logDir, 'etcd.log');
    const etcd = launch(
      etcdBin,
      [
        '--name',
        'test',
        '--data-dir',
        join(dir, 'etcd'),
        '--listen-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-cluster',
        `test=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync',
        '--log-level',
        'warn',
        '--quota-backend-bytes',
        String(2 * 1024 ** 3),
      ],
      etcdLog,
    );
    children.push(etcd);

    // Serving certificate (self-signed, for 127.0.0.1) and service-account signing keys.
    const certFile = join(dir, 'apiserver.crt');
    const keyFile = join(dir, 'apiserver.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '2',
        '-subj',
        '/CN=eksflow-test-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
    const rnd = () =>
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ type: 'spki', format: 'der' })
        .toString('hex')
        .slice(-32);
    const adminToken = `admin-${rnd()}`;
    const eksflowToken = `eksflow-${rnd()}`;
    writeFileSync(
      join(dir, 'tokens.csv'),
      `${adminToken},test-admin,uid-admin,"system:masters"\n${eksflowToken},eksflow-test,uid-eksflow,"eksflow"\n`,
    );

    await waitFor('etcd', etcd, etcdLog, 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${etcdPort}/health`);
      return res.ok;
    });

    const apiLog = join(opts.logDir, 'kube-apiserver.log');
    const api = launch(
      apiserverBin,
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${certFile}`,
        `--tls-private-key-file=${keyFile}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--anonymous-auth=false',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--endpoint-reconciler-type=none',
        // No serviceaccount controller runs, so pods cannot get the default ServiceAccount admitted.
        '--disable-admission-plugins=ServiceAccount',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=1',
      ],
      apiLog,
    );
    children.push(api);
    const url = `https://127.0.0.1:${apiPort}`;
    const ca = readFileSync(certFile);
    await waitFor(
      'kube-apiserver',
      api,
      apiLog,
      90_000,
      async () => (await httpsGet(`${url}/readyz`, ca, adminToken)).status === 200,
    );

    const adminKubeconfig = join(dir, 'admin.kubeconfig');
    writeFileSync(adminKubeconfig, kubeconfigYaml(url, certFile, 'test-admin', adminToken));
    const eksflowKubeconfig = join(dir, 'eksflow.kubeconfig');
    writeFileSync(eksflowKubeconfig, kubeconfigYaml(url, certFile, 'eksflow-test', eksflowToken));

    const kcmLog = join(opts.logDir, 'kube-controller-manager.log');
    children.push(
      launch(
        kcmBin,
        [
          `--kubeconfig=${adminKubeconfig}`,
          `--authentication-kubeconfig=${adminKubeconfig}`,
          `--authorization-kubeconfig=${adminKubeconfig}`,
          '--controllers=disruption-controller,pod-garbage-collector-controller,namespace-controller,garbage-collector-controller',
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          `--secure-port=${await freePort()}`,
          '--use-service-account-credentials=false',
          `--cert-dir=${join(dir, 'kcm')}`,
          '--v=1',
        ],
        kcmLog,
      ),
    );

    // eksflow's ClusterRole, exactly as shipped.
    await applyManifest(adminKubeconfig, join(REPO_ROOT, 'deploy', 'rbac', 'eksflow.yaml'));
    return {
      url,
      caFile: certFile,
      adminToken,
      eksflowToken,
      eksflowKubeconfig,
      pids: children.map((c) => c.pid),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function applyManifest(kubeconfig: string, file: string): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const obj of k8s.loadAllYaml(readFileSync(file, 'utf8')) as k8s.KubernetesObject[]) {
    await client.create(obj);
  }
}

/** For global-setup: exports the endpoints to test files through the environment. */
export function exportKubeEnv(cp: KubeEndpoints | { error: string }): void {
  if ('error' in cp) {
    process.env[ENV.error] = cp.error;
    return;
  }
  process.env[ENV.url] = cp.url;
  process.env[ENV.caFile] = cp.caFile;
  process.env[ENV.adminToken] = cp.adminToken;
  process.env[ENV.eksflowToken] = cp.eksflowToken;
  process.env[ENV.eksflowKubeconfig] = cp.eksflowKubeconfig;
}

/** Whether this run already started (or failed to start) the control plane. */
export function kubeStartAttempted(): boolean {
  return Boolean(process.env[ENV.url] ?? process.env[ENV.error]);
}

/** The control plane global-setup started for this run (a test file calls this in beforeAll). */
export function kubeEndpoints(): KubeEndpoints {
  const url = process.env[ENV.url];
  if (!url) {
    throw new Error(
      `the test Kubernetes API is not running: ${process.env[ENV.error] ?? 'run tests through jest (global-setup starts it)'}`,
    );
  }
  return {
    url,
    caFile: process.env[ENV.caFile]!,
    adminToken: process.env[ENV.adminToken]!,
    eksflowToken: process.env[ENV.eksflowToken]!,
    eksflowKubeconfig: process.env[ENV.eksflowKubeconfig]!,
  };
}

/** Starts the control plane for global-setup; a failure is recorded for the tests that need it, not fatal for the others. */
export async function startKubeForTests(logDir: string): Promise<KubeControlPlane | undefined> {
  try {
    const cp = await startKube({ logDir });
    exportKubeEnv(cp);
    return cp;
  } catch (err) {
    exportKubeEnv({ error: (err as Error).message });
    return undefined;
  }
}
