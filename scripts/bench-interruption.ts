/**
 * `npm run bench:interruption`: how fast a spot interruption warning turns into a replacement
 * request that reaches AWS (moto here), through the real path — HTTP ingress, Temporal dev
 * server, worker process(es) running src/worker.ts, EC2 Fleet in moto.
 *   single: 200 events one after another, HTTP 202 → CreateFleet accepted.
 *   burst:  1,000 warnings posted at once, with one and with two worker processes: event time →
 *           CreateFleet accepted, and how many made it within the 120 s notice.
 *   busy:   the same burst with one worker while a CPU hog (a child process spinning one core) runs;
 *           its ceiling is the run's empty shape beside the same hog (`busy.temporal_shape_p99_ms`).
 *   ceiling: a no-op workflow per event started the same way (HTTP → signal-with-start), 1,000 at
 *           once: Temporal's own p99 on this machine (`temporal_p99_ms`); and the replacement
 *           calls made directly with the SDK, no Temporal (`sdk`: one DescribeInstances and one
 *           CreateFleet per event, 1,000 events, 50 at a time — a fleet per event, as eksflow
 *           launched before batching).
 * Each phase gets a fresh moto: moto keeps every instance in one Python process, and slows with
 * each earlier phase's thousands (the busy phase once ran an hour behind them).
 * AWS calls are counted in the worker processes (src/aws/call-counter.ts).
 * Prints one JSON line on stdout; progress goes to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  CreateFleetCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { parseConfig } from '../src/config/load';
import { buildIngressServer } from '../src/ingress/server';
import { REPO_ROOT, startMoto, startTemporalDevServer } from '../src/sandbox/processes';
import { ensureLaunchTemplate, seedCluster } from '../src/sandbox/seed';
import { REPLACEMENT_TAG } from '../src/domain/interruption/capacity';
import { interruptionTaskQueue, type SpotInterruptionResult } from '../workflows/interruption/messages';
import { createServer } from 'node:http';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { historyPhases } from './bench-support/history-phases';
import { createShapeActivities, noopEventSignal, type noopInterruption } from './bench-support/noop-workflows';

const SINGLE_EVENTS = Number(process.argv[2] ?? 200);
const BURST_EVENTS = Number(process.argv[3] ?? 1000);
const TOKEN = 'bench-interruption-token-0123456789';
const account = '777777777777';
const region = 'us-east-1';
const progress = (msg: string) => process.stderr.write(`[bench:interruption] ${msg}\n`);

const rawConfig = {
  clusters: [
    {
      name: 'bench-spot',
      accountId: account,
      region,
      nodegroups: [
        {
          name: 'batch',
          kind: 'self-managed',
          asgName: 'bench-spot-batch',
          capacityType: 'SPOT',
          instanceTypes: ['m5.large', 'm5a.large', 'm6i.large'],
          businessHours: { min: 0, desired: 0, max: 10 },
          offHours: { min: 0, desired: 0, max: 10 },
          interruption: { strategy: 'ec2-fleet', onRebalance: 'act' },
        },
      ],
    },
  ],
};

function quantile(sorted: number[], q: number): number {
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!) : NaN;
}

const callsFile = (dir: string, index: number) => join(dir, `aws-calls-${index}.json`);

/** AWS calls the worker processes made (each writes its counts when it stops), by Service:Operation. */
function workerCalls(dir: string, indexes: number[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const i of indexes) {
    const f = callsFile(dir, i);
    if (!existsSync(f)) throw new Error(`worker ${i} wrote no AWS call counts (${f})`);
    for (const [k, v] of Object.entries(JSON.parse(readFileSync(f, 'utf8')) as Record<string, number>))
      sum[k] = (sum[k] ?? 0) + v;
  }
  return sum;
}
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
const perUnit = (calls: number, units: number) => Math.round((calls / Math.max(1, units)) * 100) / 100;

/** A bounded CPU hog: one core spinning for at most 15 minutes (killed when the phase ends). */
function startCpuHog(): ChildProcess {
  return spawn(process.execPath, ['-e', 'const end = Date.now() + 900000; while (Date.now() < end) {}'], {
    stdio: 'ignore',
  });
}

