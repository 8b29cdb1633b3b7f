/**
 * The production topology as processes (`npm run stack`, the chaos test): PostgreSQL on a
 * throwaway data directory, the Temporal server built from go.temporal.io/server on it (schema by
 * temporal-sql-tool), the Temporal Web UI server, N worker processes, the ingress and the
 * schedules job — the services of docker-compose.yml (src/sandbox/stack-services.ts) — with moto,
 * the Slack/PagerDuty receivers and the Pricing stand-in playing the outside world.
 * Each piece can be killed and restarted (the chaos test's fault injector).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  statSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../search-attributes';
import { REPO_ROOT, freePort, stopProcessGroup, toolPath, waitForPort } from './processes';
import { serviceEnvironment } from './stack-services';
import { buildWorkflowBundle } from '../build/workflow-bundle';

const run = promisify(execFile);
const DB_USER = 'temporal';
const DB_PASSWORD = 'temporal';

export interface StackProcess {
  name: string;
  child: ChildProcess;
  /** Resolves when the process has exited (any reason). */
  exited: Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL to the whole process group, no grace. */
  kill(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Spawns `cmd` in its own process group, output appended to `logFile`; resolves once `ready`
 * (a string in its output, or a port accepting connections) holds.
 */
export async function spawnService(opts: {
  name: string;
  cmd: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  ready?: { output: string } | { port: number };
  timeoutMs?: number;
}): Promise<StackProcess> {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(opts.cmd, opts.args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  const seen = new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      log.write(d);
      if (out.length < 200_000) out += d.toString();
      const want = opts.ready && 'output' in opts.ready ? opts.ready.output : undefined;
      if (want && out.includes(want)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
  void exited.then(() => log.end());
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const proc: StackProcess = {
    name: opts.name,
    child,
    exited,
    stop: () => stopProcessGroup(child),
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      await exited;
    },
  };
  if (opts.ready && 'port' in opts.ready) {
    await waitForPort(opts.ready.port, timeoutMs, opts.name, child).catch(async (err: Error) => {
      await proc.kill();
      throw new Error(`${err.message}:\n${out.slice(-3000)}`);
    });
  } else if (opts.ready) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        seen,
        exited.then(() => {
          throw new Error(
            `${opts.name} exited (${child.exitCode ?? child.signalCode}) before ready:\n${out.slice(-3000)}`,
          );
        }),
        new Promise((_, rej) => {
          timer = setTimeout(
            () => rej(new Error(`${opts.name} not ready within ${timeoutMs} ms:\n${out.slice(-3000)}`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      await proc.kill();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
  return proc;
}

// --- PostgreSQL -------------------------------------------------------------------------------

export interface Postgres {
  port: number;
  dataDir: string;
  current: StackProcess;
  /** Crash-like restart: SIGQUIT to the postmaster (immediate shutdown, recovery at start), then start. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** postgres refuses to run as root: as root, its programs run as the `postgres` user Debian's package creates. */
function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
}

export async function startPostgres(opts: { dir: string; port?: number; logDir: string }): Promise<Postgres> {
  const port = opts.port ?? (await freePort());
  const dataDir = join(opts.dir, 'pgdata');
  const sockDir = join(opts.dir, 'pgsock');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(sockDir, { recursive: true });
  if (process.getuid?.() === 0) {
    const ids = await run('id', ['-u', 'postgres']).then(async (u) => ({
      uid: Number(u.stdout.trim()),
      gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
    }));
    for (const d of [opts.dir, dataDir, sockDir]) chownSync(d, ids.uid, ids.gid);
    // The throwaway parents (0700 mkdtemp directories) must let that user through.
    for (let d = dirname(opts.dir); d !== dirname(d) && d !== tmpdir(); d = dirname(d)) {
      const st = statSync(d);
      if ((st.mode & 0o001) !== 0) continue;
      if (!d.startsWith(tmpdir()))
        throw new Error(`postgres cannot reach ${opts.dir}: ${d} is not traversable by the postgres user`);
      chmodSync(d, (st.mode & 0o777) | 0o711);
    }
  }
  const pwFile = join(opts.dir, 'pgpass');
  writeFileSync(pwFile, `${DB_PASSWORD}\n`, { mode: 0o644 });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const [cmd, args] = asPostgresUser(toolPath('initdb'), [
      '-D',
      dataDir,
      '-U',
      DB_USER,
      '--pwfile',
      pwFile,
      '--auth',
      'scram-sha-256',
      '-E',
      'UTF8',
      '--no-instructions',
    ]);
    await run(cmd, args, { maxBuffer: 10_000_000 });
  }
  const start = () => {
    const [cmd, args] = asPostgresUser(toolPath('postgres'), [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      sockDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      // A throwaway database: durability against an OS crash is not the point (fsync off); a
      // PostgreSQL crash must lose nothing, so commits stay synchronous. With synchronous_commit=off
      // the chaos run's immediate shutdown can lose a just-acknowledged commit, the likely cause of a
      // workflow task recorded as scheduled but never dispatched (backlog 0; the run hung for good).
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
    ]);
    return spawnService({
      name: 'postgresql',
      cmd,
      args,
      logFile: join(opts.logDir, 'postgresql.log'),
      ready: { port },
      timeoutMs: 60_000,
    });
  };
  const pg: Postgres = {
    port,
    dataDir,
    current: await start(),
    async restart() {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGQUIT');
      await pg.current.exited;
      pg.current = await start();
    },
    stop: () => pg.current.stop(),
  };
  return pg;
}

/** Creates the two databases and applies Temporal's PostgreSQL schema with temporal-sql-tool (idempotent on a fresh directory). */
export async function setupTemporalSchema(pg: Postgres): Promise<void> {
  const tool = toolPath('temporal-sql-tool');
  const schemaRoot = join(REPO_ROOT, '.tools', 'temporal-schema', 'postgresql', 'v12');
  const common = [
    '--plugin',
    'postgres12',
    '--ep',
    '127.0.0.1',
    '-p',
    String(pg.port),
    '-u',
    DB_USER,
    '--pw',
    DB_PASSWORD,
  ];
  for (const [db, dir] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    await run(tool, [...common, '--db', db, 'create-database']);
    await run(tool, [...common, '--db', db, 'setup-schema', '-v', '0.0']);
    await run(tool, [...common, '--db', db, 'update-schema', '-d', join(schemaRoot, dir, 'versioned')]);
  }
}

// --- Temporal server --------------------------------------------------------------------------

/**
 * A free port below 32768: the server stores its membership ports in a PostgreSQL smallint
 * (cluster_membership.rpc_port), so the kernel's ephemeral range (32768+) fails its heartbeat.
 */
export async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
    });
    if (free) return port;
  }
}

export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: [number, number, number, number];
}

/** The server's config: the four services in one process, PostgreSQL persistence and visibility. */
export function temporalServerConfig(opts: {
  pgPort: number;
  ports: TemporalServerPorts;
  dynamicConfigFile: string;
  numHistoryShards?: number;
}): Record<string, unknown> {
  const { ports } = opts;
  const sql = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${opts.pgPort}`,
      connectProtocol: 'tcp',
      user: DB_USER,
      password: DB_PASSWORD,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const svc = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: opts.numHistoryShards ?? 4,
      datastores: { 'postgres-default': sql('temporal', 20), 'postgres-visibility': sql('temporal_visibility', 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: svc(ports.frontend, ports.membership[0], { httpPort: ports.frontendHttp }),
      history: svc(ports.history, ports.membership[1]),
      matching: svc(ports.matching, ports.membership[2]),
      worker: svc(ports.worker, ports.membership[3]),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: opts.dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Dynamic config: search attributes visible at once (as the dev server), long ids, no per-namespace throttling in a burst. */
export const TEMPORAL_DYNAMIC_CONFIG = {
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
  'limit.maxIDLength': [{ value: 255, constraints: {} }],
  'frontend.namespaceRPS': [{ value: 10_000, constraints: {} }],
};

export interface TemporalServer {
  address: string;
  ports: TemporalServerPorts;
  current: StackProcess;
  /** SIGKILL, then start again on the same ports and database. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTemporalServer(opts: {
  dir: string;
  logDir: string;
  pgPort: number;
  frontendPort?: number;
}): Promise<TemporalServer> {
  const ports: TemporalServerPorts = {
    frontend: opts.frontendPort ?? (await freeLowPort()),
    frontendHttp: await freeLowPort(),
    history: await freeLowPort(),
    matching: await freeLowPort(),
    worker: await freeLowPort(),
    membership: [await freeLowPort(), await freeLowPort(), await freeLowPort(), await freeLowPort()],
  };
  const dynamicConfigFile = join(opts.dir, 'temporal-dynamic-config.yaml');
  writeFileSync(dynamicConfigFile, stringify(TEMPORAL_DYNAMIC_CONFIG));
  const configFile = join(opts.dir, 'temporal-server.yaml');
  writeFileSync(configFile, stringify(temporalServerConfig({ pgPort: opts.pgPort, ports, dynamicConfigFile })));
  const start = () =>
    spawnService({
      name: 'temporal',
      cmd: toolPath('temporal-server'),
      args: ['--config-file', configFile, '--allow-no-auth', 'start'],
      logFile: join(opts.logDir, 'temporal.log'),
      ready: { port: ports.frontend },
      timeoutMs: 120_000,
    });
  const server: TemporalServer = {
    address: `127.0.0.1:${ports.frontend}`,
    ports,
    current: await start(),
    async restart() {
      await server.current.kill();
      server.current = await start();
    },
    stop: () => server.current.stop(),
  };
  return server;
}

/**
 * What compose's temporal-setup job (and auto-setup) do: the `default` namespace and eksflow's
 * search attributes, with the provisioned Temporal CLI; retried while the frontend warms up.
 */
export async function setupTemporalNamespace(
  address: string,
  namespace = 'default',
  timeoutMs = 120_000,
): Promise<void> {
  const temporal = toolPath('temporal');
  const deadline = Date.now() + timeoutMs;
  const attempt = async (args: string[], okIf: RegExp) => {
    for (;;) {
      try {
        await run(temporal, [...args, '--address', address]);
        return;
      } catch (err) {
        const text = `${(err as { stderr?: string }).stderr ?? ''}${(err as Error).message}`;
        if (okIf.test(text)) return;
        if (Date.now() > deadline) throw new Error(`temporal ${args.join(' ')}: ${text}`);
        await sleep(1000);
      }
    }
  };
  await attempt(['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '72h'], /already/i);
  // A new namespace reaches the frontend's cache within seconds; describe until it does.
  await attempt(['operator', 'namespace', 'describe', '--namespace', namespace], /^$/);
  for (const sa of DEV_SERVER_SEARCH_ATTRIBUTES) {
    const [name, type] = sa.split('=');
    await attempt(
      ['operator', 'search-attribute', 'create', '--namespace', namespace, '--name', name!, '--type', type!],
      /already/i,
    );
  }
}

// --- Temporal UI ------------------------------------------------------------------------------

export async function startTemporalUi(opts: {
  dir: string;
  logDir: string;
  temporalAddress: string;
  port?: number;
}): Promise<StackProcess & { url: string }> {
  const port = opts.port ?? (await freePort());
  const root = join(opts.dir, 'ui');
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(
    join(root, 'config', 'stack.yaml'),
    stringify({
      temporalGrpcAddress: opts.temporalAddress,
      host: '127.0.0.1',
      port,
      enableUi: true,
      defaultNamespace: 'default',
      cors: { allowOrigins: [`http://localhost:${port}`], cookieInsecure: true },
      refreshInterval: '1m',
    }),
  );
  const p = await spawnService({
    name: 'temporal-ui',
    cmd: toolPath('temporal-ui-server'),
    args: ['--root', root, '--config', 'config', '--env', 'stack', 'start'],
    logFile: join(opts.logDir, 'temporal-ui.log'),
    ready: { port },
    timeoutMs: 60_000,
  });
  return { ...p, url: `http://localhost:${port}` };
}

