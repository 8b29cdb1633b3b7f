/**
 * `npm run bench:worker`: what one worker process costs. Starts src/worker.ts as a child process
 * (compiled JS from dist/ when built, else through tsx) against a Temporal dev server and prints
 * one JSON line: process start → "worker polling" (`ready_ms`), RSS idle once polling
 * (`rss_idle_mb`) and RSS after 1,000 open alert workflows (each waiting on its escalation timer,
 * so they stay in the worker's sticky cache; `rss_after_mb`). RSS is the worker process's own
 * (VmRSS); with tsx the loader's parent process is not counted. BENCH_WORKFLOWS changes 1,000.
 * `query_ms` is the time to query all of them once they are open (32 at a time): a run the sticky
 * cache no longer holds is replayed from its history to answer, so it shows what a smaller cache
 * (EKSFLOW_MAX_CACHED_WORKFLOWS, printed as `max_cached`) costs a burst of wake-ups.
 * `rss_settled_mb` is the RSS once the worker has been idle BENCH_SETTLE_SECONDS (default 60):
 * `rss_after_mb`, 2 s after the last query, still holds the garbage of the runs replayed and
 * evicted, which V8 collects and returns some 30 s later, in its own time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { alertStatus, openOrMergeAlert } from '../src/client/alerts';
import { alertWorkflowId } from '../src/domain/alerts/dedup';
import { readEnv } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { REPO_ROOT, startTemporalDevServer } from '../src/sandbox/processes';
import { startReceivers } from '../src/sandbox/receivers';

const N = Number(process.env.BENCH_WORKFLOWS ?? 1000);
const SETTLE_S = Number(process.env.BENCH_SETTLE_SECONDS ?? 60);
const progress = (msg: string) => process.stderr.write(`[bench:worker] ${msg}\n`);

/** The process's resident set (MB), from /proc. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

let queryRetries = 0;

/**
 * Queries every bench alert's status, 32 at a time. A query is retried (up to 3 attempts): with a
 * small sticky cache, the SDK's core now and then fails a query whose run it is replaying
 * ("Extra buffered run should not have produced an activation" in the worker's log).
 */
async function queryAll(client: Client): Promise<void> {
  const query = async (id: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await alertStatus(client, id);
      } catch (err) {
        if (attempt === 3) throw err;
        queryRetries++;
        const cause = (err as Error & { cause?: Error }).cause?.message ?? '';
        progress(`query ${id} failed (${(err as Error).message}: ${cause}); retrying`);
      }
    }
  };
  for (let i = 0; i < N; i += 32)
    await Promise.all(
      Array.from({ length: Math.min(32, N - i) }, (_, j) => query(alertWorkflowId(`bench-worker-${i + j}`))),
    );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-bench-worker-'));
  const temporal = await startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') });
  const receivers = await startReceivers();
  let child: ChildProcess | undefined;
  let connection: Connection | undefined;
  try {
    const raw = {
      clusters: [
        {
          name: 'bench',
          accountId: '123456789012',
          region: 'ap-south-1',
          nodegroups: [
            {
              name: 'ng',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 1, max: 2 },
              offHours: { min: 0, desired: 0, max: 2 },
            },
          ],
        },
      ],
      notifications: {
        channels: { slack: { webhookUrlEnv: 'BENCH_SLACK_URL' } },
        routes: { warning: { channels: ['slack'] } },
      },
    };
    const config = parseConfig(raw, 'bench config');
    const configPath = join(dir, 'eksflow.yaml');
    writeFileSync(configPath, stringify(raw));
    const taskQueue = 'bench-worker';
    const compiled = join(REPO_ROOT, 'dist', 'src', 'worker.js');
    // One process either way: tsx as a loader of this node, not its CLI (which forks a second).
    const args = existsSync(compiled) ? [compiled] : ['--import', 'tsx', join(REPO_ROOT, 'src', 'worker.ts')];
    const t0 = Date.now();
    child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        EKSFLOW_CONFIG: configPath,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        EKSFLOW_AUDIT_LOG: join(dir, 'audit.jsonl'),
        EKSFLOW_REPORTS_DIR: join(dir, 'reports'),
        BENCH_SLACK_URL: receivers.slackUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid!;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start:\n${out}`)), 120_000);
      const onData = (d: Buffer) => {
        out += d;
        if (out.includes('worker polling')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      child!.once('exit', (code) => reject(new Error(`worker exited ${code}:\n${out}`)));
    });
    const readyMs = Date.now() - t0;
    child.stdout!.resume();
    child.stderr!.resume();
    await new Promise((r) => setTimeout(r, 2_000));
    const rssIdle = rssMb(pid);
    progress(`ready in ${readyMs} ms (${args[0]}), RSS idle ${rssIdle} MB; opening ${N} alerts`);

    connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < N) {
          const i = next++;
          await openOrMergeAlert(
            client,
            { taskQueue, config, uiBaseUrl: 'http://localhost:8233' },
            { severity: 'warning', type: 'bench', dedupKey: `bench-worker-${i}`, summary: `bench ${i}` },
          );
        }
      }),
    );
    // Each workflow answered a query: it has run its first task and now waits (cached) on its timer.
    // (Deliveries are no signal: a warning out of business hours goes to the digest.)
    await queryAll(client);
    // Again, timed: every run has been through the cache once (the burst above may have overlapped
    // with first tasks still running).
    const q0 = Date.now();
    await queryAll(client);
    const queryMs = Date.now() - q0;
    await new Promise((r) => setTimeout(r, 2_000));
    const rssAfter = rssMb(pid);
    progress(`RSS ${rssAfter} MB 2 s after the last query; idle ${SETTLE_S} s more`);
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    const rssSettled = rssMb(pid);
    process.stdout.write(
      `${JSON.stringify({ bench: 'worker', ready_ms: readyMs, rss_idle_mb: rssIdle, rss_after_mb: rssAfter, rss_settled_mb: rssSettled, workflows: N, query_ms: queryMs, query_retries: queryRetries, max_cached: readEnv().EKSFLOW_MAX_CACHED_WORKFLOWS, runtime: existsSync(compiled) ? 'compiled' : 'tsx' })}\n`,
    );
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    await connection?.close();
    await receivers.close();
    await temporal.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:worker failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
