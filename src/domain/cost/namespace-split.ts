/**
 * A node group's cost split by namespace from the pods' requests (OpenCost's allocation idea,
 * requests-based): each namespace pays for the share of the group's allocatable CPU and memory its
 * pods request (the two weighted equally); what nobody requests is `idle`. Pure.
 */
export const IDLE = '__idle__';

export interface NamespaceRequests {
  namespace: string;
  cpuMillis: number;
  memoryBytes: number;
}

export interface NamespaceShare {
  namespace: string;
  /** Share of the group's cost, 0..1 (all shares of a group sum to 1). */
  share: number;
  monthly: number;
  cpuMillis: number;
  memoryBytes: number;
}

export function splitByNamespace(
  monthly: number,
  allocatable: { cpuMillis: number; memoryBytes: number },
  requests: NamespaceRequests[],
): NamespaceShare[] {
  const byNs = new Map<string, { cpu: number; mem: number }>();
  for (const r of requests) {
    const cur = byNs.get(r.namespace) ?? { cpu: 0, mem: 0 };
    byNs.set(r.namespace, { cpu: cur.cpu + r.cpuMillis, mem: cur.mem + r.memoryBytes });
  }
  const totalCpu = [...byNs.values()].reduce((s, v) => s + v.cpu, 0);
  const totalMem = [...byNs.values()].reduce((s, v) => s + v.mem, 0);
  // Over-committed requests (more than allocatable) are shared out in proportion instead.
  const cpuBase = Math.max(allocatable.cpuMillis, totalCpu);
  const memBase = Math.max(allocatable.memoryBytes, totalMem);
  const out: NamespaceShare[] = [];
  let used = 0;
  for (const [namespace, v] of [...byNs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const cpuShare = cpuBase > 0 ? v.cpu / cpuBase : 0;
    const memShare = memBase > 0 ? v.mem / memBase : 0;
    const share = (cpuShare + memShare) / 2;
    used += share;
    out.push({ namespace, share, monthly: share * monthly, cpuMillis: v.cpu, memoryBytes: v.mem });
  }
  const idle = Math.max(0, 1 - used);
  out.push({
    namespace: IDLE,
    share: idle,
    monthly: idle * monthly,
    cpuMillis: Math.max(0, allocatable.cpuMillis - totalCpu),
    memoryBytes: Math.max(0, allocatable.memoryBytes - totalMem),
  });
  return out;
}