// --- eksflow processes --------------------------------------------------------------------------

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** One eksflow worker (`npm run worker`: tsx today, the compiled build when package.json says so). */
export function startWorkerProcess(opts: {
  index: number;
  logDir: string;
  values: Record<string, string | undefined>;
}): Promise<StackProcess> {
  return spawnService({
    name: `worker-${opts.index}`,
    cmd: npm,
    args: ['run', '--silent', 'worker'],
    logFile: join(opts.logDir, `worker-${opts.index}.log`),
    env: serviceEnvironment('worker', opts.values, process.env),
    ready: { output: 'worker polling' },
    timeoutMs: 300_000,
  });
}

export async function startIngressProcess(opts: {
  logDir: string;
  port: number;
  values: Record<string, string | undefined>;
}): Promise<StackProcess> {
  return spawnService({
    name: 'ingress',
    cmd: npm,
    args: ['run', '--silent', 'ingress'],
    logFile: join(opts.logDir, 'ingress.log'),
    env: serviceEnvironment(
      'ingress',
      {
        ...opts.values,
        EKSFLOW_INGRESS_PORT: String(opts.port),
        EKSFLOW_SQS_QUEUE_URL: opts.values.EKSFLOW_SQS_QUEUE_URL ?? '',
      },
      process.env,
    ),
    ready: { port: opts.port },
    timeoutMs: 180_000,
  });
}

