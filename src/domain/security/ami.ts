/**
 * EKS optimized AMI release versions look like `1.31.2-20241109` (Kubernetes patch version,
 * build date). A node group is behind when the latest release for its Kubernetes version has a
 * later build date (or a later patch on the same date).
 */
export interface ReleaseVersion {
  k8s: [number, number, number];
  date: string;
}

export function parseReleaseVersion(v: string): ReleaseVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)-(\d{8})$/.exec(v.trim());
  if (!m) return undefined;
  return { k8s: [Number(m[1]), Number(m[2]), Number(m[3])], date: m[4]! };
}

/** Negative when a is older than b, 0 when equal, positive when newer; undefined when either does not parse. */
export function compareReleaseVersions(a: string, b: string): number | undefined {
  const pa = parseReleaseVersion(a);
  const pb = parseReleaseVersion(b);
  if (!pa || !pb) return undefined;
  if (pa.date !== pb.date) return pa.date < pb.date ? -1 : 1;
  for (let i = 0; i < 3; i++) if (pa.k8s[i] !== pb.k8s[i]) return pa.k8s[i]! - pb.k8s[i]!;
  return 0;
}

/** Days between the two build dates (b − a). */
export function releaseAgeDays(current: string, latest: string): number | undefined {
  const a = parseReleaseVersion(current);
  const b = parseReleaseVersion(latest);
  if (!a || !b) return undefined;
  const toMs = (d: string) => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)));
  return Math.round((toMs(b.date) - toMs(a.date)) / 86_400_000);
}

/** The SSM parameter family for an EKS AMI type (`AL2023_x86_64_STANDARD` → `amazon-linux-2023/x86_64/standard`). */
export function amiFamilyFor(amiType: string | undefined): string | undefined {
  switch (amiType ?? 'AL2023_x86_64_STANDARD') {
    case 'AL2023_x86_64_STANDARD':
      return 'amazon-linux-2023/x86_64/standard';
    case 'AL2023_ARM_64_STANDARD':
      return 'amazon-linux-2023/arm64/standard';
    case 'AL2023_x86_64_NVIDIA':
      return 'amazon-linux-2023/x86_64/nvidia';
    case 'AL2023_x86_64_NEURON':
      return 'amazon-linux-2023/x86_64/neuron';
    case 'AL2_x86_64':
      return 'amazon-linux-2';
    case 'AL2_x86_64_GPU':
      return 'amazon-linux-2-gpu';
    case 'AL2_ARM_64':
      return 'amazon-linux-2-arm64';
    // Bottlerocket and Windows publish under other parameter trees; a custom AMI has no release to compare.
    default:
      return undefined;
  }
}

/** The parameter name for a template such as `/aws/service/eks/optimized-ami/{version}/{amiFamily}/recommended/release_version`. */
export function releaseParameterName(
  template: string,
  k8sVersion: string,
  amiType: string | undefined,
): string | undefined {
  const family = amiFamilyFor(amiType);
  if (!family) return undefined;
  return template.replace('{version}', k8sVersion).replace('{amiFamily}', family);
}
