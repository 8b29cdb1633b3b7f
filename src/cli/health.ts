import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { readEnv, type EksflowEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import type { EksflowConfig } from '../config/schema';
import { connectClient } from '../client';
import {
  checkHealthNow,
  ensureHealthMonitors,
  healthStatus,
  pauseHealth,
  resolveHealthCluster,
  resumeHealth,
} from '../client/health';
import { formatHealthStatus } from '../domain/health/table';
import { UsageError } from './usage-error';

function operatorName(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}

interface Ctx {
  env: EksflowEnv;
  config: EksflowConfig;
  client: Client;
  workflowId: string;
}

async function context(cluster: string | undefined): Promise<Ctx> {
  if (!cluster) throw new UsageError('--cluster is required');
  const env = readEnv();
  const config = loadConfigFile(env.EKSFLOW_CONFIG);
  let workflowId: string;
  try {
    workflowId = resolveHealthCluster(config, cluster).workflowId;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const client = await connectClient(env);
  // The monitor is started by the worker and `schedules apply`; starting it here too is harmless.
  await ensureHealthMonitors(client, config, env.TEMPORAL_TASK_QUEUE);
  return { env, config, client, workflowId };
}

async function friendly<T>(p: Promise<T>, workflowId: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new UsageError(((err.cause as Error | undefined)?.message ?? err.message).replace(/^Error: /, ''));
    if (err instanceof WorkflowNotFoundError)
      throw new UsageError(`no health monitor ${workflowId}: add the cluster under health.clusters and start a worker`);
    throw err;
  }
}

export function registerHealthCommands(program: Command): void {
  const health = program
    .command('health')
    .description('PromQL health checks per cluster (status, pause, resume, one-off check)');
  const print = (s: Parameters<typeof formatHealthStatus>[0]) =>
    process.stdout.write(`${formatHealthStatus(s, Date.now())}\n`);

  health
    .command('status')
    .description('Each check: state, value, since')
    .option('--cluster <name>')
    .option('--json', 'print JSON')
    .action(async (o: { cluster?: string; json?: boolean }) => {
      const ctx = await context(o.cluster);
      const s = await friendly(healthStatus(ctx.client, ctx.workflowId), ctx.workflowId);
      if (o.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      else print(s);
    });

  health
    .command('check')
    .description('Evaluate every check now and print the table (while paused: values only)')
    .option('--cluster <name>')
    .option('--json', 'print JSON')
    .action(async (o: { cluster?: string; json?: boolean }) => {
      const ctx = await context(o.cluster);
      const s = await friendly(checkHealthNow(ctx.client, ctx.workflowId), ctx.workflowId);
      if (o.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      else print(s);
    });

  health
    .command('pause')
    .description('Stop evaluating (maintenance); open alerts stay')
    .option('--cluster <name>')
    .requiredOption('--reason <text>')
    .option('--by <name>', 'who asks (recorded)', operatorName())
    .action(async (o: { cluster?: string; reason: string; by: string }) => {
      const ctx = await context(o.cluster);
      print(await friendly(pauseHealth(ctx.client, ctx.workflowId, { by: o.by, reason: o.reason }), ctx.workflowId));
    });

  health
    .command('resume')
    .description('Evaluate again')
    .option('--cluster <name>')
    .option('--by <name>', 'who asks (recorded)', operatorName())
    .action(async (o: { cluster?: string; by: string }) => {
      const ctx = await context(o.cluster);
      print(await friendly(resumeHealth(ctx.client, ctx.workflowId, { by: o.by }), ctx.workflowId));
    });
}
