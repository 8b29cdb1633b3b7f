import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  ChecksumConstructor,
  HashConstructor,
} from '@aws-sdk/types';
import type { AwsClientFactory } from '../../src/aws/clients';
import { kubernetesAuthOf, type AwsTarget, type ClusterConfig, type KubernetesConfig } from '../../src/config/clusters';
import { readSecretEnv } from '../../src/config/env';
import {
  AccessDeniedError,
  ConflictError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
  type EksflowError,
} from '../../src/errors';
import { describeClusterAccess } from './clusters';
import { secretString } from './secrets';

/**
 * The one Kubernetes gateway: every activity that reads or changes a cluster's Kubernetes objects
 * goes through it. Built on @kubernetes/client-node 0.22.3, the last CommonJS release — 1.x is
 * ESM-only, which Jest's CommonJS runtime (ts-jest) cannot load without transpiling the library
 * and its ESM dependencies on every cold run, and the maintainers declined a CJS build
 * (kubernetes-client/javascript#2240).
 */

export type {
  V1Node,
  V1Pod,
  V1PodDisruptionBudget,
  V1Deployment,
  V1StatefulSet,
  V1Namespace,
} from '@kubernetes/client-node';

export type EvictionOutcome =
  | { outcome: 'evicted' }
  /** The pod is gone, or it is a different pod now (UID precondition failed). */
  | { outcome: 'gone' }
  /** 429: a PodDisruptionBudget forbids it now; `budgets` names them when the API says so. */
  | { outcome: 'blocked'; status: number; message: string; budgets: string[] };

/**
 * @kubernetes/client-node, loaded when a gateway first needs it: at import it would cost every
 * worker process ~16 MB of heap and ~0.3 s of start (900 modules), used or not.
 */
function kube(): typeof k8s {
  return require('@kubernetes/client-node') as typeof k8s;
}

const REQUEST_TIMEOUT_MS = 15_000;
const strategicPatch = () => ({ headers: { 'Content-Type': kube().PatchUtils.PATCH_FORMAT_STRATEGIC_MERGE_PATCH } });
const mergePatch = () => ({ headers: { 'Content-Type': kube().PatchUtils.PATCH_FORMAT_JSON_MERGE_PATCH } });

interface HttpErrorLike {
  statusCode?: number;
  body?: { message?: string; reason?: string; details?: { causes?: { reason?: string; message?: string }[] } } | string;
}

/** One cluster's API, authenticated. Methods return client-node model objects (plain data). */
export class KubernetesGateway {
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly policy: k8s.PolicyV1Api;
  private readonly versionApi: k8s.VersionApi;
  private readonly apiext: k8s.ApiextensionsV1Api;

  constructor(
    readonly kubeConfig: k8s.KubeConfig,
    readonly label: string,
    private readonly onUnauthorized: () => void = () => {},
  ) {
    const api = kube();
    this.core = this.api(api.CoreV1Api);
    this.apps = this.api(api.AppsV1Api);
    this.policy = this.api(api.PolicyV1Api);
    this.versionApi = this.api(api.VersionApi);
    this.apiext = this.api(api.ApiextensionsV1Api);
  }

  private api<T extends k8s.ApiType>(ctor: new (server: string) => T): T {
    const api = this.kubeConfig.makeApiClient(ctor);
    (
      api as unknown as { addInterceptor(i: (o: { timeout?: number; forever?: boolean }) => void): void }
    ).addInterceptor((o) => {
      o.timeout = REQUEST_TIMEOUT_MS;
      o.forever = true;
    });
    return api;
  }

  /** Runs one API call and turns its failure into eksflow's typed errors (401/403 → AccessDenied, 404 → NotFound). */
  private async call<T>(what: string, fn: () => Promise<{ body: T }>): Promise<T> {
    try {
      return (await fn()).body;
    } catch (err) {
      throw this.classify(what, err);
    }
  }

