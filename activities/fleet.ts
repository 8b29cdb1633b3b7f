import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { parseInput, partialSizeSchema, requestTokenSchema } from './input';
import { kubernetesGateways } from './kubernetes';
import { applyAsgSize, asgInstanceIds, asgSize, describeAsg, terminateInAsg } from './gateways/asg';
import { batchedAsg } from './gateways/batched-reads';
import type { ApplySizeResult } from './gateways/deps';
import {
  applyNodegroupSize,
  describeNodegroup,
  nodegroupLabel as label,
  nodegroupRefSchema,
} from './gateways/nodegroups';
import { shippedPriceTable } from '../src/data/pricing';
import { classifyError } from '../src/aws/errors';
import { EksflowError, NotFoundError, ValidationError } from '../src/errors';
import type { PartialSize } from '../src/domain/size';
import type { PriceTable } from '../src/domain/pricing/on-demand-table';
import {
  clusterKeyOf,
  clusterSpecOf,
  MAX_GROUPS_PER_READ,
  type ClusterSpec,
  type ControlState,
  type GroupReading,
  type GroupRef,
  type ScalingSettings,
} from '../src/domain/scaling/types';
import type { BusinessCalendar } from '../src/domain/timetable/phase';
import { requiredNodes, type WorkloadRequests } from '../src/domain/scaling/safety';
import { cpuMillis, memoryBytes } from '../src/domain/scaling/k8s-quantity';
import { readControlState } from '../src/client/scaling';

/** One group's part of `readGroups`: its reading, or the failure no retry can fix. */
export type GroupReadOutcome = { reading: GroupReading } | { error: string; type: string };

/** The configured fleet as plain JSON, plus what the scaling workflows need to know about it. */
export interface FleetView {
  clusters: ClusterSpec[];
  calendar: BusinessCalendar;
  settings: ScalingSettings;
  /** On-Demand USD per node-hour keyed `region/instanceType`, where the price is known. */
  prices: Record<string, number>;
}

const groupRefSchema = nodegroupRefSchema.extend({
  kind: z.enum(['eks-managed', 'self-managed']),
  asgName: z.string().optional(),
});
const groupRefsSchema = z.array(groupRefSchema).min(1).max(MAX_GROUPS_PER_READ);
const applySchema = z.object({ ref: groupRefSchema, size: partialSizeSchema, requestToken: requestTokenSchema });
const terminateSchema = z.object({
  ref: groupRefSchema,
  instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'an EC2 instance id'),
  requestToken: requestTokenSchema,
});

