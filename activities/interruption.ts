import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Instance } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { activityInfoOrUndefined, recordMutation } from './audit';
import { parseInput } from './input';
import { WithStartWorkflowOperation } from '@temporalio/client';
import {
  applyAsgSize,
  asgInstanceIds,
  asgSize,
  asgTags,
  attachInstances,
  describeAsg,
  findAsg,
  setAsgTag,
} from './gateways/asg';
import { describeInstances, findInstance, tagInstances, tagsOf, terminateInstances } from './gateways/instances';
import { applyNodegroupSize, describeNodegroup } from './gateways/nodegroups';
import {
  batchedAsg,
  batchedInstance,
  batchedInstances,
  batchedInstancesTagged,
  batchedLaunchedFor,
} from './gateways/batched-reads';
import { batchedLaunch, launchedEarlier, launchInFlight, type Launched } from './gateways/batched-launches';
import { QueueWaitExceeded } from '../src/aws/batcher';
import { createKubernetesActivities } from './kubernetes';
import type { DrainNodeResult } from '../workflows/drain/messages';
import { shippedPriceTable } from '../src/data/pricing';
import { ConflictError, UnavailableError, ValidationError } from '../src/errors';
import type { AwsTarget, ClusterConfig } from '../src/config/clusters';
import type { GroupFacts } from '../src/domain/interruption/plan';
import {
  FALLBACK_TAG,
  REPLACEMENT_TAG,
  decodeRaiseMarker,
  encodeRaiseMarker,
  planRaise,
  planUndo,
  raiseTagKey,
  type GroupSize,
  type RaiseMarker,
} from '../src/domain/interruption/capacity';
import { fleetOverrides, similarInstanceTypes, type InstanceSpec } from '../src/domain/interruption/replacement';
import {
  BATCH_TAG,
  decodeBatchMarker,
  encodeBatchMarker,
  planCapacityBatch,
  type GroupLedger,
} from '../src/domain/interruption/group-ledger';
import { ATTACHED_TAG, HANDOFF_TAG, type LaunchPurpose } from '../src/domain/interruption/ownership';
import {
  ASG_CAPACITY_WORKFLOW_TYPE,
  asgCapacityWorkflowId,
  capacityUpdate,
  type CapacityAnswer,
  type CapacityRequest,
  type GroupRef,
} from '../workflows/interruption/asg-messages';
import type { asgCapacity } from '../workflows/interruption/asg-capacity';

/** Where an interrupted instance belongs, as found in AWS and matched against the config. Plain JSON. */
export interface InstanceIdentity {
  instanceId: string;
  found: boolean;
  state?: string;
  instanceType?: string;
  /** The Kubernetes node name on EKS. */
  privateDnsName?: string;
  launchTemplate?: { id: string; version: string };
  /** InService instances of its group when the event arrived: anything new later is a replacement. */
  inServiceAtReceipt: string[];
  managed?: {
    target: AwsTarget;
    cluster: string;
    nodegroup: string;
    group: GroupFacts;
    instanceTypes: string[];
    asgName?: string;
    subnets: string[];
    /** Whether the cluster's Kubernetes API is configured (a node can be drained); absent in older runs. */
    kubernetes?: boolean;
  };
  unmanagedReason?: string;
}

export interface RaiseResult {
  changed: boolean;
  marker?: RaiseMarker;
  requestedAt: string;
}

export interface FleetLaunchResult {
  instanceIds: string[];
  instanceTypes: string[];
  /** false: an earlier attempt (or run) already launched it; nothing new was requested. */
  created: boolean;
  requestedAt: string;
}

export interface ReplacementStatus {
  running: string[];
  pending: string[];
}

export interface DrainResult {
  skipped: boolean;
  reason?: string;
  outcome?: DrainNodeResult;
}

const instanceIdSchema = z.string().regex(/^i-[0-9a-f]{8,17}$/, 'an EC2 instance id');
const identifySchema = z.object({ instanceId: instanceIdSchema, region: z.string().min(1), account: z.string() });

const sortedIds = (ids: (string | undefined)[]) => ids.filter((i): i is string => !!i).sort();