/** The schedules job: `eksflow schedules apply`, run to completion (compose's one-shot `schedules`). */
export async function runSchedulesJob(opts: {
  logDir: string;
  values: Record<string, string | undefined>;
}): Promise<void> {
  const p = await spawnService({
    name: 'schedules',
    cmd: npm,
    args: ['run', '--silent', 'cli', '--', 'schedules', 'apply'],
    logFile: join(opts.logDir, 'schedules.log'),
    env: serviceEnvironment('schedules', opts.values, process.env),
  });
  await p.exited;
  if (p.child.exitCode !== 0)
    throw new Error(
      `schedules apply exited ${p.child.exitCode ?? p.child.signalCode} (see ${join(opts.logDir, 'schedules.log')})`,
    );
}

// --- the whole stack ----------------------------------------------------------------------------

export interface StackOptions {
  /** Throwaway directory: PostgreSQL's data, generated configs, logs/. */
  dir: string;
  workers: number;
  /** eksflow's environment values (EKSFLOW_CONFIG, secrets, AWS endpoint…); the Temporal address is filled in. */
  values: Record<string, string | undefined>;
  ports?: { postgres?: number; temporal?: number; ui?: number; ingress?: number };
  /** Also start the Web UI server (default true). */
  ui?: boolean;
  say?: (msg: string) => void;
  /** Told of each piece as it starts, so a caller interrupted during start-up can stop what runs. */
  track?: (piece: { stop(): Promise<void> }) => void;
}

