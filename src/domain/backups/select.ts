/**
 * Which EBS volumes of a cluster the nightly backup takes a snapshot of. A volume belongs to a
 * cluster when it carries one of the ownership tags the EBS CSI driver and EKS write
 * (`kubernetes.io/cluster/<name>`, `KubernetesCluster=<name>`, `eks:cluster-name=<name>`); it is
 * selected when it also carries one of the selector's tag keys (default: the CSI driver's
 * `kubernetes.io/created-for/pvc/name` and `ebs.csi.aws.com/cluster`) or one of its `key=value` tags.
 */
import type { Tags } from './tags';

export interface VolumeFacts {
  volumeId: string;
  availabilityZone: string;
  sizeGiB: number;
  volumeType: string;
  /** creating | available | in-use | deleting | deleted | error */
  state: string;
  createTime: string;
  attachedTo: string[];
  tags: Tags;
}

export interface VolumeSelector {
  anyOfTagKeys: string[];
  tags: { key: string; value: string }[];
}

export const DEFAULT_SELECTOR_KEYS = ['kubernetes.io/created-for/pvc/name', 'ebs.csi.aws.com/cluster'];

export function belongsToCluster(tags: Tags, cluster: string): boolean {
  return (
    tags[`kubernetes.io/cluster/${cluster}`] !== undefined ||
    tags.KubernetesCluster === cluster ||
    tags['eks:cluster-name'] === cluster
  );
}

export interface VolumeSelection {
  selected: VolumeFacts[];
  skipped: { volumeId: string; reason: string }[];
}

const BACKUP_STATES = new Set(['available', 'in-use']);

export function selectBackupVolumes(
  volumes: readonly VolumeFacts[],
  cluster: string,
  selector: VolumeSelector,
): VolumeSelection {
  const out: VolumeSelection = { selected: [], skipped: [] };
  for (const v of [...volumes].sort((a, b) => (a.volumeId < b.volumeId ? -1 : 1))) {
    if (!belongsToCluster(v.tags, cluster)) continue;
    const byKey = selector.anyOfTagKeys.some((k) => v.tags[k] !== undefined);
    const byTag = selector.tags.some((t) => v.tags[t.key] === t.value);
    if (!byKey && !byTag) {
      out.skipped.push({ volumeId: v.volumeId, reason: 'no selector tag' });
      continue;
    }
    if (!BACKUP_STATES.has(v.state)) {
      out.skipped.push({ volumeId: v.volumeId, reason: `volume is ${v.state}` });
      continue;
    }
    out.selected.push(v);
  }
  return out;
}