/**
 * Temporal's own ceiling: `events` no-op workflows started the way the ingress starts a run (an
 * HTTP POST answered after signal-with-start), all at once; p99 of POST → workflow completed.
 */
let runtimeInstalled = false;

async function noopCeiling(
  address: string,
  events: number,
  shape: 'noop' | 'activities' | 'local-activities' = 'noop',
): Promise<number> {
  const taskQueue = `bench-${shape}`;
  if (!runtimeInstalled) Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
  const native = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowsPath: require.resolve('./bench-support/noop-workflows'),
    activities: createShapeActivities(),
  });
  const workflowType = shape === 'noop' ? 'noopInterruption' : 'shapeInterruption';
  const running = worker.run();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      const event = JSON.parse(body) as { id: string };
      client.workflow
        .signalWithStart<typeof noopInterruption, [unknown]>(workflowType, {
          workflowId: `noop/${event.id}`,
          taskQueue,
          args: [shape === 'noop' ? event : { local: shape === 'local-activities' }],
          signal: noopEventSignal,
          signalArgs: [event],
        })
        .then(
          () => res.writeHead(202).end(),
          () => res.writeHead(503).end(),
        );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const start = Date.now();
    const ids = Array.from({ length: events }, (_, i) => `${shape}-${start}-${i}`);
    await Promise.all(
      ids.map(async (id) => {
        const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: JSON.stringify({ id }) });
        if (res.status !== 202) throw new Error(`no-op start answered ${res.status}`);
      }),
    );
    const done = await Promise.all(
      ids.map(async (id) => {
        await client.workflow.getHandle(`noop/${id}`).result();
        return Date.now() - start;
      }),
    );
    return quantile(
      done.sort((a, b) => a - b),
      0.99,
    );
  } finally {
    server.close();
    worker.shutdown();
    await running;
    await connection.close();
    await native.close();
  }
}

async function startWorker(dir: string, env: Record<string, string>, index: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(REPO_ROOT, 'src', 'worker.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...env,
      EKSFLOW_AUDIT_LOG: join(dir, `audit-${index}.jsonl`),
      EKSFLOW_AWS_CALLS_FILE: callsFile(dir, index),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
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
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited ${code}:\n${out}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    /* gone */
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

/** A fresh moto with the bench's cluster seeded, and a way to launch spot nodes of its group in it. */
interface AwsPhase {
  endpoint: string;
  aws: AwsClientFactory;
  ltId: string;
  subnetId: string;
  /** Standalone spot nodes of the group (tagged as EKS tags them): what the warnings are about. */
  launch: (count: number) => Promise<string[]>;
  stop: () => Promise<void>;
}

async function awsPhase(dir: string, name: string): Promise<AwsPhase> {
  const moto = await startMoto({ logFile: join(dir, `moto-${name}.log`) });
  try {
    const config = parseConfig(rawConfig, 'bench config');
    const cluster = config.clusters[0]!;
    const aws = new AwsClientFactory({ endpoint: moto.endpoint, credentials: SANDBOX_CREDENTIALS });
    await seedCluster(aws, cluster);
    // The sandbox's /24 subnets hold ~250 instances; a phase needs over a thousand: one /19.
    const vpc = await aws.ec2(cluster).send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }));
    const subnetId = (
      await aws.ec2(cluster).send(
        new CreateSubnetCommand({
          VpcId: vpc.Vpc!.VpcId!,
          CidrBlock: '10.60.0.0/19',
          AvailabilityZone: `${region}a`,
        }),
      )
    ).Subnet!.SubnetId!;
    const ltId = await ensureLaunchTemplate(aws.ec2(cluster), 'bench-spot-batch', cluster.nodegroups[0]!);
    const launch = async (count: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let left = count; left > 0; left -= 250) {
        const out = await aws.ec2(cluster).send(
          new RunInstancesCommand({
            MinCount: Math.min(250, left),
            MaxCount: Math.min(250, left),
            LaunchTemplate: { LaunchTemplateId: ltId, Version: '$Latest' },
            SubnetId: subnetId,
            TagSpecifications: [
              {
                ResourceType: 'instance',
                Tags: [
                  { Key: 'eks:cluster-name', Value: cluster.name },
                  { Key: 'eks:nodegroup-name', Value: 'batch' },
                ],
              },
            ],
          }),
        );
        ids.push(...(out.Instances ?? []).map((i) => i.InstanceId!));
      }
      return ids;
    };
    return { endpoint: moto.endpoint, aws, ltId, subnetId, launch, stop: () => moto.stop() };
  } catch (err) {
    await moto.stop();
    throw err;
  }
}

