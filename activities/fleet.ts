import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeAutoScalingGroupsCommand, TerminateInstanceInAutoScalingGroupCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { createEksActivities } from './eks';
import { recordMutation } from './audit';
import { awsCall } from '../src/aws/errors';
import { kubernetesGateways } from './kubernetes';
import { NotFoundError, ValidationError } from '../src/errors';
import { diffSize, type NodegroupSize, type PartialSize } from '../src/domain/size';
import { PriceTable } from '../src/domain/pricing/on-demand-table';
import { clusterKeyOf, clusterSpecOf, controllerWorkflowId, type ClusterSpec, type ControlState, type GroupReading, type GroupRef, type ScalingSettings } from '../src/domain/scaling/types';
import type { BusinessCalendar } from '../src/domain/timetable/phase';
import { requiredNodes, type WorkloadRequests } from '../src/domain/scaling/safety';
import { cpuMillis, memoryBytes } from '../src/domain/scaling/k8s-quantity';
import { configureSignal, controlStateQuery, recordActionSignal } from '../workflows/scaling/messages';

/** The configured fleet as plain JSON, plus what the scaling workflows need to know about it. */
export interface FleetView {
  clusters: ClusterSpec[];
  calendar: BusinessCalendar;
  settings: ScalingSettings;
  /** On-Demand USD per node-hour keyed `region/instanceType`, where the price is known. */
  prices: Record<string, number>;
}

const targetSchema = z.object({ accountId: z.string(), region: z.string(), roleArn: z.string().optional() });
const groupRefSchema = z.object({
  target: targetSchema, cluster: z.string().min(1), nodegroup: z.string().min(1),
  kind: z.enum(['eks-managed', 'self-managed']), asgName: z.string().optional(),
});
const sizeSchema = z.object({ min: z.number().int().nonnegative().optional(), desired: z.number().int().nonnegative().optional(), max: z.number().int().positive().optional() });
const applySchema = z.object({ ref: groupRefSchema, size: sizeSchema, requestToken: z.string().min(1).max(64) });

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const res = schema.safeParse(input);
  if (!res.success) throw new ValidationError(`${what}: ${z.prettifyError(res.error)}`);
  return res.data;
}

const label = (r: GroupRef) => `${r.target.accountId}/${r.target.region}/${r.cluster}/${r.nodegroup}`;

