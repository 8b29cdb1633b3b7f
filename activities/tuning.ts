/**
 * The 14:00 performance tuning: read each node group's last 7 days of CPU and memory utilisation
 * (CloudWatch), forecast its CPU, and hand both to the pure proposal logic
 * (src/domain/tuning/proposals.ts); apply an approved proposal through the cluster controller.
 */
import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { parseInput } from './input';
import { cloudwatchGateway, type MetricDataQuery } from './gateways/cloudwatch';
import { describeNodegroup } from './gateways/nodegroups';
import { shippedPriceTable } from '../src/data/pricing';
import { NotFoundError } from '../src/errors';
import type { ClusterConfig, NodegroupConfig } from '../src/config/clusters';
import { scheduleHours } from '../src/domain/cost/schedule-hours';
import { clusterKeyOf, clusterSpecOf, controllerWorkflowId } from '../src/domain/scaling/types';
import { familyOf, proposeForGroup, type InstanceSpec, type TuningProposal } from '../src/domain/tuning/proposals';
import { forecastDemand } from '../src/ml/forecaster';
import { regularise } from '../src/ml/series';

/** Names shared with workflows/scaling/messages.ts (activities never import workflow code). */
const CONTROLLER_CONFIGURE_SIGNAL = 'configure';
const CONTROLLER_OVERRIDE_UPDATE = 'setOverride';
const CONTROLLER_RECORD_ACTION_SIGNAL = 'recordAction';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Where a node group's utilisation comes from: the per-ASG aggregates (Container Insights
 * publishes per node and per cluster, not per node group): EC2's `CPUUtilization` and the
 * CloudWatch agent's `mem_used_percent`, both by `AutoScalingGroupName`.
 */
export function utilisationQueries(asgName: string, periodSeconds: number): MetricDataQuery[] {
  const dims = [{ name: 'AutoScalingGroupName', value: asgName }];
  return [
    { id: 'cpu', namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: dims, stat: 'Average', periodSeconds },
    {
      id: 'mem',
      namespace: 'CWAgent',
      metricName: 'mem_used_percent',
      dimensions: dims,
      stat: 'Average',
      periodSeconds,
    },
  ];
}

const proposeInput = z.object({
  clusterKey: z.string().min(1),
  /** End of the 7-day window (epoch ms); now by default. */
  endMs: z.number().int().positive().optional(),
  expiryHours: z.number().positive().max(72).default(4),
  historyDays: z.number().positive().max(14).default(7),
});
export type ProposeTuningInput = z.input<typeof proposeInput>;

const proposalSchema = z
  .object({
    id: z.string().min(1),
    clusterKey: z.string().min(1),
    nodegroup: z.string().min(1),
    kind: z.enum(['business-size', 'instance-type']),
  })
  .loose();

