/**
 * Which nodes a scale-in removes: the cheapest to empty first — fewest pods to move, then lowest
 * CPU and memory requests — never one annotated `eksflow.io/scale-down-disabled: "true"` (what
 * cluster-autoscaler's `scale-down-disabled` annotation means). Pure: the caller reads the API.
 */
export const SCALE_DOWN_DISABLED = 'eksflow.io/scale-down-disabled';

export interface NodeLoad {
  /** Undefined: the instance never registered as a node — nothing runs there, it goes first and needs no drain. */
  node?: string;
  instanceId: string;
  annotations: Record<string, string>;
  /** Pods that would have to move (DaemonSet and mirror pods excluded). */
  pods: number;
  cpuMillis: number;
  memoryBytes: number;
}

export interface ScaleInPick {
  picked: NodeLoad[];
  excluded: { node: string; reason: string }[];
}

export function pickNodesToRemove(nodes: NodeLoad[], count: number): ScaleInPick {
  const excluded: ScaleInPick['excluded'] = [];
  const candidates: NodeLoad[] = [];
  for (const n of nodes) {
    if ((n.annotations[SCALE_DOWN_DISABLED] ?? '').toLowerCase() === 'true')
      excluded.push({ node: n.node ?? n.instanceId, reason: `annotated ${SCALE_DOWN_DISABLED}=true` });
    else candidates.push(n);
  }
  const unregistered = (n: NodeLoad) => (n.node === undefined ? 0 : 1);
  candidates.sort(
    (a, b) =>
      unregistered(a) - unregistered(b) ||
      a.pods - b.pods ||
      a.cpuMillis - b.cpuMillis ||
      a.memoryBytes - b.memoryBytes ||
      (a.node ?? a.instanceId).localeCompare(b.node ?? b.instanceId),
  );
  return { picked: candidates.slice(0, Math.max(0, count)), excluded };
}
