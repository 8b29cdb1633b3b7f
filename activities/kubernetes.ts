import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The few Kubernetes API calls a drain needs (cordon, list the node's pods, evict), over plain
 * HTTPS with a bearer token: no client library, and nothing else of the API is touched.
 */
export interface KubernetesAccess {
  apiServer: string;
  token: string;
  caFile?: string;
}

export interface DrainOutcome {
  node: string;
  cordoned: boolean;
  evicted: string[];
  /** Pods a PodDisruptionBudget (429) or an error kept from eviction this pass. */
  blocked: { pod: string; status: number }[];
}

interface PodItem {
  metadata: { name: string; namespace: string; ownerReferences?: { kind: string }[]; annotations?: Record<string, string> };
}

async function call(k: KubernetesAccess, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: unknown }> {
  const url = new URL(path, k.apiServer);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        timeout: 5000,
        ca: k.caFile ? readFileSync(k.caFile) : undefined,
        headers: {
          authorization: `Bearer ${k.token}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

function ensureOk(what: string, r: { status: number; json: unknown }, allowed: number[] = []): void {
  if ((r.status >= 200 && r.status < 300) || allowed.includes(r.status)) return;
  const message = (r.json as { message?: string } | undefined)?.message ?? '';
  throw new Error(`${what}: HTTP ${r.status} ${message}`.trim());
}

/**
 * Cordons the node and asks for every evictable pod to be evicted once (the Eviction API honours
 * PodDisruptionBudgets). DaemonSet and mirror pods stay, as `kubectl drain` leaves them.
 * Idempotent: cordoning twice is a no-op and evicting a pod that is gone is a 404 we accept.
 */
export async function cordonAndDrain(k: KubernetesAccess, node: string): Promise<DrainOutcome> {
  const enc = encodeURIComponent;
  const cordon = await call(k, 'PATCH', `/api/v1/nodes/${enc(node)}`, { spec: { unschedulable: true } }, 'application/strategic-merge-patch+json');
  ensureOk(`cordon ${node}`, cordon);
  const list = await call(k, 'GET', `/api/v1/pods?fieldSelector=${enc(`spec.nodeName=${node}`)}`);
  ensureOk(`list pods on ${node}`, list);
  const pods = ((list.json as { items?: PodItem[] })?.items ?? []).filter(
    (p) => !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet') && !p.metadata.annotations?.['kubernetes.io/config.mirror'],
  );
  const outcome: DrainOutcome = { node, cordoned: true, evicted: [], blocked: [] };
  for (const p of pods) {
    const { name, namespace } = p.metadata;
    const r = await call(k, 'POST', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace },
    });
    if ((r.status >= 200 && r.status < 300) || r.status === 404) outcome.evicted.push(`${namespace}/${name}`);
    else outcome.blocked.push({ pod: `${namespace}/${name}`, status: r.status });
  }
  return outcome;
}