export function createInterruptionActivities(deps: ActivityDeps) {
  const kube = createKubernetesActivities(deps);
  let catalogue: Record<string, InstanceSpec> | undefined;
  const instanceCatalogue = () => {
    catalogue ??= Object.fromEntries(
      shippedPriceTable().rows.map((r) => [r.instanceType, { vcpu: r.vcpu, memoryGiB: r.memoryGiB }]),
    );
    return catalogue;
  };

  const audit = (action: string, target: string, detail: Record<string, unknown>) =>
    recordMutation(deps.audit, action, target, detail);

  function clusterFor(identity: InstanceIdentity): ClusterConfig {
    const m = identity.managed;
    const cluster =
      m &&
      deps.config.clusters.find(
        (c) => c.name === m.cluster && c.accountId === m.target.accountId && c.region === m.target.region,
      );
    if (!m || !cluster) throw new ValidationError(`instance ${identity.instanceId} is not in a configured cluster`);
    return cluster;
  }

  function requireAsg(identity: InstanceIdentity): { target: AwsTarget; asgName: string } {
    const m = identity.managed;
    if (!m?.asgName) throw new ValidationError(`instance ${identity.instanceId} is not in an Auto Scaling group`);
    return { target: m.target, asgName: m.asgName };
  }

  /**
   * Finds the instance in the configured clusters of the event's region (and account, when the
   * event names a real one) and matches its tags — `eks:cluster-name`, `eks:nodegroup-name`,
   * `aws:autoscaling:groupName` — against the config.
   */
  async function identifyInstance(input: {
    instanceId: string;
    region: string;
    account: string;
  }): Promise<InstanceIdentity> {
    const { instanceId, region, account } = parseInput(identifySchema, input, 'identifyInstance');
    const candidates = deps.config.clusters.filter(
      (c) => c.region === region && (!/^\d{12}$/.test(account) || c.accountId === account),
    );
    const notFound = (reason: string): InstanceIdentity => ({
      instanceId,
      found: false,
      inServiceAtReceipt: [],
      unmanagedReason: reason,
    });
    if (candidates.length === 0) return notFound(`no configured cluster in account ${account}, region ${region}`);
    const targets = [...new Map(candidates.map((c) => [`${c.accountId}/${c.roleArn ?? ''}`, c])).values()];
    for (const c of targets) {
      const target: AwsTarget = { accountId: c.accountId, region: c.region, roleArn: c.roleArn };
      const inst = await batchedInstance(deps.aws, target, instanceId);
      if (!inst) continue;
      const tags = tagsOf(inst.Tags);
      const clusterName =
        tags['eks:cluster-name'] ??
        Object.keys(tags)
          .find((k) => k.startsWith('kubernetes.io/cluster/'))
          ?.slice('kubernetes.io/cluster/'.length);
      const asgName = tags['aws:autoscaling:groupName'] || undefined;
      const base: InstanceIdentity = {
        instanceId,
        found: true,
        state: inst.State?.Name,
        instanceType: inst.InstanceType,
        privateDnsName: inst.PrivateDnsName || undefined,
        inServiceAtReceipt: [],
        launchTemplate: tags['aws:ec2launchtemplate:id']
          ? { id: tags['aws:ec2launchtemplate:id'], version: tags['aws:ec2launchtemplate:version'] || '$Latest' }
          : undefined,
      };
      const cluster = candidates.find((k) => k.name === clusterName && k.accountId === c.accountId);
      const ng =
        cluster?.nodegroups.find((n) => n.name === tags['eks:nodegroup-name']) ??
        cluster?.nodegroups.find((n) => n.kind === 'self-managed' && !!asgName && n.asgName === asgName);
      if (!cluster || !ng) {
        return {
          ...base,
          unmanagedReason: `instance tags name cluster "${clusterName ?? '-'}", node group "${tags['eks:nodegroup-name'] ?? asgName ?? '-'}": not in the config`,
        };
      }
      const asg = asgName ? await batchedAsg(deps.aws, target, asgName) : undefined;
      const asgLt = asg?.LaunchTemplate ?? asg?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      return {
        ...base,
        launchTemplate: asgLt?.LaunchTemplateId
          ? { id: asgLt.LaunchTemplateId, version: asgLt.Version ?? '$Latest' }
          : base.launchTemplate,
        inServiceAtReceipt: asgInstanceIds(asg),
        managed: {
          target,
          cluster: cluster.name,
          nodegroup: ng.name,
          kubernetes: Boolean(cluster.kubernetes),
          group: {
            kind: ng.kind,
            capacityType: ng.capacityType,
            strategy: ng.interruption.strategy,
            onRebalance: ng.interruption.onRebalance,
            inAsg: !!asg,
          },
          instanceTypes: ng.instanceTypes,
          asgName: asg ? asgName : undefined,
          subnets: asg?.VPCZoneIdentifier
            ? asg.VPCZoneIdentifier.split(',').filter(Boolean).sort()
            : inst.SubnetId
              ? [inst.SubnetId]
              : [],
        },
      };
    }
    return notFound(`instance not found in ${targets.map((t) => `${t.accountId}/${t.region}`).join(', ')}`);
  }

  async function readGroupSize(identity: InstanceIdentity, asg: AutoScalingGroup): Promise<GroupSize> {
    const m = identity.managed!;
    if (m.group.kind === 'eks-managed') return (await describeNodegroup(deps.aws, m)).size;
    return asgSize(asg);
  }

  /** Sets desired/max (the difference only, checked): through EKS for a managed node group (EKS owns its ASG), else on the ASG. */
  async function applyGroupSize(
    identity: InstanceIdentity,
    size: { desired: number; max: number },
    token: string,
  ): Promise<void> {
    const m = identity.managed!;
    if (m.group.kind === 'eks-managed') await applyNodegroupSize(deps, m, size, token);
    else await applyAsgSize(deps, { target: m.target, asgName: m.asgName! }, size, { requestToken: token });
  }

  async function writeMarker(
    target: AwsTarget,
    asgName: string,
    instanceId: string,
    marker: RaiseMarker | undefined,
  ): Promise<void> {
    await setAsgTag(deps.aws, { target, asgName }, raiseTagKey(instanceId), marker && encodeRaiseMarker(marker));
  }

  /**
   * Raises the instance's group by one (and max with it when at max), once per interrupted
   * instance: the `eksflow:raise:<instance-id>` tag on the ASG says whether it already happened.
   * Runs started before the group's one writer (asgCapacity) keep calling it so they replay; new
   * runs go through `requestGroupCapacity`.
   */
  async function raiseGroupCapacity(input: { identity: InstanceIdentity; requestToken: string }): Promise<RaiseResult> {
    const { identity, requestToken } = input;
    const { target, asgName } = requireAsg(identity);
    {
      const asg = await describeAsg(deps.aws, { target, asgName });
      const existing = decodeRaiseMarker(asgTags(asg)[raiseTagKey(identity.instanceId)]);
      if (existing && existing.state !== 'raising')
        return { changed: false, marker: existing, requestedAt: deps.now().toISOString() };
      const plan = existing ?? planRaise(await readGroupSize(identity, asg));
      await writeMarker(target, asgName, identity.instanceId, { ...plan, state: 'raising' });
      await applyGroupSize(identity, plan.target, `${requestToken}-raise`);
      const raised: RaiseMarker = { ...plan, state: 'raised' };
      await writeMarker(target, asgName, identity.instanceId, raised);
      audit('eksflow:RaiseCapacity', `${target.accountId}/${target.region}/${asgName}`, {
        instanceId: identity.instanceId,
        ...raised,
      });
      return { changed: true, marker: raised, requestedAt: deps.now().toISOString() };
    }
  }

  /** Undoes this instance's raise, once: −1 desired from the current size, max restored if untouched (runs of older code; see raiseGroupCapacity). */
  async function undoCapacityRaise(input: {
    identity: InstanceIdentity;
    requestToken: string;
  }): Promise<{ changed: boolean; marker?: RaiseMarker }> {
    const { identity, requestToken } = input;
    const { target, asgName } = requireAsg(identity);
    {
      const asg = await findAsg(deps.aws, { target, asgName });
      const marker = asg && decodeRaiseMarker(asgTags(asg)[raiseTagKey(identity.instanceId)]);
      if (!asg || !marker) return { changed: false };
      // An interrupted raise ('raising') is rolled back to where it started.
      const plan: RaiseMarker =
        marker.state === 'undoing'
          ? marker
          : marker.state === 'raising'
            ? { state: 'undoing', before: marker.target, target: marker.before }
            : planUndo(await readGroupSize(identity, asg), marker);
      await writeMarker(target, asgName, identity.instanceId, plan);
      await applyGroupSize(identity, plan.target, `${requestToken}-undo`);
      await writeMarker(target, asgName, identity.instanceId, undefined);
      audit('eksflow:UndoCapacityRaise', `${target.accountId}/${target.region}/${asgName}`, {
        instanceId: identity.instanceId,
        ...plan,
      });
      return { changed: true, marker: plan };
    }
  }

  /**
   * EC2 Fleet `instant` over diversified types of similar size in the group's subnets: spot with
   * price-capacity-optimized for a replacement, on-demand (lowest price) for the fallback.
   * Concurrent launches of the same shape in this worker go out as one fleet
   * (activities/gateways/batched-launches.ts); each launched instance records which interrupted
   * instance it stands in for (src/domain/interruption/launch-batch.ts), which is what makes a
   * retry find it instead of launching again (moto ignores ClientToken; AWS honours both).
   * `clientToken` is kept in the input for runs that recorded it; a batch uses its own.
   */
  async function launchFleet(input: {
    identity: InstanceIdentity;
    capacity: 'spot' | 'on-demand';
    clientToken: string;
    /** Default: spot-replacement for spot, on-demand-fallback for on-demand. */
    purpose?: LaunchPurpose;
  }): Promise<FleetLaunchResult> {
    const startedMs = deps.now().getTime();
    const { identity, capacity } = input;
    const purpose: LaunchPurpose = input.purpose ?? (capacity === 'spot' ? 'spot-replacement' : 'on-demand-fallback');
    const owner = activityInfoOrUndefined()?.workflowExecution?.workflowId ?? 'unknown';
    const m = identity.managed;
    if (!m) throw new ValidationError(`instance ${identity.instanceId} is not in a configured node group`);
    if (!identity.launchTemplate) throw new ValidationError(`no launch template known for ${m.cluster}/${m.nodegroup}`);
    const legacyTag = capacity === 'spot' ? REPLACEMENT_TAG : FALLBACK_TAG;
    const types = similarInstanceTypes({
      interruptedType: identity.instanceType ?? m.instanceTypes[0],
      configuredTypes: m.instanceTypes,
      catalogue: instanceCatalogue(),
    });
    const shape = {
      target: m.target,
      capacity,
      purpose,
      launchTemplate: identity.launchTemplate,
      overrides: fleetOverrides(types, m.subnets),
      cluster: m.cluster,
      nodegroup: m.nodegroup,
      types,
    };
    const earlier = (found: Launched[]): FleetLaunchResult => ({
      instanceIds: sortedIds(found.map((i) => i.instanceId)),
      instanceTypes: found.map((i) => i.instanceType),
      created: false,
      requestedAt: deps.now().toISOString(),
    });
    // First attempts rely on the batch's ClientToken (AWS returns the same fleet for it); a retry —
    // the case where an earlier attempt may have launched before dying or timing out — first waits
    // for this worker's launch still in flight for it, then looks for what was launched for this
    // instance by its tags, which is what works on moto, which ignores ClientToken. Skipping that
    // scan on the first attempt keeps a burst off a DescribeInstances each.
    const info = activityInfoOrUndefined();
    if (info?.attempt !== 1) {
      const flying = await launchInFlight(deps, shape, identity.instanceId, owner)?.catch(() => undefined);
      if (flying) return earlier([flying]);
      const existing = await launchedEarlier(deps, m.target, identity.instanceId, purpose, legacyTag);
      if (existing.length > 0)
        return earlier(existing.map((i) => ({ instanceId: i.InstanceId ?? '', instanceType: i.InstanceType ?? '' })));
    }
    // One fleet for every concurrent request of the same shape in this worker
    // (activities/gateways/batched-launches.ts). A request waits for a place in a call at most half
    // of this attempt's start-to-close: when the attempt times out, nothing is left queued for it,
    // and the call it joined had the other half to return, so the retry's tag scan sees it.
    const maxQueueMs = info?.startToCloseTimeoutMs
      ? Math.max(1_000, info.startToCloseTimeoutMs / 2 - (deps.now().getTime() - startedMs))
      : undefined;
    const launched = await batchedLaunch(deps, shape, identity.instanceId, owner, maxQueueMs).catch((err: unknown) => {
      if (err instanceof QueueWaitExceeded)
        throw new UnavailableError(
          `the ${capacity} launch for ${identity.instanceId} waited ${err.waitedMs} ms for a place in a fleet call and was withdrawn unsent`,
        );
      throw err;
    });
    if (!launched) {
      // Retryable: capacity may appear on the next attempt; the activity's schedule-to-close keeps retries inside the deadline.
      throw new UnavailableError(`CreateFleet ${capacity} launched nothing for ${identity.instanceId}`);
    }
    return {
      instanceIds: [launched.instanceId],
      instanceTypes: [launched.instanceType],
      created: true,
      requestedAt: deps.now().toISOString(),
    };
  }

  /** Replacements that are running (and those still pending) for an interrupted instance. */
  async function replacementStatus(input: {
    identity: InstanceIdentity;
    via: 'group' | 'fleet';
    launchedIds?: string[];
  }): Promise<ReplacementStatus> {
    const { identity } = input;
    const m = identity.managed;
    if (!m) return { running: [], pending: [] };
    // Instances a fleet launch returned are described by id: a tag-filtered scan costs far more under a burst.
    const fleet: Instance[] = input.launchedIds?.length
      ? await batchedInstances(deps.aws, m.target, input.launchedIds)
      : input.via === 'fleet'
        ? (
            await Promise.all([
              batchedInstancesTagged(deps.aws, m.target, REPLACEMENT_TAG, identity.instanceId),
              batchedInstancesTagged(deps.aws, m.target, FALLBACK_TAG, identity.instanceId),
              batchedLaunchedFor(deps.aws, m.target, identity.instanceId),
            ])
          ).flat()
        : [];
    const status: ReplacementStatus = {
      running: fleet.filter((i) => i.State?.Name === 'running').map((i) => i.InstanceId!),
      pending: fleet.filter((i) => i.State?.Name === 'pending').map((i) => i.InstanceId!),
    };
    if (input.via === 'group' && m.asgName) {
      const asg = await batchedAsg(deps.aws, m.target, m.asgName);
      const known = new Set([...identity.inServiceAtReceipt, identity.instanceId]);
      for (const i of asg?.Instances ?? []) {
        if (!i.InstanceId || known.has(i.InstanceId)) continue;
        (i.LifecycleState === 'InService' ? status.running : status.pending).push(i.InstanceId);
      }
    }
    return { running: sortedIds(status.running), pending: sortedIds(status.pending) };
  }

  /** The interrupted instance's state now (`gone` when EC2 no longer knows it). */
  async function interruptedInstanceState(input: { identity: InstanceIdentity }): Promise<string> {
    const m = input.identity.managed;
    if (!m) return 'unknown';
    const inst = await batchedInstance(deps.aws, m.target, input.identity.instanceId);
    return inst?.State?.Name ?? 'gone';
  }

  /**
   * Runs before the drain became its own workflow (workflows/drain): one pass — cordon, one
   * eviction request per pod. Kept so interruption runs started by older code replay; new runs
   * start the drainNode workflow instead.
   */
  async function drainInterruptedNode(input: { identity: InstanceIdentity }): Promise<DrainResult> {
    const { identity } = input;
    const cluster = clusterFor(identity);
    const clusterKey = `${cluster.accountId}/${cluster.region}/${cluster.name}`;
    const target = `${clusterKey}/${identity.privateDnsName ?? identity.instanceId}`;
    const skip = (reason: string): DrainResult => {
      audit('k8s:DrainSkipped', target, { instanceId: identity.instanceId, reason });
      return { skipped: true, reason };
    };
    if (!cluster.kubernetes) return skip(`cluster ${cluster.name} has no kubernetes access configured`);
    const startedAtMs = deps.now().getTime();
    const cordon = await kube.k8sCordonNode({ clusterKey, instanceId: identity.instanceId });
    if (!cordon.found || !cordon.node) return skip(cordon.reason ?? 'node not found');
    const plan = await kube.k8sDrainPlan({ clusterKey, node: cordon.node, rules: cordon.rules });
    const results = await kube.k8sEvictPods({
      clusterKey,
      node: cordon.node,
      pods: plan.evict.filter((p) => !p.terminating),
    });
    const outcome: DrainNodeResult = {
      clusterKey,
      node: cordon.node,
      status: results.every((r) => r.result !== 'blocked') ? 'drained' : 'timed-out',
      cordoned: true,
      evicted: results.filter((r) => r.result === 'evicted').map((r) => r.pod),
      skipped: plan.skipped,
      blocked: results
        .filter((r) => r.result === 'blocked')
        .map((r) => ({ pod: r.pod, kind: 'disruption-budget' as const, reason: r.message ?? '', budgets: r.budgets })),
      passes: 1,
      startedAtMs,
      finishedAtMs: deps.now().getTime(),
    };
    return { skipped: false, outcome };
  }

  /**
   * One batch of the group's one writer (asgCapacity): reads the group once, plans the net change
   * from the size recorded for this batch (`eksflow:capacity-batch`, written before anything is
   * applied, so a retry after a crash plans from the same size), lifts max if the batch needs it,
   * attaches instances, and sets the absolute desired/max (the difference only).
   */
  async function applyCapacityBatch(input: {
    group: GroupRef;
    batchId: string;
    ledger: GroupLedger;
    up: number;
    down: number;
    attach: string[];
    /** `<op>:<owner>` of the requests served, for the audit record. */
    owners: string[];
  }): Promise<{
    ledger: GroupLedger;
    before: { desired: number; max: number };
    target: { desired: number; max: number };
    appliedAt: string;
  }> {
    const { group, batchId, ledger, up, down, attach, owners } = input;
    const ref = { target: group.target, asgName: group.asgName };
    const label = `${group.target.accountId}/${group.target.region}/${group.asgName}`;
    const asg = await describeAsg(deps.aws, ref);
    const recorded = decodeBatchMarker(asgTags(asg)[BATCH_TAG]);
    const before =
      recorded?.batchId === batchId
        ? recorded.before
        : group.kind === 'eks-managed'
          ? (
              await describeNodegroup(deps.aws, {
                target: group.target,
                cluster: group.cluster,
                nodegroup: group.nodegroup,
              })
            ).size
          : asgSize(asg);
    if (recorded?.batchId !== batchId) await setAsgTag(deps.aws, ref, BATCH_TAG, encodeBatchMarker(batchId, before));
    const plan = planCapacityBatch(before, ledger, up, down);
    const token = `${asgCapacityWorkflowId(group.target, group.asgName)}-${batchId}`;
    /*
     * The fence: an attempt that outlived its start-to-close (a stalled worker; Temporal has already
     * started the next attempt, the batch may be done and the writer on to its next one) must not
     * write its stale absolute target over a later batch's. A later batch records its own marker
     * before it writes anything, so every write here first checks the marker is still this batch's.
     */
    const ours = (g: AutoScalingGroup) => {
      const now = decodeBatchMarker(asgTags(g)[BATCH_TAG])?.batchId;
      if (now !== batchId)
        throw new ConflictError(`${label}: capacity batch ${batchId} superseded by ${now ?? 'nothing'}; wrote nothing`);
    };
    const apply = async (size: { desired?: number; max?: number }) => {
      if (group.kind !== 'eks-managed') return applyAsgSize(deps, ref, size, { requestToken: token, guard: ours });
      ours(await describeAsg(deps.aws, ref));
      return applyNodegroupSize(
        deps,
        { target: group.target, cluster: group.cluster, nodegroup: group.nodegroup },
        size,
        token,
      );
    };
    if (attach.length > 0) {
      if (group.kind === 'eks-managed')
        throw new ValidationError('instances cannot be attached to an EKS managed node group');
      // AttachInstances adds to desired and fails past max: make room first, then set the absolute size.
      const read = await describeAsg(deps.aws, ref);
      ours(read);
      const now = asgSize(read);
      if (now.max < plan.target.max) await apply({ max: plan.target.max });
      const attached = await attachInstances(deps, ref, attach, { requestToken: token });
      if (attached.length > 0) await tagInstances(deps, group.target, attached, { [ATTACHED_TAG]: group.asgName });
    }
    await apply(plan.target);
    audit(up > 0 ? 'eksflow:RaiseCapacity' : 'eksflow:UndoCapacityRaise', label, {
      batchId,
      up,
      down,
      owners,
      attached: attach,
      before: { desired: before.desired, max: before.max },
      target: plan.target,
    });
    return {
      ledger: plan.ledger,
      before: { desired: before.desired, max: before.max },
      target: plan.target,
      appliedAt: deps.now().toISOString(),
    };
  }

  /**
   * Asks the group's one writer (`asg/<account>/<region>/<name>`) for a raise, an attach or a
   * release, starting it if it is not running (update-with-start: a workflow cannot make that
   * call itself). The update id is the caller's workflow id and step, so a retried activity gets
   * the same answer from the same run; a new run of the writer knows the owner from its holders.
   */
  async function requestGroupCapacity(input: {
    identity: InstanceIdentity;
    op: CapacityRequest['op'];
    instanceIds?: string[];
    updateId: string;
  }): Promise<CapacityAnswer> {
    const { identity, op } = input;
    const m = identity.managed;
    if (!m?.asgName) throw new ValidationError(`instance ${identity.instanceId} is not in an Auto Scaling group`);
    const group: GroupRef = {
      target: m.target,
      asgName: m.asgName,
      kind: m.group.kind,
      cluster: m.cluster,
      nodegroup: m.nodegroup,
    };
    const { client, taskQueue } = deps.temporal;
    const request: CapacityRequest = { op, owner: identity.instanceId, instanceIds: input.instanceIds, group };
    return client.workflow.executeUpdateWithStart(capacityUpdate, {
      args: [request],
      updateId: input.updateId,
      startWorkflowOperation: new WithStartWorkflowOperation<typeof asgCapacity>(ASG_CAPACITY_WORKFLOW_TYPE, {
        workflowId: asgCapacityWorkflowId(m.target, m.asgName),
        taskQueue,
        args: [{ group }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  }

  /** The group's desired size and InService count now, without the interrupted instance (fallbacks are never members). */
  async function groupCapacityNow(input: {
    identity: InstanceIdentity;
  }): Promise<{ desired: number; inService: number }> {
    const m = input.identity.managed;
    if (!m?.asgName) return { desired: 0, inService: 0 };
    const asg = await describeAsg(deps.aws, { target: m.target, asgName: m.asgName });
    // The interrupted instance may still be InService: it is the capacity being replaced, not counted.
    const inService = asgInstanceIds(asg).filter((id) => id !== input.identity.instanceId).length;
    return { desired: asg.DesiredCapacity ?? 0, inService };
  }

  /** Terminates instances this run launched and no longer needs (an on-demand fallback back to spot). */
  async function terminateLaunched(input: {
    identity: InstanceIdentity;
    instanceIds: string[];
    reason: string;
  }): Promise<string[]> {
    const m = input.identity.managed;
    if (!m) throw new ValidationError(`instance ${input.identity.instanceId} is not in a configured node group`);
    return terminateInstances(deps, m.target, input.instanceIds, {
      interruptedInstance: input.identity.instanceId,
      owner: activityInfoOrUndefined()?.workflowExecution?.workflowId,
      reason: input.reason,
    });
  }

  /** Hands instances this run launched to the cleanup job (it terminates them once their group no longer needs them). */
  async function handOffToCleanup(input: { identity: InstanceIdentity; instanceIds: string[] }): Promise<void> {
    const m = input.identity.managed;
    if (!m || input.instanceIds.length === 0) return;
    await tagInstances(deps, m.target, input.instanceIds, { [HANDOFF_TAG]: 'cleanup' });
  }

  return {
    identifyInstance,
    raiseGroupCapacity,
    undoCapacityRaise,
    applyCapacityBatch,
    requestGroupCapacity,
    groupCapacityNow,
    terminateLaunched,
    handOffToCleanup,
    launchFleet,
    replacementStatus,
    interruptedInstanceState,
    drainInterruptedNode,
  };
}
