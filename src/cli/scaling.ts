import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { readEnv, type EksflowEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import type { EksflowConfig } from '../config/schema';
import { connectClient } from '../client';
import {
  clearNodegroupOverride,
  clusterStatus,
  controllerTarget,
  findCluster as findConfiguredCluster,
  overrideNodegroup,
  pauseCluster,
  resumeCluster,
  startManualScale,
  type ControllerTarget,
} from '../client/scaling';
import type { EffectivePlan } from '../domain/scaling/control';
import { resultTable } from '../domain/scaling/results';
import type { ClusterSpec } from '../domain/scaling/types';
import { formatIst, parseUntil } from '../domain/timetable/ist';
import { EksflowError } from '../errors';
import { scheduleIdFor } from '../../schedules/apply';
import { UsageError } from './usage-error';
import { operatorName } from './operator';

interface Ctx {
  env: EksflowEnv;
  config: EksflowConfig;
  client: Client;
  cluster: ClusterSpec;
  target: ControllerTarget;
}

/** Finds a configured cluster by name or `<account>/<region>/<name>` (src/client/scaling.ts; a usage error here). */
export function findCluster(config: EksflowConfig, wanted: string): ClusterSpec {
  return asUsageSync(() => findConfiguredCluster(config, wanted));
}

async function context(clusterName: string | undefined): Promise<Ctx> {
  if (!clusterName) throw new UsageError('--cluster is required');
  const env = readEnv();
  const config = loadConfigFile(env.EKSFLOW_CONFIG);
  const cluster = findCluster(config, clusterName);
  const client = await connectClient(env);
  return { env, config, client, cluster, target: controllerTarget(config, env.TEMPORAL_TASK_QUEUE, cluster) };
}

function asUsageSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof EksflowError) throw new UsageError(err.message);
    throw err;
  }
}

/** A rejected request (the controller's validator) is the operator's input being wrong: exit 2 with the reason. */
async function asUsage<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof EksflowError) throw new UsageError(err.message);
    throw err;
  }
}

