import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { recordMutation } from './audit';
import { KubernetesGateways, type KubernetesGateway, type V1Node } from './gateways/kubernetes';
import type { ClusterConfig, DrainRules } from '../src/config/clusters';
import { NotFoundError } from '../src/errors';
import { clusterKeyOf } from '../src/domain/scaling/types';
import { classifyPod, planDrain, podKey, selectorMatches, type DrainPlan } from '../src/domain/drain/pods';
import { pickNodesToRemove, type NodeLoad, type ScaleInPick } from '../src/domain/drain/scale-in';
import { cpuMillis, memoryBytes } from '../src/domain/scaling/k8s-quantity';
import { decideWorkload, type WorkloadView } from '../src/domain/downscale/workloads';
import { asgInstanceIds, findAsg } from './gateways/asg';
import { parseInput } from './input';

/** Gateways are per worker process (they hold sockets and tokens), shared by every activity group. */
const gatewaysByDeps = new WeakMap<ActivityDeps, KubernetesGateways>();
export function kubernetesGateways(deps: ActivityDeps): KubernetesGateways {
  let g = gatewaysByDeps.get(deps);
  if (!g) {
    g = new KubernetesGateways({ aws: deps.aws, now: deps.now });
    gatewaysByDeps.set(deps, g);
  }
  return g;
}

export function configuredCluster(deps: ActivityDeps, clusterKey: string): ClusterConfig {
  const c = deps.config.clusters.find((x) => clusterKeyOf(x) === clusterKey);
  if (!c) throw new NotFoundError(`cluster ${clusterKey} is not configured`);
  return c;
}

/** The node of an EC2 instance: its `spec.providerID` is `aws:///<az>/<instance-id>`. */
export function nodeOfInstance(nodes: V1Node[], instanceId: string): V1Node | undefined {
  return nodes.find((n) => (n.spec?.providerID ?? '').endsWith(`/${instanceId}`));
}

export const instanceIdOfNode = (n: V1Node): string | undefined =>
  /\/(i-[0-9a-f]+)$/.exec(n.spec?.providerID ?? '')?.[1];

const nodeRefSchema = z
  .object({
    clusterKey: z.string().min(1),
    node: z.string().min(1).max(253).optional(),
    instanceId: z
      .string()
      .regex(/^i-[0-9a-f]{8,17}$/)
      .optional(),
  })
  .refine((r) => !!r.node !== !!r.instanceId, 'exactly one of node, instanceId');
const rulesSchema = z
  .object({
    deleteEmptyDirData: z.boolean().optional(),
    force: z.boolean().optional(),
    timeoutSeconds: z.number().int().positive().optional(),
  })
  .strict();
const evictSchema = z.object({
  clusterKey: z.string().min(1),
  node: z.string().min(1),
  pods: z
    .array(z.object({ namespace: z.string().min(1), name: z.string().min(1), uid: z.string().min(1) }).passthrough())
    .max(5000),
});

export interface CordonResult {
  /** false: the cluster has no Kubernetes access configured, or the node does not exist (`reason`). */
  found: boolean;
  skipped?: boolean;
  reason?: string;
  node?: string;
  changed?: boolean;
  /** The cluster's drain rules (config, overridden by the request). */
  rules: DrainRules;
}

export interface DrainPlanResult extends DrainPlan {
  nodeExists: boolean;
  /** For each pod to evict that a PodDisruptionBudget selects, its budgets and how many disruptions they allow now. */
  budgets: Record<string, { name: string; disruptionsAllowed: number }[]>;
}

export interface DownscaleResult {
  skipped: boolean;
  reason?: string;
  changes: { kind: string; workload: string; from: number; to: number; why: string }[];
  unchanged: number;
}

export type EvictResult = {
  pod: string;
  uid: string;
  result: 'evicted' | 'already-terminating' | 'gone' | 'blocked';
  message?: string;
  budgets?: string[];
};

async function runLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

function priorHeartbeat<T>(): T | undefined {
  try {
    return Context.current().info.heartbeatDetails as T | undefined;
  } catch {
    return undefined;
  }
}

