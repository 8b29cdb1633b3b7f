import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uniqueName } from './stack';

/**
 * Test fleets for the scaling suites: clusters with every kind of node group eksflow handles
 * (EKS managed in desired mode, EKS managed in bounds mode, a self-managed ASG), in two
 * accounts and regions, with unique names so suites never collide on the shared moto server.
 */
export function scalingCluster(prefix: string, opts: { accountId?: string; region?: string; role?: boolean; kubernetes?: { apiServer: string; tokenEnv: string } } = {}) {
  const name = uniqueName(prefix);
  const accountId = opts.accountId ?? '111111111111';
  return {
    name,
    accountId,
    region: opts.region ?? 'ap-south-1',
    ...(opts.role ? { roleArn: `arn:aws:iam::${accountId}:role/eksflow-automation` } : {}),
    ...(opts.kubernetes ? { kubernetes: opts.kubernetes } : {}),
    nodegroups: [
      { name: 'general', instanceTypes: ['m5.large'], floor: 1, businessHours: { min: 2, desired: 3, max: 6 }, offHours: { min: 1, desired: 1, max: 6 } },
      { name: 'workers', capacityType: 'SPOT', scalingMode: 'bounds', instanceTypes: ['c5.xlarge'], businessHours: { min: 2, desired: 2, max: 6 }, offHours: { min: 0, desired: 0, max: 3 } },
      { name: 'batch', kind: 'self-managed', asgName: `${name}-batch`, capacityType: 'SPOT', instanceTypes: ['m5.large'], businessHours: { min: 1, desired: 2, max: 4 }, offHours: { min: 0, desired: 1, max: 4 } },
    ],
  };
}

/**
 * A stand-in Kubernetes API server (real HTTP) answering the two reads the workload check makes:
 * nodes of a node group, and running pods with their requests.
 */
export async function startFakeKubernetes(token: string, nodes: { name: string; nodegroup: string; cpu: string; memory: string }[], pods: { node: string; cpu: string; memory: string; daemonSet?: boolean }[]): Promise<{ url: string; close(): Promise<void>; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.headers.authorization !== `Bearer ${token}`) { res.writeHead(401).end('{}'); return; }
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/api/v1/nodes') {
      const wanted = (url.searchParams.get('labelSelector') ?? '').split('=')[1];
      res.end(JSON.stringify({ items: nodes.filter((n) => n.nodegroup === wanted).map((n) => ({ metadata: { name: n.name, labels: { 'eks.amazonaws.com/nodegroup': n.nodegroup } }, status: { allocatable: { cpu: n.cpu, memory: n.memory } } })) }));
      return;
    }
    if (url.pathname === '/api/v1/pods') {
      res.end(JSON.stringify({ items: pods.map((p, i) => ({ metadata: { name: `pod-${i}`, ...(p.daemonSet ? { ownerReferences: [{ kind: 'DaemonSet' }] } : {}) }, spec: { nodeName: p.node, containers: [{ resources: { requests: { cpu: p.cpu, memory: p.memory } } }] } })) }));
      return;
    }
    res.writeHead(404).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}