  /**
   * The Kubernetes side of the one error convention (src/errors.ts): 401/403 → AccessDenied,
   * 404 → NotFound, 400/422 → Validation, 409 → Conflict (a resourceVersion moved under us),
   * 429 → Throttled, other HTTP errors and an unreachable API → Unavailable (both retried).
   */
  private classify(what: string, err: unknown): EksflowError {
    const e = err as HttpErrorLike & { code?: string; message?: string };
    const status = e?.statusCode;
    const ctx = `Kubernetes API ${this.label}: ${what}`;
    if (status === undefined) {
      const message = `${ctx}: ${e?.code ?? ''} ${e?.message ?? String(err)}`.replace(/\s+/g, ' ').trim();
      return new UnavailableError(message, { cause: err, details: { code: e?.code } });
    }
    const body = typeof e.body === 'object' ? e.body : undefined;
    const msg = body?.message ?? (typeof e.body === 'string' ? e.body.slice(0, 200) : '');
    const opts = { details: { httpStatus: status, reason: body?.reason } };
    if (status === 401) {
      this.onUnauthorized();
      return new AccessDeniedError(
        `${ctx}: the API rejected the credentials (401 Unauthorized)${msg ? `: ${msg}` : ''}`,
        opts,
      );
    }
    if (status === 403)
      return new AccessDeniedError(
        `${ctx}: forbidden (403): ${msg} — grant it in eksflow's ClusterRole (deploy/rbac/eksflow.yaml)`,
        opts,
      );
    if (status === 404) return new NotFoundError(`${ctx}: not found (404)${msg ? `: ${msg}` : ''}`, opts);
    if (status === 400 || status === 422) return new ValidationError(`${ctx}: rejected (${status}): ${msg}`, opts);
    if (status === 409) return new ConflictError(`${ctx}: conflict (409): ${msg}`, opts);
    if (status === 429) return new ThrottledError(`${ctx}: HTTP 429${msg ? `: ${msg}` : ''}`, opts);
    return new UnavailableError(`${ctx}: HTTP ${status}${msg ? `: ${msg}` : ''}`, opts);
  }

  async version(): Promise<string> {
    const v = await this.call('GET /version', () => this.versionApi.getCode());
    return v.gitVersion;
  }

