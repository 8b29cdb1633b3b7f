import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { kubeConfigFor } from '../../activities/gateways/kubernetes';
import { kubeEndpoints, type KubeEndpoints } from './kube';

/**
 * The test's own hand in the test Kubernetes API (as cluster admin): creates nodes, controllers and
 * pods, and plays the kubelet — marks pods Running/Ready and deletes evicted pods once their
 * termination grace period is over (nothing else would: there is no kubelet).
 */
export class KubeTestCluster {
  readonly endpoints: KubeEndpoints;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly policy: k8s.PolicyV1Api;
  private readonly objects: k8s.KubernetesObjectApi;
  private kubelet?: NodeJS.Timeout;
  private readonly owned = new Set<string>();

  constructor() {
    this.endpoints = kubeEndpoints();
    const kc = kubeConfigFor('test', this.endpoints.url, this.endpoints.adminToken, { caFile: this.endpoints.caFile });
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.policy = kc.makeApiClient(k8s.PolicyV1Api);
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  }

  /** Cluster config for eksflow with the RBAC-bound test user's token in `tokenEnv`. */
  kubernetesConfig(tokenEnv: string, extra: Record<string, unknown> = {}) {
    process.env[tokenEnv] = this.endpoints.eksflowToken;
    return { apiServer: this.endpoints.url, tokenEnv, caFile: this.endpoints.caFile, ...extra };
  }

