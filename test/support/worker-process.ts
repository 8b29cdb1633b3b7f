import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../../src/sandbox/processes';
import { motoEndpoint, temporalAddress } from './stack';

export interface WorkerProcess {
  child: ChildProcess;
  auditLog: string;
  /** SIGKILL: the process dies mid-work, as in a crash or an OOM kill. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

/**
 * Runs the real worker entry point (src/worker.ts) as a separate OS process against the test
 * run's dev server and moto, so tests can kill it mid-workflow and start another.
 */
export async function spawnWorkerProcess(opts: {
  config: unknown;
  taskQueue: string;
  auditLog?: string;
  env?: Record<string, string>;
  /** Node arguments of the worker; default the TypeScript entry point through tsx (e.g. the compiled `dist/src/worker.js`). */
  nodeArgs?: string[];
}): Promise<WorkerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-worker-'));
  const configPath = join(dir, 'eksflow.yaml');
  writeFileSync(configPath, stringify(opts.config));
  const auditLog = opts.auditLog ?? join(dir, 'audit.jsonl');
  const nodeArgs = opts.nodeArgs ?? [require.resolve('tsx/cli'), join(REPO_ROOT, 'src', 'worker.ts')];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      EKSFLOW_CONFIG: configPath,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      EKSFLOW_AWS_ENDPOINT: motoEndpoint(),
      EKSFLOW_AUDIT_LOG: auditLog,
      EKSFLOW_REPORTS_DIR: join(dir, 'reports'),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // tsx runs the worker in a child node process: give both their own process group, so a kill
    // reaches the real worker too (killing only the tsx parent left the worker running).
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('worker polling')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${out}`));
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* already gone */
    }
  };
  const waitExit = () =>
    new Promise<void>((r) =>
      child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
    );
  return {
    child,
    auditLog,
    output: () => out,
    async kill() {
      signalGroup('SIGKILL');
      await waitExit();
    },
    async stop() {
      signalGroup('SIGTERM');
      // A worker that does not exit promptly (open connections) is killed: no process outlives a test.
      const timer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
      await waitExit();
      clearTimeout(timer);
      signalGroup('SIGKILL');
    },
  };
}