export function intOption(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, got "${value}"`);
  return Number(value);
}

function until(text: string | undefined, required: boolean): number | undefined {
  if (!text) {
    if (required)
      throw new UsageError(
        '--until is required (ISO instant, HH:MM IST, "YYYY-MM-DD HH:MM" IST, or a duration like 4h)',
      );
    return undefined;
  }
  try {
    return parseUntil(text, Date.now());
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const fmt = (s: { min: number; desired: number; max: number }) => `${s.min}/${s.desired}/${s.max}`;

export function planTable(plan: EffectivePlan): string {
  const lines = [
    `phase now: ${plan.phase}${plan.paused ? ` — PAUSED by ${plan.paused.by}: ${plan.paused.reason}${plan.paused.untilMs ? ` until ${formatIst(plan.paused.untilMs)}` : ''}` : ''}`,
  ];
  lines.push('NODEGROUP            MODE     TIMETABLE  EFFECTIVE  SOURCE');
  for (const g of plan.nodegroups) {
    const src = g.override
      ? `override by ${g.override.by} until ${formatIst(g.override.untilMs)}: ${g.override.reason}`
      : 'timetable';
    lines.push(
      `${g.nodegroup.padEnd(20)} ${g.mode.padEnd(8)} ${fmt(g.timetable).padEnd(10)} ${fmt(g.effective).padEnd(10)} ${src}`,
    );
  }
  return lines.join('\n');
}

export function registerScalingCommands(program: Command): void {
  const scaling = program
    .command('scaling')
    .description('Operator control of the timetable per cluster (pause, overrides, status)');
  const by = ['--by <name>', 'who asks (recorded)', operatorName()] as const;

  scaling
    .command('pause')
    .description('Skip scheduled runs for a cluster (an in-flight scale-down stops before its next step)')
    .option('--cluster <name>')
    .requiredOption('--reason <text>')
    .option('--until <time>', 'e.g. 07:30 (next morning IST), 12h, ISO instant')
    .option(...by)
    .action(async (o: { cluster?: string; reason: string; until?: string; by: string }) => {
      const ctx = await context(o.cluster);
      const untilMs = until(o.until, false);
      const plan = await asUsage(
        pauseCluster(ctx.client, ctx.target, { reason: o.reason, by: o.by, ...(untilMs ? { untilMs } : {}) }),
      );
      process.stdout.write(`${planTable(plan)}\n`);
    });

  scaling
    .command('resume')
    .description('Lift a pause')
    .option('--cluster <name>')
    .option(...by)
    .action(async (o: { cluster?: string; by: string }) => {
      const ctx = await context(o.cluster);
      const plan = await asUsage(resumeCluster(ctx.client, ctx.target, { by: o.by }));
      process.stdout.write(`${planTable(plan)}\n`);
    });

  scaling
    .command('override')
    .description('Hold a node group at a size until a time (applied now, wins over the timetable)')
    .option('--cluster <name>')
    .requiredOption('--nodegroup <name>')
    .option('--min <n>')
    .option('--desired <n>')
    .option('--max <n>')
    .requiredOption('--until <time>')
    .requiredOption('--reason <text>')
    .option(...by)
    .action(
      async (o: {
        cluster?: string;
        nodegroup: string;
        min?: string;
        desired?: string;
        max?: string;
        until: string;
        reason: string;
        by: string;
      }) => {
        const ctx = await context(o.cluster);
        const req = {
          nodegroup: o.nodegroup,
          reason: o.reason,
          by: o.by,
          untilMs: until(o.until, true)!,
          ...(o.min !== undefined ? { min: intOption(o.min, '--min') } : {}),
          ...(o.desired !== undefined ? { desired: intOption(o.desired, '--desired') } : {}),
          ...(o.max !== undefined ? { max: intOption(o.max, '--max') } : {}),
        };
        const plan = await asUsage(overrideNodegroup(ctx.client, ctx.target, req));
        process.stdout.write(`${planTable(plan)}\n`);
      },
    );

  scaling
    .command('clear-override')
    .description('Drop an override (the group returns to the timetable size)')
    .option('--cluster <name>')
    .requiredOption('--nodegroup <name>')
    .option(...by)
    .action(async (o: { cluster?: string; nodegroup: string; by: string }) => {
      const ctx = await context(o.cluster);
      const plan = await asUsage(clearNodegroupOverride(ctx.client, ctx.target, { nodegroup: o.nodegroup, by: o.by }));
      process.stdout.write(`${planTable(plan)}\n`);
    });

  scaling
    .command('status')
    .description('Pause, overrides with expiry, last actions, next scheduled runs')
    .option('--cluster <name>')
    .action(async (o: { cluster?: string }) => {
      const ctx = await context(o.cluster);
      const { status } = await clusterStatus(ctx.client, ctx.target);
      const out = [`cluster ${ctx.cluster.key}`];
      out.push(
        status.paused
          ? `paused by ${status.paused.by}: ${status.paused.reason}${status.paused.untilMs ? ` (until ${formatIst(status.paused.untilMs)})` : ''}`
          : 'not paused',
      );
      for (const ov of status.overrides) {
        const sizes = (['min', 'desired', 'max'] as const)
          .filter((k) => ov[k] !== undefined)
          .map((k) => `${k}=${ov[k]}`)
          .join(' ');
        out.push(`override ${ov.nodegroup}: ${sizes} until ${formatIst(ov.untilMs)} by ${ov.by}: ${ov.reason}`);
      }
      out.push('next runs:');
      for (const id of ['scale-up', 'gradual-scale-down']) {
        const desc = await ctx.client.schedule
          .getHandle(scheduleIdFor(id))
          .describe()
          .catch(() => undefined);
        const next = desc?.info.nextActionTimes[0];
        out.push(`  ${id}: ${next ? formatIst(next.getTime()) : desc ? 'none (paused)' : 'schedule not applied'}`);
      }
      out.push('last actions:');
      for (const a of status.lastActions.slice(-10)) out.push(`  ${formatIst(a.atMs)} ${a.action}: ${a.summary}`);
      process.stdout.write(`${out.join('\n')}\n`);
    });

  const scale = program.command('scale').description('Run the timetable scale-up or scale-down for one cluster now');
  for (const direction of ['up', 'down'] as const) {
    scale
      .command(direction)
      .description(`scale ${direction} now (with --dry-run: print the plan only)`)
      .option('--cluster <name>')
      .option('--dry-run', 'print the plan as a table, change nothing')
      .action(async (o: { cluster?: string; dryRun?: boolean }) => {
        const ctx = await context(o.cluster);
        const handle = await startManualScale(ctx.client, {
          taskQueue: ctx.env.TEMPORAL_TASK_QUEUE,
          clusterKey: ctx.cluster.key,
          direction,
          dryRun: Boolean(o.dryRun),
          by: operatorName(),
        });
        const result = await handle.result();
        process.stdout.write(`${resultTable(result.clusters)}\n`);
        const c = result.clusters[0];
        if (c && (c.status === 'skipped' || c.status === 'stopped' || c.status === 'failed'))
          process.stdout.write(`${c.status}: ${c.reason ?? ''}\n`);
      });
  }
}