export function createTuningActivities(deps: ActivityDeps) {
  function clusterOf(clusterKey: string): ClusterConfig {
    const c = deps.config.clusters.find((x) => clusterKeyOf(x) === clusterKey);
    if (!c) throw new NotFoundError(`no cluster ${clusterKey} in the config`);
    return c;
  }
  const targetOf = (c: ClusterConfig) => ({
    accountId: c.accountId,
    region: c.region,
    ...(c.roleArn ? { roleArn: c.roleArn } : {}),
  });

  async function asgNameOf(c: ClusterConfig, ng: NodegroupConfig): Promise<string | undefined> {
    if (ng.kind === 'self-managed') return ng.asgName;
    const d = await describeNodegroup(deps.aws, {
      target: targetOf(c),
      cluster: c.name,
      nodegroup: ng.name,
    });
    return d.autoScalingGroups[0];
  }

  function catalogue(region: string, instanceType: string): Record<string, InstanceSpec> {
    const out: Record<string, InstanceSpec> = {};
    let table;
    try {
      table = shippedPriceTable();
    } catch {
      return out;
    }
    const fam = familyOf(instanceType);
    for (const r of table.rows) {
      if (familyOf(r.instanceType) !== fam) continue;
      const priced = r.region === region ? { usdPerHour: r.usdPerHour } : {};
      const had = out[r.instanceType];
      if (!had || (priced.usdPerHour !== undefined && had.usdPerHour === undefined))
        out[r.instanceType] = { vcpu: r.vcpu, memoryGiB: r.memoryGiB, ...priced };
    }
    return out;
  }

  async function controller(c: ClusterConfig) {
    const tt = deps.config.timetable;
    return deps.temporal.client.workflow.signalWithStart('clusterController', {
      workflowId: controllerWorkflowId(clusterKeyOf(c)),
      taskQueue: deps.temporal.taskQueue,
      args: [{ clusterKey: clusterKeyOf(c) }],
      signal: CONTROLLER_CONFIGURE_SIGNAL,
      signalArgs: [{ cluster: clusterSpecOf(c), calendar: { businessDays: tt.businessDays, holidays: tt.holidays } }],
    });
  }

  return {
    /**
     * Right-sizing proposals for one cluster: per node group, 7 days of hourly CPU/memory
     * utilisation, the forecast CPU peak of the next day (upper bound of the 80% interval), the
     * family's sizes and prices → at most one proposal, or the reason there is none.
     */
    async proposeTuning(raw: ProposeTuningInput): Promise<{ proposals: TuningProposal[]; skipped: string[] }> {
      const input = parseInput(proposeInput, raw, 'proposeTuning');
      const c = clusterOf(input.clusterKey);
      const endMs = input.endMs ?? deps.now().getTime();
      const startMs = endMs - input.historyDays * DAY_MS;
      const cw = cloudwatchGateway({ aws: deps.aws, target: targetOf(c) });
      const hours = scheduleHours(deps.config.timetable).monthly;
      const proposals: TuningProposal[] = [];
      const skipped: string[] = [];
      for (const ng of c.nodegroups) {
        const asg = await asgNameOf(c, ng);
        if (!asg) {
          skipped.push(`${ng.name}: no Auto Scaling group to read utilisation from`);
          continue;
        }
        const data = await cw.getMetricData(utilisationQueries(asg, 3600), startMs, endMs);
        const cpuPts = (data.cpu ?? []).filter((p) => Number.isFinite(p.v));
        const memPts = (data.mem ?? []).filter((p) => Number.isFinite(p.v));
        let forecastPeakCpu: number | undefined;
        if (cpuPts.length >= 24) {
          try {
            const { values } = regularise(
              cpuPts.map((p) => ({ t: p.t, value: p.v })),
              HOUR_MS,
            );
            const f = forecastDemand({ history: values, stepMinutes: 60, horizonSteps: 24 });
            // Sized like the scale-up: on the upper bound of the 80% interval.
            forecastPeakCpu = Math.min(100, Math.max(...f.intervals.p80.upper));
          } catch {
            forecastPeakCpu = undefined;
          }
        }
        const out = proposeForGroup({
          clusterKey: input.clusterKey,
          cluster: c.name,
          ng,
          cpu: cpuPts.map((p) => p.v),
          memory: memPts.map((p) => p.v),
          ...(forecastPeakCpu !== undefined ? { forecastPeakCpu } : {}),
          catalogue: catalogue(c.region, ng.instanceTypes[0]!),
          monthlyHours: { business: hours.business + hours.ramp / 2, off: hours.off + hours.ramp / 2 },
          calendar: { businessDays: deps.config.timetable.businessDays, holidays: deps.config.timetable.holidays },
          nowMs: endMs,
          expiryHours: input.expiryHours,
        });
        if ('proposal' in out) proposals.push(out.proposal);
        else skipped.push(out.skipped);
      }
      return { proposals, skipped };
    },

    /**
     * An approved proposal: a size change becomes the controller's override of the node group
     * until the end of the business window (the controller applies it at once and records it
     * with the approver); a type change is recorded as a config suggestion (a node group's type
     * changes through a new launch template, not by eksflow). Either way the controller's
     * actions list it with the approver's name. `requestId` makes a retry one change.
     */
    async applyTuningProposal(raw: {
      proposal: TuningProposal;
      by: string;
      note?: string;
      requestId: string;
    }): Promise<{ applied: boolean; result: string }> {
      const input = parseInput(
        z.object({
          proposal: proposalSchema,
          by: z.string().min(1),
          note: z.string().optional(),
          requestId: z.string().min(1),
        }),
        raw,
        'applyTuningProposal',
      );
      const p = raw.proposal;
      const c = clusterOf(p.clusterKey);
      const ng = c.nodegroups.find((n) => n.name === p.nodegroup);
      if (!ng) throw new NotFoundError(`no node group ${p.nodegroup} in cluster ${c.name}`);
      const handle = await controller(c);
      const sz = p.proposed.businessHours;
      const permanent = `to keep it, set ${c.name}/${ng.name} ${
        p.kind === 'instance-type'
          ? `instanceTypes: [${p.proposed.instanceType}]`
          : `businessHours: {min: ${sz.min}, desired: ${sz.desired}, max: ${sz.max}}`
      } in eksflow.yaml`;
      let applied = false;
      let result: string;
      if (p.kind === 'business-size') {
        const nowMs = deps.now().getTime();
        const untilMs = p.holdUntilMs > nowMs ? p.holdUntilMs : nowMs + HOUR_MS;
        await handle.executeUpdate(CONTROLLER_OVERRIDE_UPDATE, {
          updateId: input.requestId,
          args: [
            {
              nodegroup: ng.name,
              min: sz.min,
              ...(ng.scalingMode === 'desired' ? { desired: sz.desired } : {}),
              max: sz.max,
              untilMs,
              reason: `tuning ${p.id}: ${p.summary}`.slice(0, 500),
              by: input.by,
            },
          ],
        });
        applied = true;
        result = `override ${ng.name} min=${sz.min} desired=${sz.desired} max=${sz.max} until ${new Date(untilMs).toISOString()}; ${permanent}`;
      } else {
        result = `config suggestion: ${permanent}`;
      }
      await handle.signal(CONTROLLER_RECORD_ACTION_SIGNAL, {
        action: 'tuning-approved',
        summary: `${p.id} approved by ${input.by}${input.note ? ` (${input.note})` : ''}: ${result}`.slice(0, 1000),
        workflowId: `tuning/${p.id}`,
      });
      return { applied, result };
    },

    /** A rejected or expired proposal, recorded in the controller's actions. */
    async recordTuningOutcome(raw: {
      proposal: TuningProposal;
      outcome: 'rejected' | 'expired';
      by?: string;
      reason?: string;
    }): Promise<void> {
      parseInput(
        z.object({ proposal: proposalSchema, outcome: z.enum(['rejected', 'expired']) }).loose(),
        raw,
        'recordTuningOutcome',
      );
      const p = raw.proposal;
      const handle = await controller(clusterOf(p.clusterKey));
      const what =
        raw.outcome === 'rejected'
          ? `${p.id} rejected by ${raw.by ?? 'operator'}: ${raw.reason ?? ''}`
          : `${p.id} expired unapproved at ${new Date(p.expiresAtMs).toISOString()}`;
      await handle.signal(CONTROLLER_RECORD_ACTION_SIGNAL, {
        action: `tuning-${raw.outcome}`,
        summary: `${what} (${p.summary})`.slice(0, 1000),
        workflowId: `tuning/${p.id}`,
      });
    },
  };
}

export type TuningActivities = ReturnType<typeof createTuningActivities>;