export interface Stack {
  dir: string;
  logDir: string;
  postgres: Postgres;
  temporal: TemporalServer;
  ui?: StackProcess & { url: string };
  workers: StackProcess[];
  ingress: StackProcess;
  ingressUrl: string;
  values: Record<string, string | undefined>;
  /** SIGKILL worker i and start a new one in its place (resolves when it polls again). */
  restartWorker(i: number, opts?: { killOnly?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const say = opts.say ?? (() => undefined);
  const logDir = join(opts.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const started: { stop(): Promise<void> }[] = [];
  const push = started.push.bind(started);
  started.push = (...pieces) => {
    for (const p of pieces) opts.track?.(p);
    return push(...pieces);
  };
  try {
    const postgres = await startPostgres({ dir: join(opts.dir, 'postgresql'), port: opts.ports?.postgres, logDir });
    started.push(postgres);
    say(`PostgreSQL on 127.0.0.1:${postgres.port} (data ${postgres.dataDir})`);
    await setupTemporalSchema(postgres);
    const temporal = await startTemporalServer({
      dir: opts.dir,
      logDir,
      pgPort: postgres.port,
      frontendPort: opts.ports?.temporal,
    });
    started.push(temporal);
    await setupTemporalNamespace(temporal.address);
    say(`Temporal server on ${temporal.address} (PostgreSQL persistence and visibility; namespace default)`);
    let ui: Stack['ui'];
    if (opts.ui !== false) {
      ui = await startTemporalUi({ dir: opts.dir, logDir, temporalAddress: temporal.address, port: opts.ports?.ui });
      started.push(ui);
      say(`Temporal UI on ${ui.url}`);
    }
    const ingressPort = opts.ports?.ingress ?? (await freePort());
    const values: Record<string, string | undefined> = {
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'eksflow',
      TEMPORAL_UI_URL: ui?.url ?? 'http://localhost:8233',
      EKSFLOW_PUBLIC_URL: `http://localhost:${ingressPort}`,
      EKSFLOW_METRICS_PORT: '',
      ...opts.values,
      TEMPORAL_ADDRESS: temporal.address,
    };
    // Workers load one prebuilt bundle (as the image does) instead of bundling at every start.
    if (values.EKSFLOW_WORKFLOW_BUNDLE === undefined) {
      const started = Date.now();
      const bundlePath = join(opts.dir, 'workflow-bundle.js');
      writeFileSync(bundlePath, await buildWorkflowBundle());
      values.EKSFLOW_WORKFLOW_BUNDLE = bundlePath;
      say(`workflow bundle built in ${Date.now() - started} ms (${bundlePath})`);
    }
    const workers = await Promise.all(
      Array.from({ length: opts.workers }, (_, index) => startWorkerProcess({ index, logDir, values })),
    );
    started.push({ stop: async () => void (await Promise.all(workers.map((w) => w.stop()))) });
    say(`${workers.length} workers polling task queue "${values.TEMPORAL_TASK_QUEUE}"`);
    const ingress = await startIngressProcess({ logDir, port: ingressPort, values });
    started.push(ingress);
    say(`ingress on http://localhost:${ingressPort}`);
    await runSchedulesJob({ logDir, values });
    say('schedules applied');
    const stack: Stack = {
      dir: opts.dir,
      logDir,
      postgres,
      temporal,
      ui,
      workers,
      ingress,
      ingressUrl: `http://127.0.0.1:${ingressPort}`,
      values,
      async restartWorker(i, o) {
        await workers[i]!.kill();
        if (!o?.killOnly) workers[i] = await startWorkerProcess({ index: i, logDir, values });
      },
      async stop() {
        for (const s of started.reverse()) await s.stop().catch(() => undefined);
      },
    };
    return stack;
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
}