/**
 * The replacement calls without eksflow: for each event one DescribeInstances (the interrupted
 * instance) and one instant CreateFleet of one spot instance, made directly with the SDK,
 * `concurrency` events at a time. p99 of event → CreateFleet answered.
 */
async function sdkCeiling(phase: AwsPhase, ids: string[], concurrency: number): Promise<Record<string, number>> {
  const ec2 = phase.aws.ec2({ accountId: account, region });
  const start = Date.now();
  const done: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
        await ec2.send(
          new CreateFleetCommand({
            Type: 'instant',
            TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' },
            SpotOptions: { AllocationStrategy: 'price-capacity-optimized' },
            LaunchTemplateConfigs: [
              {
                LaunchTemplateSpecification: { LaunchTemplateId: phase.ltId, Version: '$Latest' },
                Overrides: rawConfig.clusters[0]!.nodegroups[0]!.instanceTypes.map((t) => ({
                  InstanceType: t as _InstanceType,
                  SubnetId: phase.subnetId,
                })),
              },
            ],
            TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: REPLACEMENT_TAG, Value: id }] }],
          }),
        );
        done.push(Date.now() - start);
      }
    }),
  );
  done.sort((a, b) => a - b);
  return {
    events: ids.length,
    concurrency,
    p50_ms: quantile(done, 0.5),
    p99_ms: quantile(done, 0.99),
    within_deadline: done.filter((l) => l <= 120_000).length,
    aws_calls_per_event: 2,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-bench-int-'));
  const temporal = await startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') });
  const workers: ChildProcess[] = [];
  let app: ReturnType<typeof buildIngressServer> | undefined;
  let connection: Connection | undefined;
  let phaseAws: AwsPhase | undefined;
  /** Stops the previous phase's moto and starts a fresh one. */
  const freshAws = async (name: string): Promise<AwsPhase> => {
    await phaseAws?.stop();
    phaseAws = undefined;
    return (phaseAws = await awsPhase(dir, name));
  };
  try {
    const configPath = join(dir, 'eksflow.yaml');
    writeFileSync(configPath, stringify(rawConfig));
    const workerEnv = (phase: AwsPhase) => ({
      EKSFLOW_CONFIG: configPath,
      TEMPORAL_ADDRESS: temporal.address,
      EKSFLOW_AWS_ENDPOINT: phase.endpoint,
      EKSFLOW_REPORTS_DIR: join(dir, 'reports'),
    });

    connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    // EventBridge API destinations retry 5xx and network errors; so does the bench (three tries).
    const post = async (instanceId: string, time: Date, attempt = 1): Promise<{ status: number; at: number }> => {
      const res = await fetch(`${url}/events/eventbridge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({
          version: '0',
          id: `bench-${instanceId}`,
          'detail-type': 'EC2 Spot Instance Interruption Warning',
          source: 'aws.ec2',
          account,
          time: time.toISOString(),
          region,
          resources: [`arn:aws:ec2:${region}a:instance/${instanceId}`],
          detail: { 'instance-id': instanceId, 'instance-action': 'terminate' },
        }),
      }).catch((err: Error) => ({ status: 599, arrayBuffer: async () => undefined, err }));
      await res.arrayBuffer();
      if (res.status >= 500 && attempt < 3) return post(instanceId, time, attempt + 1);
      return { status: res.status, at: Date.now() };
    };
    /** When CreateFleet was accepted for the instance's replacement; undefined (and logged) when it never was. */
    const requestedAt = async (instanceId: string): Promise<number | undefined> => {
      try {
        const r = await client.workflow
          .getHandle<() => Promise<SpotInterruptionResult>>(`spot-interruption/${instanceId}`)
          .result();
        if (r.requestedAt) return Date.parse(r.requestedAt);
        progress(`no replacement requested for ${instanceId}: ${r.notes.join('; ')}`);
      } catch (err) {
        progress(`workflow for ${instanceId} failed: ${(err as Error).message}`);
      }
      return undefined;
    };
    let url = '';
    const openIngress = async (taskQueue: string) => {
      await app?.close();
      app = buildIngressServer({
        client,
        taskQueue,
        token: TOKEN,
        bodyLimit: 64 * 1024,
        workflowTiming: { pollIntervalMs: 1_000 },
        interruptionTaskQueue: interruptionTaskQueue(taskQueue),
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    };

    // (a) single events: HTTP 202 → replacement request accepted by moto.
    progress(`single: ${SINGLE_EVENTS} events, one worker process`);
    await openIngress('bench-single');
    const singleAws = await freshAws('single');
    workers.push(await startWorker(dir, { ...workerEnv(singleAws), TEMPORAL_TASK_QUEUE: 'bench-single' }, 0));
    const singleIds = await singleAws.launch(SINGLE_EVENTS);
    const single: number[] = [];
    for (const id of singleIds) {
      const r = await post(id, new Date());
      if (r.status !== 202) throw new Error(`HTTP ${r.status} for ${id}`);
      const at = await requestedAt(id);
      if (at !== undefined) single.push(at - r.at);
    }
    await Promise.all(workers.splice(0).map(stopWorker));
    const singleCalls = workerCalls(dir, [0]);
    progress(`single: AWS calls ${JSON.stringify(singleCalls)}`);
    progress(
      `single: ${JSON.stringify({
        events: single.length,
        p50_ms: quantile(
          [...single].sort((a, b) => a - b),
          0.5,
        ),
        p99_ms: quantile(
          [...single].sort((a, b) => a - b),
          0.99,
        ),
      })}`,
    );

    // (b) bursts: all warnings at once, event time = burst start; (c) busy: one worker beside a CPU hog.
    const burst: Record<string, number>[] = [];
    let busy: Record<string, number> | undefined;
    for (const [phase, workerCount] of [
      ['burst', 1],
      ['burst', 2],
      ['busy', 1],
    ] as const) {
      const taskQueue = `bench-${phase}-${workerCount}`;
      progress(`${phase}: ${BURST_EVENTS} events at once, ${workerCount} worker process(es)`);
      await openIngress(taskQueue);
      const phaseEnv = await freshAws(`${phase}-${workerCount}`);
      const hog = phase === 'busy' ? startCpuHog() : undefined;
      for (let i = 0; i < workerCount; i++)
        workers.push(
          await startWorker(
            dir,
            { ...workerEnv(phaseEnv), TEMPORAL_TASK_QUEUE: taskQueue },
            (phase === 'busy' ? 100 : 10 * workerCount) + i,
          ),
        );
      const indexes = Array.from({ length: workerCount }, (_, i) => (phase === 'busy' ? 100 : 10 * workerCount) + i);
      const ids = await phaseEnv.launch(BURST_EVENTS);
      const start = new Date();
      const posted = await Promise.all(ids.map((id) => post(id, start)));
      const rejected = posted.filter((p) => p.status !== 202).length;
      if (rejected) throw new Error(`${rejected} burst events were not accepted`);
      // Events whose replacement was never requested count as events but never as within the deadline.
      const latencies = (await Promise.all(ids.map(requestedAt)))
        .filter((t): t is number => t !== undefined)
        .map((t) => t - start.getTime())
        .sort((a, b) => a - b);
      await Promise.all(workers.splice(0).map(stopWorker));
      hog?.kill('SIGKILL');
      // Where a run's time goes (the one-worker burst): workflow tasks per run and their waits, from the histories.
      let tasksPerEvent: number | undefined;
      if (phase === 'burst' && workerCount === 1) {
        const phases = await historyPhases(
          client,
          ids.map((id) => `spot-interruption/${id}`),
        );
        for (const [k, v] of Object.entries(phases))
          progress(`burst phase ${k}: n ${v.n}, p50 ${v.p50_ms} ms, p95 ${v.p95_ms} ms`);
        tasksPerEvent = perUnit(phases['workflow_task:run']?.n ?? 0, ids.length);
      }
      const calls = workerCalls(dir, indexes);
      progress(`${phase} with ${workerCount}: AWS calls ${JSON.stringify(calls)}`);
      if (phase === 'busy') {
        busy = {
          events: ids.length,
          p99_ms: quantile(latencies, 0.99),
          within_deadline: latencies.filter((l) => l <= 120_000).length,
          aws_calls_per_event: perUnit(total(calls), ids.length),
        };
        progress(`busy: ${JSON.stringify(busy)}`);
        continue;
      }
      burst.push({
        workers: workerCount,
        events: ids.length,
        p50_ms: quantile(latencies, 0.5),
        p99_ms: quantile(latencies, 0.99),
        max_ms: Math.round(latencies[latencies.length - 1]!),
        within_deadline: latencies.filter((l) => l <= 120_000).length,
        aws_calls: total(calls),
        aws_calls_per_event: perUnit(total(calls), ids.length),
        ...(tasksPerEvent !== undefined ? { workflow_tasks_per_event: tasksPerEvent } : {}),
      });
      progress(`burst with ${workerCount}: ${JSON.stringify(burst[burst.length - 1])}`);
    }
    const temporalP99 = await noopCeiling(temporal.address, BURST_EVENTS);
    progress(`ceiling: no-op workflows p99 ${temporalP99} ms`);
    // The run's Temporal shape with empty logic: what its tasks cost the server, as activities and
    // as local activities (how far the burst could move by running its urgent steps locally).
    const shapeP99 = await noopCeiling(temporal.address, BURST_EVENTS, 'activities');
    const shapeLocalP99 = await noopCeiling(temporal.address, BURST_EVENTS, 'local-activities');
    progress(
      `ceiling: the run's shape, empty activities p99 ${shapeP99} ms, empty local activities p99 ${shapeLocalP99} ms`,
    );
    // The busy burst's own ceiling: the same empty shape beside the same CPU hog.
    const shapeHog = startCpuHog();
    const busyShapeP99 = await noopCeiling(temporal.address, BURST_EVENTS, 'activities').finally(() =>
      shapeHog.kill('SIGKILL'),
    );
    progress(`ceiling: the run's shape beside the CPU hog p99 ${busyShapeP99} ms`);
    if (busy)
      busy = {
        ...busy,
        temporal_shape_p99_ms: busyShapeP99,
        ratio: Math.round((busy.p99_ms! / busyShapeP99) * 100) / 100,
      };
    const sdkAws = await freshAws('sdk');
    const sdk = await sdkCeiling(sdkAws, await sdkAws.launch(BURST_EVENTS), 50);
    progress(`ceiling: direct SDK ${JSON.stringify(sdk)}`);
    const allCalls = total(singleCalls) + burst.reduce((a, b) => a + b.aws_calls!, 0);
    const allEvents = single.length + burst.reduce((a, b) => a + b.events!, 0);
    single.sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({ bench: 'interruption', single: { events: single.length, p50_ms: quantile(single, 0.5), p99_ms: quantile(single, 0.99), aws_calls_per_event: perUnit(total(singleCalls), single.length) }, burst, busy, temporal_p99_ms: temporalP99, temporal_shape_p99_ms: shapeP99, temporal_shape_local_p99_ms: shapeLocalP99, sdk, aws_calls: allCalls, aws_calls_per_unit: perUnit(allCalls, allEvents), aws_calls_per_event: perUnit(allCalls, allEvents) })}\n`,
    );
  } catch (err) {
    // Report before cleanup: closing the connection makes pending calls fail noisily.
    process.stderr.write(`bench:interruption failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  } finally {
    await Promise.all(workers.map(stopWorker));
    await app?.close();
    await connection?.close();
    await Promise.all([phaseAws?.stop(), temporal.stop()]);
  }
}

main().catch((err) => {
  process.stderr.write(`bench:interruption failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
