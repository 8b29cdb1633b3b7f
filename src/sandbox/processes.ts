import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../search-attributes';

/** Repo root, resolved from this file so scripts work from any working directory. */
export const REPO_ROOT = resolve(__dirname, '..', '..');
export const TOOLS_BIN = join(REPO_ROOT, '.tools', 'bin');

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A TCP port that is free right now on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs: number, what: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`${what} exited with code ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`);
}

/** Finds a provisioned tool: `.tools/bin/<name>` (see scripts/provision.sh). */
export function toolPath(name: string): string {
  const p = join(TOOLS_BIN, name);
  if (!existsSync(p)) throw new Error(`${name} is not provisioned: run \`npm run provision\` first (looked for ${p})`);
  return p;
}

/** SIGTERM to the child's process group, SIGKILL after 5 s; resolves once the child has exited. */
export function stopProcessGroup(child: ChildProcess): Promise<void> {
  return new Promise<void>((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      res();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      res();
    }
  });
}

function launch(name: string, cmd: string, args: string[], logFile?: string, env?: NodeJS.ProcessEnv): ManagedProcess {
  const out = logFile ? (mkdirSync(dirname(logFile), { recursive: true }), openSync(logFile, 'a')) : 'ignore';
  // detached: the child leads its own process group, so stop() can end its children too.
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true, env: { ...process.env, ...env } });
  const stop = () => stopProcessGroup(child);
  return { name, child, stop };
}

export interface MotoServer extends ManagedProcess {
  endpoint: string;
  port: number;
}

/**
 * Starts the moto AWS emulator (from the provisioned virtualenv) on a local port, through
 * src/sandbox/moto-server.py: moto with an EC2 resource's own tags read from its per-resource
 * table instead of a scan of every tag in the region (same answers; DescribeInstances no longer
 * O(instances × all tags)). `unpatched` runs moto's own `moto_server` (the comparison test).
 */
export async function startMoto(
  opts: { port?: number; logFile?: string; env?: Record<string, string>; unpatched?: boolean } = {},
): Promise<MotoServer> {
  const port = opts.port ?? (await freePort());
  const bin = join(REPO_ROOT, '.tools', 'moto', 'bin', 'moto_server');
  if (!existsSync(bin)) throw new Error(`moto is not provisioned: run \`npm run provision\` first (looked for ${bin})`);
  const serverArgs = ['-H', '127.0.0.1', '-p', String(port)];
  const [command, args] = opts.unpatched
    ? [bin, serverArgs]
    : [
        join(REPO_ROOT, '.tools', 'moto', 'bin', 'python'),
        [join(REPO_ROOT, 'src', 'sandbox', 'moto-server.py'), ...serverArgs],
      ];
  const p = launch('moto', command, args, opts.logFile, {
    MOTO_ALLOW_NONEXISTENT_REGION: 'true',
    ...opts.env,
  });
  await waitForPort(port, 30_000, 'moto', p.child);
  return { ...p, endpoint: `http://127.0.0.1:${port}`, port };
}

export interface DevServer extends ManagedProcess {
  address: string;
  port: number;
  uiPort?: number;
}

/**
 * Starts `temporal server start-dev`: a real Temporal server with SQLite persistence (when
 * `dbFile` is given) and the Web UI (unless headless), with eksflow's search attributes.
 */
export async function startTemporalDevServer(
  opts: { port?: number; uiPort?: number; dbFile?: string; headless?: boolean; logFile?: string } = {},
): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-level',
    'warn',
    '--namespace',
    'default',
  ];
  for (const sa of DEV_SERVER_SEARCH_ATTRIBUTES) args.push('--search-attribute', sa);
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  let uiPort: number | undefined;
  if (opts.headless) args.push('--headless');
  else {
    uiPort = opts.uiPort ?? (await freePort());
    args.push('--ui-port', String(uiPort));
  }
  const p = launch('temporal', toolPath('temporal'), args, opts.logFile);
  await waitForPort(port, 60_000, 'temporal dev server', p.child);
  return { ...p, address: `127.0.0.1:${port}`, port, uiPort };
}