  /** Creates the objects of a manifest as cluster admin; `unapply` deletes them again. */
  async apply(file: string): Promise<void> {
    for (const obj of k8s.loadAllYaml(readFileSync(file, 'utf8')) as k8s.KubernetesObject[]) {
      await this.objects.create(obj).catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 409) throw err;
      });
    }
  }

  async unapply(file: string): Promise<void> {
    for (const obj of k8s.loadAllYaml(readFileSync(file, 'utf8')) as k8s.KubernetesObject[]) {
      await this.objects.delete(obj).catch(() => undefined);
    }
  }

  async namespace(name: string, annotations: Record<string, string> = {}): Promise<string> {
    await this.core.createNamespace({ metadata: { name, annotations } });
    this.owned.add(name);
    return name;
  }

  async node(
    name: string,
    opts: {
      instanceId?: string;
      nodegroup?: string;
      cpu?: string;
      memory?: string;
      annotations?: Record<string, string>;
      az?: string;
    } = {},
  ): Promise<k8s.V1Node> {
    const labels: Record<string, string> = { 'kubernetes.io/hostname': name };
    if (opts.nodegroup) labels['eks.amazonaws.com/nodegroup'] = opts.nodegroup;
    const { body } = await this.core.createNode({
      metadata: { name, labels, annotations: opts.annotations },
      spec: opts.instanceId ? { providerID: `aws:///${opts.az ?? 'ap-south-1a'}/${opts.instanceId}` } : {},
    });
    const capacity = { cpu: opts.cpu ?? '4', memory: opts.memory ?? '16Gi', pods: '110' };
    await this.core.patchNodeStatus(
      name,
      {
        status: {
          capacity,
          allocatable: capacity,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'test kubelet',
              lastHeartbeatTime: new Date(),
              lastTransitionTime: new Date(),
            },
          ],
        },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      { headers: { 'Content-Type': k8s.PatchUtils.PATCH_FORMAT_STRATEGIC_MERGE_PATCH } },
    );
    return body;
  }

  /** A ReplicaSet object to own pods (no ReplicaSet controller runs: it creates no pods itself). */
  async replicaSet(
    ns: string,
    name: string,
    replicas: number,
    labels: Record<string, string>,
  ): Promise<k8s.V1ReplicaSet> {
    const { body } = await this.apps.createNamespacedReplicaSet(ns, {
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
        },
      },
    });
    return body;
  }

  async daemonSet(ns: string, name: string, labels: Record<string, string>): Promise<k8s.V1DaemonSet> {
    const { body } = await this.apps.createNamespacedDaemonSet(ns, {
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'agent', image: 'registry.k8s.io/pause:3.10' }] },
        },
      },
    });
    return body;
  }

  async pdb(ns: string, name: string, minAvailable: number, labels: Record<string, string>): Promise<void> {
    await this.policy.createNamespacedPodDisruptionBudget(ns, {
      metadata: { name },
      spec: { minAvailable, selector: { matchLabels: labels } },
    });
  }

  /** Waits until the disruption controller has computed the budget's status. */
  async pdbReady(ns: string, name: string, disruptionsAllowed: number, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await this.policy.readNamespacedPodDisruptionBudget(name, ns);
      if (
        body.status?.observedGeneration === body.metadata?.generation &&
        body.status?.disruptionsAllowed === disruptionsAllowed
      )
        return;
      if (Date.now() > end)
        throw new Error(`PDB ${ns}/${name} status ${JSON.stringify(body.status)} never allowed ${disruptionsAllowed}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** A pod bound to a node and marked Running + Ready, as a kubelet would. */
  async pod(
    ns: string,
    name: string,
    opts: {
      node: string;
      owner?: { kind: string; name: string; uid: string };
      labels?: Record<string, string>;
      cpu?: string;
      memory?: string;
      graceSeconds?: number;
      emptyDir?: boolean;
      annotations?: Record<string, string>;
    },
  ): Promise<k8s.V1Pod> {
    const { body } = await this.core.createNamespacedPod(ns, {
      metadata: {
        name,
        labels: opts.labels,
        annotations: opts.annotations,
        ownerReferences: opts.owner
          ? [
              {
                apiVersion: opts.owner.kind === 'DaemonSet' || opts.owner.kind === 'ReplicaSet' ? 'apps/v1' : 'v1',
                kind: opts.owner.kind,
                name: opts.owner.name,
                uid: opts.owner.uid,
                controller: true,
              },
            ]
          : undefined,
      },
      spec: {
        nodeName: opts.node,
        terminationGracePeriodSeconds: opts.graceSeconds ?? 1,
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'app',
            image: 'registry.k8s.io/pause:3.10',
            resources: { requests: { cpu: opts.cpu ?? '100m', memory: opts.memory ?? '128Mi' } },
          },
        ],
        volumes: opts.emptyDir ? [{ name: 'scratch', emptyDir: {} }] : undefined,
      },
    });
    await this.core.patchNamespacedPodStatus(
      name,
      ns,
      {
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'ContainersReady', status: 'True' },
            { type: 'PodScheduled', status: 'True' },
          ],
        },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      { headers: { 'Content-Type': k8s.PatchUtils.PATCH_FORMAT_STRATEGIC_MERGE_PATCH } },
    );
    return body;
  }

  async podsOn(node: string): Promise<k8s.V1Pod[]> {
    return (await this.core.listPodForAllNamespaces(undefined, undefined, `spec.nodeName=${node}`)).body.items;
  }

  /**
   * Plays the kubelet for terminating pods: deletes each for good once its deletionTimestamp
   * (deletion time + grace period) has passed.
   */
  startKubelet(intervalMs = 200): void {
    const tick = async () => {
      try {
        const { body } = await this.core.listPodForAllNamespaces();
        const now = Date.now();
        await Promise.all(
          body.items
            .filter((p) => p.metadata?.deletionTimestamp && new Date(p.metadata.deletionTimestamp).getTime() <= now)
            .map((p) =>
              this.core
                .deleteNamespacedPod(p.metadata!.name!, p.metadata!.namespace!, undefined, undefined, 0)
                .catch(() => undefined),
            ),
        );
      } catch {
        /* the next tick tries again */
      }
      if (this.kubelet) this.kubelet = setTimeout(() => void tick(), intervalMs);
    };
    this.kubelet = setTimeout(() => void tick(), intervalMs);
  }

  stopKubelet(): void {
    if (this.kubelet) clearTimeout(this.kubelet);
    this.kubelet = undefined;
  }

  /** Deletes what this fixture created (namespaces cascade; nodes by name prefix). */
  async cleanup(nodePrefix?: string): Promise<void> {
    this.stopKubelet();
    for (const ns of this.owned) await this.core.deleteNamespace(ns).catch(() => undefined);
    if (nodePrefix) {
      const { body } = await this.core.listNode();
      for (const n of body.items.filter((x) => x.metadata?.name?.startsWith(nodePrefix)))
        await this.core.deleteNode(n.metadata!.name!).catch(() => undefined);
    }
  }
}

/** Polls until `fn` returns a truthy value (or throws the last error at the timeout). */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