export function createFleetActivities(deps: ActivityDeps) {
  let priceTable: PriceTable | undefined;

  function prices(clusters: ClusterSpec[]): Record<string, number> {
    try {
      priceTable ??= shippedPriceTable();
    } catch {
      return {};
    }
    const out: Record<string, number> = {};
    for (const c of clusters) {
      for (const ng of c.nodegroups) {
        const row = priceTable.price(c.target.region, ng.instanceTypes[0]!);
        if (row) out[`${c.target.region}/${row.instanceType}`] = row.usdPerHour;
      }
    }
    return out;
  }

  /** The clusters and node groups of the config, as plain JSON for workflows. */
  async function listFleet(input: { clusters?: string[] } = {}): Promise<FleetView> {
    const tt = deps.config.timetable;
    const wanted = input.clusters?.length ? new Set(input.clusters) : undefined;
    const clusters: ClusterSpec[] = deps.config.clusters
      .filter((c) => !wanted || wanted.has(c.name) || wanted.has(clusterKeyOf(c)))
      .map(clusterSpecOf);
    if (wanted && clusters.length === 0)
      throw new NotFoundError(`no configured cluster matches ${[...wanted].join(', ')}`);
    return {
      clusters,
      calendar: { businessDays: tt.businessDays, holidays: tt.holidays },
      settings: {
        verifyTimeoutMs: tt.verifyTimeoutMinutes * 60_000,
        pollIntervalMs: tt.verifyPollSeconds * 1000,
        scaleDownSteps: tt.scaleDownSteps,
        scaleDownWindowMs: tt.scaleDownWindowMinutes * 60_000,
      },
      prices: prices(clusters),
    };
  }

  function asgOf(ref: GroupRef) {
    if (!ref.asgName) throw new ValidationError(`${label(ref)}: a self-managed node group needs its asgName`);
    return { target: ref.target, asgName: ref.asgName };
  }

  /**
   * Size, status and InService count of a node group, managed or self-managed. The Auto Scaling
   * groups are read through the batched reader (activities/gateways/batched-reads.ts): the 08:00
   * run reads 200 groups at once and polls them until verified, and one
   * `DescribeAutoScalingGroups` answers 50 of them (each answer from a call issued after it asked).
   * `DescribeNodegroup` has no batch form. Mutations read their own state directly (applyGroupSize).
   */
  async function readGroup(input: GroupRef): Promise<GroupReading> {
    const ref = parseInput(groupRefSchema, input, 'readGroup');
    if (ref.kind === 'self-managed') {
      const { target, asgName } = asgOf(ref);
      const g = await batchedAsg(deps.aws, target, asgName);
      if (!g) throw new NotFoundError(`Auto Scaling group ${asgName} of ${label(ref)} does not exist`);
      // An ASG has no ACTIVE state: it is ACTIVE unless being deleted.
      return { status: g.Status ? 'DELETING' : 'ACTIVE', size: asgSize(g), inService: asgInstanceIds(g).length };
    }
    const ng = await describeNodegroup(deps.aws, ref);
    const groups = await Promise.all(ng.autoScalingGroups.map((name) => batchedAsg(deps.aws, ref.target, name)));
    const inService = groups.flatMap((g) => (g ? asgInstanceIds(g) : []));
    return { status: ng.status, size: ng.size, inService: inService.length };
  }

  /**
   * `readGroup` for every group of a cluster in one activity (the 08:00 run's pre-update reads: one
   * activity per cluster instead of one per group). A group whose read fails for good (not found,
   * access denied, invalid) gets its error — worded as `readGroup`'s failure would be — and the
   * others their readings; any other failure fails the whole read, to be retried like `readGroup`.
   */
  async function readGroups(input: GroupRef[]): Promise<GroupReadOutcome[]> {
    const refs = parseInput(groupRefsSchema, input, 'readGroups');
    return Promise.all(
      refs.map(async (ref): Promise<GroupReadOutcome> => {
        try {
          return { reading: await readGroup(ref) };
        } catch (err) {
          const c = classifyError(err, 'readGroup');
          if (c instanceof EksflowError && !c.retryable) {
            // As the workflow words a failed readGroup: the failure's message, then its causes'.
            const parts = [`readGroup: ${c.message}`];
            for (let e = c.cause; e instanceof Error && parts.length < 4; e = e.cause)
              if (e.message && !parts.includes(e.message)) parts.push(e.message);
            return { error: parts.join(': '), type: c.type };
          }
          throw err;
        }
      }),
    );
  }

  /** Applies a size to any node group (EKS managed → UpdateNodegroupConfig, self-managed → ASG): read, check, write the difference. */
  async function applyGroupSize(input: {
    ref: GroupRef;
    size: PartialSize;
    requestToken: string;
  }): Promise<Omit<ApplySizeResult, 'updateId'>> {
    const { ref, size, requestToken } = parseInput(applySchema, input, 'applyGroupSize');
    let r;
    try {
      r =
        ref.kind === 'self-managed'
          ? await applyAsgSize(deps, asgOf(ref), size, { requestToken, label: label(ref) })
          : await applyNodegroupSize(deps, ref, size, requestToken);
    } catch (err) {
      deps.metrics?.scalingAction(ref.kind, 'failed');
      throw err;
    }
    deps.metrics?.scalingAction(ref.kind, r.changed ? 'changed' : 'unchanged');
    return { changed: r.changed, before: r.before, after: r.after };
  }

  /**
   * What the pods running on a node group request, from the cluster's Kubernetes API, as a
   * number of nodes. Without an API configured (or when it cannot be read) the answer says so,
   * and the scale-down reports the check as skipped instead of guessing.
   */
  async function workloadRequests(input: { clusterKey: string; nodegroup: string }): Promise<WorkloadRequests> {
    const cluster = deps.config.clusters.find((c) => clusterKeyOf(c) === input.clusterKey);
    if (!cluster) throw new NotFoundError(`cluster ${input.clusterKey} is not configured`);
    if (!cluster.kubernetes)
      return { known: false, reason: `no Kubernetes API configured for ${cluster.name}: workload requests unknown` };
    try {
      const gw = await kubernetesGateways(deps).forCluster(cluster);
      const nodes = await gw.listNodes(`eks.amazonaws.com/nodegroup=${input.nodegroup}`);
      if (nodes.length === 0)
        return { known: false, reason: `no Kubernetes nodes labelled eks.amazonaws.com/nodegroup=${input.nodegroup}` };
      const names = new Set(nodes.map((n) => n.metadata?.name));
      const alloc = nodes.reduce(
        (a, n) => ({
          cpu: a.cpu + cpuMillis(n.status?.allocatable?.cpu),
          mem: a.mem + memoryBytes(n.status?.allocatable?.memory),
        }),
        { cpu: 0, mem: 0 },
      );
      const pods = await gw.listPods({ fieldSelector: 'status.phase=Running' });
      const req = { cpuMillis: 0, memoryBytes: 0 };
      let counted = 0;
      for (const pod of pods) {
        if (!pod.spec?.nodeName || !names.has(pod.spec.nodeName)) continue;
        // DaemonSet pods exist on every node and leave with it: they never need capacity elsewhere.
        if (pod.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet')) continue;
        counted++;
        for (const c of pod.spec.containers) {
          req.cpuMillis += cpuMillis(c.resources?.requests?.cpu);
          req.memoryBytes += memoryBytes(c.resources?.requests?.memory);
        }
      }
      const perNode = { cpuMillis: alloc.cpu / nodes.length, memoryBytes: alloc.mem / nodes.length };
      const n = requiredNodes(req, perNode);
      return {
        known: true,
        requiredNodes: n,
        detail: `${counted} pods request ${req.cpuMillis}m CPU, ${Math.round(req.memoryBytes / 2 ** 20)}Mi memory`,
      };
    } catch (err) {
      return { known: false, reason: `Kubernetes API of ${cluster.name} could not be read: ${(err as Error).message}` };
    }
  }

  /**
   * Makes sure the cluster's controller runs and knows the current config, then reads its control
   * state (src/client/scaling.ts).
   */
  async function controlState(input: { cluster: ClusterSpec; calendar: BusinessCalendar }): Promise<ControlState> {
    return readControlState(deps.temporal.client, {
      taskQueue: deps.temporal.taskQueue,
      cluster: input.cluster,
      calendar: input.calendar,
    });
  }

  /** Writes a plan (pre-work analysis, traffic analysis) where operators and the UI link find it. */
  async function publishPlan(input: { kind: string; date: string; plan: unknown }): Promise<{ path: string }> {
    const dir = join(deps.reportsDir, 'plans');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${input.date}-${input.kind}.json`);
    writeFileSync(path, `${JSON.stringify(input.plan, null, 2)}\n`);
    return { path };
  }

  /**
   * Removes one drained instance from a self-managed group and lowers desired with it
   * (TerminateInstanceInAutoScalingGroup --should-decrement-desired-capacity). Idempotent: an
   * instance already gone from the group, or already terminating, is not terminated again.
   */
  async function terminateAsgInstance(input: {
    ref: GroupRef;
    instanceId: string;
    requestToken: string;
  }): Promise<{ changed: boolean; desired: number }> {
    const { ref, instanceId, requestToken } = parseInput(terminateSchema, input, 'terminateAsgInstance');
    if (ref.kind !== 'self-managed')
      throw new ValidationError(`${label(ref)} is EKS managed: EKS drains and removes its instances`);
    const g = await describeAsg(deps.aws, asgOf(ref), `Auto Scaling group ${ref.asgName} of ${label(ref)}`);
    const inst = (g.Instances ?? []).find((i) => i.InstanceId === instanceId);
    if (!inst || /^Terminating/.test(inst.LifecycleState ?? ''))
      return { changed: false, desired: g.DesiredCapacity ?? 0 };
    if ((g.DesiredCapacity ?? 0) - 1 < (g.MinSize ?? 0)) {
      throw new ValidationError(`${label(ref)}: removing ${instanceId} would take desired below min ${g.MinSize}`);
    }
    await terminateInAsg(deps, ref.target, instanceId, true, { label: label(ref), requestToken });
    return { changed: true, desired: (g.DesiredCapacity ?? 1) - 1 };
  }

  return {
    listFleet,
    readGroup,
    readGroups,
    applyGroupSize,
    workloadRequests,
    controlState,
    publishPlan,
    terminateAsgInstance,
  };
}