  async getNode(name: string): Promise<k8s.V1Node | undefined> {
    try {
      return await this.call(`GET node ${name}`, () => this.core.readNode(name));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async listNodes(labelSelector?: string): Promise<k8s.V1Node[]> {
    return this.listAll(`LIST nodes ${labelSelector ?? ''}`, (cont) =>
      this.core.listNode(undefined, undefined, cont, undefined, labelSelector, 500),
    );
  }

  /** Cordons (or uncordons) a node; reads first and writes only a change. Returns whether it changed. */
  async setUnschedulable(name: string, unschedulable: boolean): Promise<boolean> {
    const node = await this.getNode(name);
    if (!node) throw new NotFoundError(`Kubernetes API ${this.label}: node ${name} does not exist`);
    if (Boolean(node.spec?.unschedulable) === unschedulable) return false;
    await this.call(`PATCH node ${name}`, () =>
      this.core.patchNode(
        name,
        { spec: { unschedulable } },
        undefined,
        undefined,
        'eksflow',
        undefined,
        undefined,
        strategicPatch(),
      ),
    );
    return true;
  }

  /** Patches node metadata (annotations/labels) with a JSON merge patch. */
  async patchNodeMetadata(
    name: string,
    metadata: { annotations?: Record<string, string | null>; labels?: Record<string, string | null> },
  ): Promise<void> {
    await this.call(`PATCH node ${name}`, () =>
      this.core.patchNode(name, { metadata }, undefined, undefined, 'eksflow', undefined, undefined, mergePatch()),
    );
  }

  async listPods(
    opts: { nodeName?: string; namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<k8s.V1Pod[]> {
    const fields =
      [opts.nodeName ? `spec.nodeName=${opts.nodeName}` : undefined, opts.fieldSelector].filter(Boolean).join(',') ||
      undefined;
    const what = `LIST pods ${opts.namespace ?? ''} ${fields ?? ''}`;
    return opts.namespace
      ? this.listAll(what, (cont) =>
          this.core.listNamespacedPod(opts.namespace!, undefined, undefined, cont, fields, opts.labelSelector, 500),
        )
      : this.listAll(what, (cont) =>
          this.core.listPodForAllNamespaces(undefined, cont, fields, opts.labelSelector, 500),
        );
  }

  async getPod(namespace: string, name: string): Promise<k8s.V1Pod | undefined> {
    try {
      return await this.call(`GET pod ${namespace}/${name}`, () => this.core.readNamespacedPod(name, namespace));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Asks the Eviction API to evict one pod (it enforces PodDisruptionBudgets). The UID
   * precondition makes sure a pod recreated under the same name (StatefulSet) is never evicted in
   * its predecessor's place.
   */
  async evict(namespace: string, name: string, uid?: string): Promise<EvictionOutcome> {
    const body: k8s.V1Eviction = {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace },
      ...(uid ? { deleteOptions: { preconditions: { uid } } } : {}),
    };
    try {
      await this.core.createNamespacedPodEviction(name, namespace, body);
      return { outcome: 'evicted' };
    } catch (err) {
      const e = err as HttpErrorLike;
      const b = typeof e.body === 'object' ? e.body : undefined;
      if (e.statusCode === 404) return { outcome: 'gone' };
      // 409: the UID precondition failed — the pod we meant is gone, a namesake stands there.
      if (e.statusCode === 409 && uid) return { outcome: 'gone' };
      if (e.statusCode === 429 || (e.statusCode === 500 && /disruption budget/i.test(b?.message ?? ''))) {
        const budgets = (b?.details?.causes ?? [])
          .map((c) => /disruption budget ([a-z0-9.-]+)/i.exec(c.message ?? '')?.[1])
          .filter((n): n is string => !!n);
        return { outcome: 'blocked', status: e.statusCode, message: b?.message ?? 'Too Many Requests', budgets };
      }
      throw this.classify(`POST eviction ${namespace}/${name}`, err);
    }
  }

  async listPodDisruptionBudgets(namespace?: string): Promise<k8s.V1PodDisruptionBudget[]> {
    return namespace
      ? this.listAll(`LIST pdb ${namespace}`, (cont) =>
          this.policy.listNamespacedPodDisruptionBudget(
            namespace,
            undefined,
            undefined,
            cont,
            undefined,
            undefined,
            500,
          ),
        )
      : this.listAll('LIST pdb', (cont) =>
          this.policy.listPodDisruptionBudgetForAllNamespaces(undefined, cont, undefined, undefined, 500),
        );
  }

  async listNamespaces(): Promise<k8s.V1Namespace[]> {
    return this.listAll('LIST namespaces', (cont) =>
      this.core.listNamespace(undefined, undefined, cont, undefined, undefined, 500),
    );
  }

  async listDeployments(namespace?: string): Promise<k8s.V1Deployment[]> {
    return namespace
      ? this.listAll(`LIST deployments ${namespace}`, (cont) =>
          this.apps.listNamespacedDeployment(namespace, undefined, undefined, cont, undefined, undefined, 500),
        )
      : this.listAll('LIST deployments', (cont) =>
          this.apps.listDeploymentForAllNamespaces(undefined, cont, undefined, undefined, 500),
        );
  }

  async listStatefulSets(namespace?: string): Promise<k8s.V1StatefulSet[]> {
    return namespace
      ? this.listAll(`LIST statefulsets ${namespace}`, (cont) =>
          this.apps.listNamespacedStatefulSet(namespace, undefined, undefined, cont, undefined, undefined, 500),
        )
      : this.listAll('LIST statefulsets', (cont) =>
          this.apps.listStatefulSetForAllNamespaces(undefined, cont, undefined, undefined, 500),
        );
  }

  async listServices(namespace?: string): Promise<k8s.V1Service[]> {
    return namespace
      ? this.listAll(`LIST services ${namespace}`, (cont) =>
          this.core.listNamespacedService(namespace, undefined, undefined, cont, undefined, undefined, 500),
        )
      : this.listAll('LIST services', (cont) =>
          this.core.listServiceForAllNamespaces(undefined, cont, undefined, undefined, 500),
        );
  }

  async listConfigMaps(namespace?: string): Promise<k8s.V1ConfigMap[]> {
    return namespace
      ? this.listAll(`LIST configmaps ${namespace}`, (cont) =>
          this.core.listNamespacedConfigMap(namespace, undefined, undefined, cont, undefined, undefined, 500),
        )
      : this.listAll('LIST configmaps', (cont) =>
          this.core.listConfigMapForAllNamespaces(undefined, cont, undefined, undefined, 500),
        );
  }

  /** Secrets: only the cluster-state export with `includeSecrets` (it encrypts them before they leave). */
  async listSecrets(namespace?: string): Promise<k8s.V1Secret[]> {
    return namespace
      ? this.listAll(`LIST secrets ${namespace}`, (cont) =>
          this.core.listNamespacedSecret(namespace, undefined, undefined, cont, undefined, undefined, 500),
        )
      : this.listAll('LIST secrets', (cont) =>
          this.core.listSecretForAllNamespaces(undefined, cont, undefined, undefined, 500),
        );
  }

  async listCustomResourceDefinitions(): Promise<k8s.V1CustomResourceDefinition[]> {
    return this.listAll('LIST customresourcedefinitions', (cont) =>
      this.apiext.listCustomResourceDefinition(undefined, undefined, cont, undefined, undefined, 500),
    );
  }

  /**
   * Sets a workload's replicas and annotations in one JSON merge patch, guarded by its
   * resourceVersion: a concurrent change makes it fail (409, retried after a fresh read) instead
   * of being overwritten.
   */
  async patchWorkload(
    kind: 'Deployment' | 'StatefulSet',
    namespace: string,
    name: string,
    patch: { replicas?: number; annotations?: Record<string, string | null>; resourceVersion?: string },
  ): Promise<void> {
    const body = {
      metadata: {
        ...(patch.annotations ? { annotations: patch.annotations } : {}),
        ...(patch.resourceVersion ? { resourceVersion: patch.resourceVersion } : {}),
      },
      ...(patch.replicas !== undefined ? { spec: { replicas: patch.replicas } } : {}),
    };
    const what = `PATCH ${kind.toLowerCase()} ${namespace}/${name}`;
    await this.call(what, () =>
      kind === 'Deployment'
        ? this.apps.patchNamespacedDeployment(
            name,
            namespace,
            body,
            undefined,
            undefined,
            'eksflow',
            undefined,
            undefined,
            mergePatch(),
          )
        : this.apps.patchNamespacedStatefulSet(
            name,
            namespace,
            body,
            undefined,
            undefined,
            'eksflow',
            undefined,
            undefined,
            mergePatch(),
          ),
    );
  }

  private async listAll<T>(
    what: string,
    page: (cont?: string) => Promise<{ body: { items: T[]; metadata?: { _continue?: string } } }>,
  ): Promise<T[]> {
    const out: T[] = [];
    let cont: string | undefined;
    do {
      const body = await this.call(what, () => page(cont));
      out.push(...body.items);
      cont = body.metadata?._continue || undefined;
    } while (cont);
    return out;
  }
}

// --- EKS IAM authentication -----------------------------------------------------------------------

/** What `aws eks get-token` returns, and when eksflow makes a new one. */
export interface EksToken {
  token: string;
  /** The token is accepted for 15 minutes after signing; eksflow replaces it 5 minutes earlier. */
  expiresAt: Date;
  refreshAt: Date;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;
const EKS_TOKEN_REFRESH_MS = 10 * 60_000;

/**
 * The bearer token EKS's IAM authenticator accepts: `k8s-aws-v1.` + unpadded base64url of an STS
 * `GetCallerIdentity` URL presigned (SigV4, 60 s `X-Amz-Expires`) with the cluster name signed in the
 * `x-k8s-aws-id` header — what `aws eks get-token` / aws-iam-authenticator produce.
 */
export async function eksToken(opts: {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  sha256: ChecksumConstructor | HashConstructor;
  now: Date;
}): Promise<EksToken> {
  const hostname = `sts.${opts.region}.amazonaws.com`;
  const signer = new SignatureV4({
    credentials: opts.credentials,
    region: opts.region,
    service: 'sts',
    sha256: opts.sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': opts.clusterName },
    },
    { expiresIn: 60, signingDate: opts.now, unhoistableHeaders: new Set(['x-k8s-aws-id']) },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v ?? '']]))
    .map(([k, v]) => `${encodeURIComponent(k!)}=${encodeURIComponent(v!)}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    expiresAt: new Date(opts.now.getTime() + EKS_TOKEN_LIFETIME_MS),
    refreshAt: new Date(opts.now.getTime() + EKS_TOKEN_REFRESH_MS),
  };
}

// --- per-cluster gateways ---------------------------------------------------------------------------

interface Cached {
  gateway: KubernetesGateway;
  /** Rebuild after this (token refresh); undefined: keep. */
  refreshAtMs?: number;
}

const SECRET_TOKEN_TTL_MS = 5 * 60_000;

/**
 * Builds (and caches) one authenticated gateway per configured cluster. EKS tokens are re-signed
 * before they expire, Secrets Manager tokens re-read every few minutes and at once after a 401
 * (a rotated token), kubeconfig files re-read on every rebuild.
 */
export class KubernetesGateways {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly deps: { aws: AwsClientFactory; now: () => Date; env?: NodeJS.ProcessEnv }) {}

  /** The gateway of a cluster; `ValidationError` when the cluster has no Kubernetes access configured. */
  async forCluster(cluster: ClusterConfig): Promise<KubernetesGateway> {
    const k = cluster.kubernetes;
    if (!k) throw new ValidationError(`cluster ${cluster.name} has no kubernetes access configured`);
    const key = `${cluster.accountId}/${cluster.region}/${cluster.name}`;
    const hit = this.cache.get(key);
    const nowMs = this.deps.now().getTime();
    if (hit && (hit.refreshAtMs === undefined || nowMs < hit.refreshAtMs)) return hit.gateway;
    const built = await this.build(cluster, k, key);
    this.cache.set(key, built);
    return built.gateway;
  }

  /** Drops a cluster's cached credentials (after a 401). */
  invalidate(key: string): void {
    this.cache.delete(key);
  }

  private async build(cluster: ClusterConfig, k: KubernetesConfig, key: string): Promise<Cached> {
    const target: AwsTarget = { accountId: cluster.accountId, region: cluster.region, roleArn: cluster.roleArn };
    const onUnauthorized = () => this.invalidate(key);
    const auth = kubernetesAuthOf(k);
    if (auth === 'kubeconfig') {
      const kc = new (kube().KubeConfig)();
      try {
        kc.loadFromFile(k.kubeconfig!);
      } catch (err) {
        throw new ValidationError(
          `cluster ${cluster.name}: kubeconfig ${k.kubeconfig} cannot be read: ${(err as Error).message}`,
        );
      }
      if (k.context) {
        if (!kc.getContextObject(k.context))
          throw new ValidationError(`cluster ${cluster.name}: kubeconfig ${k.kubeconfig} has no context ${k.context}`);
        kc.setCurrentContext(k.context);
      }
      if (!kc.getCurrentCluster())
        throw new ValidationError(`cluster ${cluster.name}: kubeconfig ${k.kubeconfig} selects no cluster`);
      return { gateway: new KubernetesGateway(kc, cluster.name, onUnauthorized) };
    }
    if (auth === 'token') {
      const token = k.tokenEnv
        ? readSecretEnv(k.tokenEnv, this.deps.env)
        : await this.secretToken(target, k.tokenSecretId!);
      if (!token)
        throw new ValidationError(
          `cluster ${cluster.name}: environment variable ${k.tokenEnv} (the Kubernetes token) is empty`,
        );
      const kc = kubeConfigFor(cluster.name, k.apiServer!, token, k.caFile ? { caFile: k.caFile } : {});
      return {
        gateway: new KubernetesGateway(kc, cluster.name, onUnauthorized),
        refreshAtMs: k.tokenSecretId ? this.deps.now().getTime() + SECRET_TOKEN_TTL_MS : undefined,
      };
    }
    // EKS IAM: endpoint and CA from DescribeCluster (unless configured), token signed with the target's credentials.
    const eks = this.deps.aws.eks(target);
    let server = k.apiServer;
    let ca: { caFile?: string; caData?: string } = k.caFile ? { caFile: k.caFile } : {};
    if (!server || !k.caFile) {
      const access = await describeClusterAccess(this.deps.aws, target, cluster.name);
      server ??= access.endpoint;
      if (!k.caFile && access.caData) ca = { caData: access.caData };
      if (!server)
        throw new ValidationError(
          `cluster ${cluster.name}: DescribeCluster returned no endpoint (is the cluster ACTIVE?)`,
        );
    }
    const t = await eksToken({
      clusterName: cluster.name,
      region: cluster.region,
      credentials: eks.config.credentials,
      sha256: eks.config.sha256,
      now: this.deps.now(),
    });
    return {
      gateway: new KubernetesGateway(kubeConfigFor(cluster.name, server, t.token, ca), cluster.name, onUnauthorized),
      refreshAtMs: t.refreshAt.getTime(),
    };
  }

  private async secretToken(target: AwsTarget, secretId: string): Promise<string | undefined> {
    return (await secretString(this.deps.aws, target, secretId))?.trim() || undefined;
  }
}

/** A KubeConfig for one server and bearer token. A CA file is read here so a missing file fails clearly. */
export function kubeConfigFor(
  name: string,
  server: string,
  token: string,
  ca: { caFile?: string; caData?: string },
): k8s.KubeConfig {
  let caData = ca.caData;
  if (ca.caFile) {
    try {
      caData = readFileSync(ca.caFile).toString('base64');
    } catch (err) {
      throw new ValidationError(`cluster ${name}: CA file ${ca.caFile} cannot be read: ${(err as Error).message}`);
    }
  }
  const kc = new (kube().KubeConfig)();
  kc.loadFromOptions({
    clusters: [{ name, server, caData, skipTLSVerify: false }],
    users: [{ name: 'eksflow', token }],
    contexts: [{ name, cluster: name, user: 'eksflow' }],
    currentContext: name,
  });
  return kc;
}