/** Whether an earlier attempt of this activity ran (and may have acted before its worker died). */
function isRetry(): boolean {
  try {
    return Context.current().info.attempt > 1;
  } catch {
    return false;
  }
}

function heartbeat(detail?: unknown): void {
  try {
    Context.current().heartbeat(detail);
  } catch {
    /* called outside an activity (tests, benchmarks) */
  }
}

/**
 * The drain's Kubernetes steps, each a small idempotent activity the drain workflow
 * (workflows/drain/drain-node.ts) strings together with durable timers between them.
 */
export function createKubernetesActivities(deps: ActivityDeps) {
  const gateways = kubernetesGateways(deps);
  const audit = (action: string, target: string, detail: Record<string, unknown>) =>
    recordMutation(deps.audit, action, target, detail);

  async function resolveNode(
    gw: KubernetesGateway,
    ref: { node?: string; instanceId?: string },
  ): Promise<V1Node | undefined> {
    if (ref.node) return gw.getNode(ref.node);
    return nodeOfInstance(await gw.listNodes(), ref.instanceId!);
  }

  /** Cordons the node (by name, or by the EC2 instance in its providerID); reads first, writes only a change. */
  async function k8sCordonNode(input: {
    clusterKey: string;
    node?: string;
    instanceId?: string;
    rules?: Partial<DrainRules>;
  }): Promise<CordonResult> {
    const ref = parseInput(nodeRefSchema, input, 'k8sCordonNode');
    const overrides = parseInput(rulesSchema, input.rules ?? {}, 'k8sCordonNode rules');
    const cluster = configuredCluster(deps, ref.clusterKey);
    const base = {
      drain: cluster.kubernetes?.drain ?? { timeoutSeconds: 300, deleteEmptyDirData: false, force: false },
    };
    const rules: DrainRules = { ...base.drain, ...overrides };
    if (!cluster.kubernetes)
      return {
        found: false,
        skipped: true,
        reason: `cluster ${cluster.name} has no kubernetes access configured`,
        rules,
      };
    const gw = await gateways.forCluster(cluster);
    const node = await resolveNode(gw, ref);
    const name = node?.metadata?.name;
    if (!node || !name)
      return {
        found: false,
        reason: `no Kubernetes node ${ref.node ?? `with providerID …/${ref.instanceId}`} in ${cluster.name}`,
        rules,
      };
    const changed = await gw.setUnschedulable(name, true);
    if (changed) audit('k8s:CordonNode', `${ref.clusterKey}/${name}`, { instanceId: ref.instanceId });
    return { found: true, node: name, changed, rules };
  }

  /** The node's pods sorted into evict / skip (DaemonSet, mirror) / refuse (the rules), with the budgets that cover them. */
  async function k8sDrainPlan(input: {
    clusterKey: string;
    node: string;
    rules: { deleteEmptyDirData: boolean; force: boolean };
  }): Promise<DrainPlanResult> {
    const cluster = configuredCluster(deps, input.clusterKey);
    const gw = await gateways.forCluster(cluster);
    const node = await gw.getNode(input.node);
    const pods = await gw.listPods({ nodeName: input.node });
    const plan = planDrain(pods, input.rules);
    const budgets: DrainPlanResult['budgets'] = {};
    const namespaces = [...new Set(plan.evict.filter((p) => !p.terminating).map((p) => p.namespace))];
    if (namespaces.length > 0) {
      const byNs = new Map(
        await Promise.all(namespaces.map(async (ns) => [ns, await gw.listPodDisruptionBudgets(ns)] as const)),
      );
      const labels = new Map(
        pods.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p.metadata?.labels ?? {}]),
      );
      for (const p of plan.evict) {
        const covering = (byNs.get(p.namespace) ?? []).filter((b) =>
          selectorMatches(b.spec?.selector, labels.get(podKey(p))),
        );
        if (covering.length)
          budgets[podKey(p)] = covering.map((b) => ({
            name: b.metadata?.name ?? '',
            disruptionsAllowed: b.status?.disruptionsAllowed ?? 0,
          }));
      }
    }
    return { ...plan, nodeExists: node !== undefined, budgets };
  }

  /**
   * One eviction pass. Each pod is re-read first: one that is already terminating (an earlier
   * attempt's eviction, before a worker died) or gone is never evicted again, and the UID
   * precondition keeps a namesake safe. Every accepted eviction is audited.
   */
  async function k8sEvictPods(input: {
    clusterKey: string;
    node: string;
    pods: { namespace: string; name: string; uid: string }[];
  }): Promise<EvictResult[]> {
    const { clusterKey, node, pods } = parseInput(evictSchema, input, 'k8sEvictPods');
    const gw = await gateways.forCluster(configuredCluster(deps, clusterKey));
    // Evictions an earlier attempt of this pass made (it timed out or its worker died) come back
    // in its heartbeat details: reported as evicted, never requested again.
    const earlier = new Set(priorHeartbeat<{ evicted?: string[] }>()?.evicted ?? []);
    const evictedUids = [...earlier];
    return runLimited(pods, 8, async (p): Promise<EvictResult> => {
      const key = podKey(p);
      if (earlier.has(p.uid)) return { pod: key, uid: p.uid, result: 'evicted' };
      const current = await gw.getPod(p.namespace, p.name);
      heartbeat({ evicted: evictedUids });
      if (!current || current.metadata?.uid !== p.uid || current.spec?.nodeName !== node)
        // On a retry, a pod gone since the pass began was most likely evicted by the earlier attempt,
        // whose last heartbeat (throttled by the SDK) may not have reached the server before its worker died.
        return { pod: key, uid: p.uid, result: isRetry() ? 'already-terminating' : 'gone' };
      if (current.metadata?.deletionTimestamp) return { pod: key, uid: p.uid, result: 'already-terminating' };
      const r = await gw.evict(p.namespace, p.name, p.uid);
      if (r.outcome === 'evicted') {
        audit('k8s:EvictPod', `${clusterKey}/${node}/${key}`, { uid: p.uid });
        evictedUids.push(p.uid);
        heartbeat({ evicted: evictedUids });
        return { pod: key, uid: p.uid, result: 'evicted' };
      }
      if (r.outcome === 'gone') return { pod: key, uid: p.uid, result: 'gone' };
      return { pod: key, uid: p.uid, result: 'blocked', message: r.message, budgets: r.budgets };
    });
  }

  /** Uncordons a node a scale-in gave up on (its drain did not finish), so it takes pods again. */
  async function k8sUncordonNode(input: { clusterKey: string; node: string }): Promise<{ changed: boolean }> {
    const gw = await gateways.forCluster(configuredCluster(deps, input.clusterKey));
    if (!(await gw.getNode(input.node))) return { changed: false };
    const changed = await gw.setUnschedulable(input.node, false);
    if (changed) audit('k8s:UncordonNode', `${input.clusterKey}/${input.node}`, {});
    return { changed };
  }

  /**
   * The `count` InService instances of a self-managed group to remove, by their nodes' load
   * (fewest pods, then lowest requests), skipping nodes annotated eksflow.io/scale-down-disabled.
   * Instances that never registered as nodes go first: nothing runs there.
   */
  async function pickScaleInNodes(input: {
    clusterKey: string;
    asgName: string;
    count: number;
  }): Promise<ScaleInPick & { notes: string[] }> {
    const cluster = configuredCluster(deps, input.clusterKey);
    const target = { accountId: cluster.accountId, region: cluster.region, roleArn: cluster.roleArn };
    const instances = asgInstanceIds(await findAsg(deps.aws, { target, asgName: input.asgName }));
    const gw = await gateways.forCluster(cluster);
    const nodes = await gw.listNodes();
    const pods = await gw.listPods();
    const loads: NodeLoad[] = [];
    for (const id of instances) {
      const node = nodeOfInstance(nodes, id);
      const name = node?.metadata?.name;
      if (!node || !name) {
        loads.push({ instanceId: id, annotations: {}, pods: 0, cpuMillis: 0, memoryBytes: 0 });
        continue;
      }
      const moving = pods.filter(
        (p) =>
          p.spec?.nodeName === name && classifyPod(p, { force: true, deleteEmptyDirData: true }).action === 'evict',
      );
      const req = moving
        .flatMap((p) => p.spec?.containers ?? [])
        .reduce(
          (a, c) => ({
            cpu: a.cpu + cpuMillis(c.resources?.requests?.cpu),
            mem: a.mem + memoryBytes(c.resources?.requests?.memory),
          }),
          { cpu: 0, mem: 0 },
        );
      loads.push({
        node: name,
        instanceId: id,
        annotations: node.metadata?.annotations ?? {},
        pods: moving.length,
        cpuMillis: req.cpu,
        memoryBytes: req.mem,
      });
    }
    const pick = pickNodesToRemove(loads, input.count);
    const notes = pick.picked
      .filter((p) => p.node === undefined)
      .map((p) => `instance ${p.instanceId} has no node in the Kubernetes API: removed without a drain`);
    return { ...pick, notes };
  }

  /**
   * Workload downscaling at a timetable phase: Deployments/StatefulSets in scope go to their
   * downtime replicas at 'down' (original count kept in eksflow.io/original-replicas, in the same
   * patch) and back at 'up'. Each patch carries the resourceVersion it decided on, so a workload
   * changed meanwhile is re-decided on the retry, never overwritten blindly.
   */
  async function downscaleWorkloads(input: {
    clusterKey: string;
    phase: 'down' | 'up';
    dryRun?: boolean;
  }): Promise<DownscaleResult> {
    const cluster = configuredCluster(deps, input.clusterKey);
    const policy = cluster.kubernetes?.downscaling;
    if (!cluster.kubernetes || !policy?.enabled)
      return {
        skipped: true,
        reason: `workload downscaling is not configured for ${cluster.name}`,
        changes: [],
        unchanged: 0,
      };
    const gw = await gateways.forCluster(cluster);
    const [namespaces, deployments, statefulSets] = await Promise.all([
      gw.listNamespaces(),
      gw.listDeployments(),
      gw.listStatefulSets(),
    ]);
    const nsAnn = new Map(namespaces.map((n) => [n.metadata?.name ?? '', n.metadata?.annotations ?? {}]));
    const nowMs = deps.now().getTime();
    const result: DownscaleResult = { skipped: false, changes: [], unchanged: 0 };
    const all = [
      ...deployments.map((d) => ({ kind: 'Deployment' as const, o: d })),
      ...statefulSets.map((s) => ({ kind: 'StatefulSet' as const, o: s })),
    ];
    for (const { kind, o } of all) {
      const view: WorkloadView = {
        kind,
        namespace: o.metadata?.namespace ?? 'default',
        name: o.metadata?.name ?? '',
        replicas: o.spec?.replicas ?? 1,
        annotations: o.metadata?.annotations ?? {},
        namespaceAnnotations: nsAnn.get(o.metadata?.namespace ?? '') ?? {},
      };
      const d = decideWorkload(view, policy, input.phase, nowMs);
      if (d.action === 'none') {
        result.unchanged++;
        continue;
      }
      const change = { kind, workload: `${view.namespace}/${view.name}`, from: view.replicas, to: d.to, why: d.why };
      if (!input.dryRun) {
        await gw.patchWorkload(kind, view.namespace, view.name, {
          replicas: d.to,
          annotations: d.annotations,
          resourceVersion: o.metadata?.resourceVersion,
        });
        audit(`k8s:Scale${kind}`, `${input.clusterKey}/${view.namespace}/${view.name}`, {
          from: view.replicas,
          to: d.to,
          phase: input.phase,
        });
      }
      result.changes.push(change);
    }
    return result;
  }

  return { k8sCordonNode, k8sDrainPlan, k8sEvictPods, k8sUncordonNode, pickScaleInNodes, downscaleWorkloads };
}