export function createFleetActivities(deps: ActivityDeps) {
  const eks = createEksActivities(deps);
  let priceTable: PriceTable | undefined;

  function prices(clusters: ClusterSpec[]): Record<string, number> {
    try {
      priceTable ??= PriceTable.shipped();
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
    if (wanted && clusters.length === 0) throw new NotFoundError(`no configured cluster matches ${[...wanted].join(', ')}`);
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

  async function describeAsg(ref: GroupRef) {
    const out = await awsCall(`DescribeAutoScalingGroups ${label(ref)}`, () =>
      deps.aws.autoScaling(ref.target).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [ref.asgName!] })),
    );
    const g = out.AutoScalingGroups?.[0];
    if (!g) throw new NotFoundError(`Auto Scaling group ${ref.asgName} of ${label(ref)} does not exist`);
    return g;
  }

  /** Size, status and InService count of a node group, managed or self-managed. */
  async function readGroup(input: GroupRef): Promise<GroupReading> {
    const ref = parse(groupRefSchema, input, 'readGroup');
    if (ref.kind === 'self-managed') {
      const g = await describeAsg(ref);
      return {
        // An ASG has no ACTIVE state: it is ACTIVE unless being deleted.
        status: g.Status ? 'DELETING' : 'ACTIVE',
        size: { min: g.MinSize ?? 0, desired: g.DesiredCapacity ?? 0, max: g.MaxSize ?? 0 },
        inService: (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length,
      };
    }
    const eksRef = { target: ref.target, cluster: ref.cluster, nodegroup: ref.nodegroup };
    const [ng, cap] = [await eks.describeNodegroup(eksRef), await eks.nodegroupCapacity(eksRef)];
    return { status: cap.status, size: ng.size, inService: cap.inService };
  }

  /**
   * Sizes a self-managed Auto Scaling group idempotently: reads it, writes only what differs
   * (the ASG API has no client token, so read-then-write is what makes a retry safe), audited.
   */
  async function applyAsgSize(ref: GroupRef, size: PartialSize, requestToken: string) {
    const g = await describeAsg(ref);
    const before: NodegroupSize = { min: g.MinSize ?? 0, desired: g.DesiredCapacity ?? 0, max: g.MaxSize ?? 0 };
    const { changes, after } = diffSize(before, size);
    if (after.min > after.max || after.desired < after.min || after.desired > after.max) {
      throw new ValidationError(`${label(ref)}: size ${JSON.stringify(after)} violates min <= desired <= max`);
    }
    if (!changes) return { changed: false, before, after: before };
    await awsCall(`UpdateAutoScalingGroup ${label(ref)}`, () =>
      deps.aws.autoScaling(ref.target).send(new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: ref.asgName!, MinSize: changes.min, MaxSize: changes.max, DesiredCapacity: changes.desired,
      })),
    );
    recordMutation(deps.audit, 'autoscaling:UpdateAutoScalingGroup', label(ref), { before, after, requestToken, asgName: ref.asgName });
    return { changed: true, before, after };
  }

  /** Applies a size to any node group (EKS managed → UpdateNodegroupConfig, self-managed → ASG). */
  async function applyGroupSize(input: { ref: GroupRef; size: PartialSize; requestToken: string }): Promise<{ changed: boolean; before: NodegroupSize; after: NodegroupSize }> {
    const { ref, size, requestToken } = parse(applySchema, input, 'applyGroupSize');
    if (ref.kind === 'self-managed') return applyAsgSize(ref, size, requestToken);
    const r = await eks.applyNodegroupSize({ ref: { target: ref.target, cluster: ref.cluster, nodegroup: ref.nodegroup }, size, requestToken });
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
    if (!cluster.kubernetes) return { known: false, reason: `no Kubernetes API configured for ${cluster.name}: workload requests unknown` };
    try {
      const gw = await kubernetesGateways(deps).forCluster(cluster);
      const nodes = await gw.listNodes(`eks.amazonaws.com/nodegroup=${input.nodegroup}`);
      if (nodes.length === 0) return { known: false, reason: `no Kubernetes nodes labelled eks.amazonaws.com/nodegroup=${input.nodegroup}` };
      const names = new Set(nodes.map((n) => n.metadata?.name));
      const alloc = nodes.reduce(
        (a, n) => ({ cpu: a.cpu + cpuMillis(n.status?.allocatable?.cpu), mem: a.mem + memoryBytes(n.status?.allocatable?.memory) }),
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
      return { known: true, requiredNodes: n, detail: `${counted} pods request ${req.cpuMillis}m CPU, ${Math.round(req.memoryBytes / 2 ** 20)}Mi memory` };
    } catch (err) {
      return { known: false, reason: `Kubernetes API of ${cluster.name} could not be read: ${(err as Error).message}` };
    }
  }

  /**
   * Makes sure the cluster's controller runs and knows the current config (signal-with-start:
   * one call, no race between "is it there?" and "start it"), then reads its control state.
   */
  async function controlState(input: { cluster: ClusterSpec; calendar: BusinessCalendar }): Promise<ControlState> {
    const client = deps.temporal.client;
    const handle = await client.workflow.signalWithStart('clusterController', {
      workflowId: controllerWorkflowId(input.cluster.key),
      taskQueue: deps.temporal.taskQueue,
      args: [{ clusterKey: input.cluster.key }],
      signal: configureSignal,
      signalArgs: [{ cluster: input.cluster, calendar: input.calendar }],
    });
    return handle.query(controlStateQuery);
  }

  async function reportToController(input: { clusterKey: string; action: string; summary: string; workflowId?: string }): Promise<void> {
    await deps.temporal.client.workflow
      .getHandle(controllerWorkflowId(input.clusterKey))
      .signal(recordActionSignal, { action: input.action, summary: input.summary, workflowId: input.workflowId });
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
  async function terminateAsgInstance(input: { ref: GroupRef; instanceId: string; requestToken: string }): Promise<{ changed: boolean; desired: number }> {
    const ref = parse(groupRefSchema, input.ref, 'terminateAsgInstance');
    if (ref.kind !== 'self-managed') throw new ValidationError(`${label(ref)} is EKS managed: EKS drains and removes its instances`);
    const g = await describeAsg(ref);
    const inst = (g.Instances ?? []).find((i) => i.InstanceId === input.instanceId);
    if (!inst || /^Terminating/.test(inst.LifecycleState ?? '')) return { changed: false, desired: g.DesiredCapacity ?? 0 };
    if ((g.DesiredCapacity ?? 0) - 1 < (g.MinSize ?? 0)) {
      throw new ValidationError(`${label(ref)}: removing ${input.instanceId} would take desired below min ${g.MinSize}`);
    }
    const out = await awsCall(`TerminateInstanceInAutoScalingGroup ${input.instanceId}`, () =>
      deps.aws.autoScaling(ref.target).send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: input.instanceId, ShouldDecrementDesiredCapacity: true })));
    recordMutation(deps.audit, 'autoscaling:TerminateInstanceInAutoScalingGroup', label(ref), {
      instanceId: input.instanceId, decrementDesired: true, requestToken: input.requestToken, activityId: out.Activity?.ActivityId,
    });
    return { changed: true, desired: (g.DesiredCapacity ?? 1) - 1 };
  }

  return { listFleet, readGroup, applyGroupSize, workloadRequests, controlState, reportToController, publishPlan, terminateAsgInstance };
}
