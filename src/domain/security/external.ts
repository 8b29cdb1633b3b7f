import type { Finding, FindingSeverity } from './types';

/** Maps the services' severity labels (CRITICAL, HIGH, …, UNTRIAGED, UNDEFINED) onto ours. */
export function severityFromLabel(label: string | undefined): FindingSeverity {
  switch ((label ?? '').toUpperCase()) {
    case 'CRITICAL':
      return 'critical';
    case 'HIGH':
      return 'high';
    case 'MEDIUM':
      return 'medium';
    case 'LOW':
      return 'low';
    default:
      return 'informational';
  }
}

const clip = (s: string | undefined, n = 400) => (s && s.length > n ? `${s.slice(0, n - 1)}…` : (s ?? ''));

/** The fields of an Inspector2 finding eksflow reads (ListFindings). */
export interface Inspector2FindingLike {
  findingArn?: string;
  severity?: string;
  status?: string;
  title?: string;
  description?: string;
  type?: string;
  remediation?: { recommendation?: { text?: string; Url?: string } };
  resources?: { id?: string; type?: string }[];
}

export function fromInspector2(f: Inspector2FindingLike, scope: string): Finding | undefined {
  if (!f.findingArn || (f.status && f.status !== 'ACTIVE')) return undefined;
  const resource = f.resources?.[0]?.id ?? 'unknown';
  return {
    id: `inspector2:${f.findingArn}`,
    ruleId: `inspector2/${f.type ?? 'finding'}`,
    severity: severityFromLabel(f.severity),
    title: clip(f.title, 200) || 'Inspector finding',
    resource,
    evidence: clip(f.description),
    remediation: clip(f.remediation?.recommendation?.text) || 'See the finding in Amazon Inspector.',
    source: 'inspector2',
    scope,
  };
}

/** The fields of an ASFF finding eksflow reads (Security Hub GetFindings). */
export interface AsffFindingLike {
  Id?: string;
  GeneratorId?: string;
  Title?: string;
  Description?: string;
  Severity?: { Label?: string };
  Remediation?: { Recommendation?: { Text?: string; Url?: string } };
  Resources?: { Id?: string; Type?: string }[];
  RecordState?: string;
  Workflow?: { Status?: string };
}

export function fromSecurityHub(f: AsffFindingLike, scope: string): Finding | undefined {
  if (!f.Id || f.RecordState === 'ARCHIVED' || f.Workflow?.Status === 'SUPPRESSED' || f.Workflow?.Status === 'RESOLVED')
    return undefined;
  const rec = f.Remediation?.Recommendation;
  return {
    id: `securityhub:${f.Id}`,
    ruleId: `securityhub/${f.GeneratorId ?? 'finding'}`,
    severity: severityFromLabel(f.Severity?.Label),
    title: clip(f.Title, 200) || 'Security Hub finding',
    resource: f.Resources?.[0]?.Id ?? 'unknown',
    evidence: clip(f.Description),
    remediation: [rec?.Text, rec?.Url].filter(Boolean).join(' ') || 'See the finding in Security Hub.',
    source: 'securityhub',
    scope,
  };
}

/** One finding of ECR DescribeImageScanFindings (basic scanning shape). */
export interface EcrFindingLike {
  name?: string;
  severity?: string;
  description?: string;
  uri?: string;
  attributes?: { key?: string; value?: string }[];
}

export function fromEcr(repository: string, digest: string, f: EcrFindingLike, scope: string): Finding | undefined {
  if (!f.name) return undefined;
  const attr = (k: string) => f.attributes?.find((a) => a.key === k)?.value;
  const pkg = attr('package_name');
  const version = attr('package_version');
  return {
    id: `ecr:${repository}@${digest}:${f.name}${pkg ? `:${pkg}` : ''}`,
    ruleId: `ecr/${f.name}`,
    severity: severityFromLabel(f.severity),
    title: `${f.name}${pkg ? ` in ${pkg}${version ? ` ${version}` : ''}` : ''} (${repository})`,
    resource: `${repository}@${digest}`,
    evidence: clip(f.description) || f.name,
    remediation: `Rebuild the image on a base with the fix${f.uri ? ` (${f.uri})` : ''} and roll it out.`,
    source: 'ecr',
    scope,
  };
}

/** `123.dkr.ecr.us-east-1.amazonaws.com/team/app:1.2` → repository `team/app`, tag `1.2` (ECR images only). */
export function parseEcrImage(
  image: string,
): { registryId?: string; region?: string; repository: string; tag?: string; digest?: string } | undefined {
  const m =
    /^(?:(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/)?([a-z0-9][a-z0-9._/-]*?)(?::([\w.-]+))?(?:@(sha256:[a-f0-9]{64}))?$/.exec(
      image,
    );
  // Another registry (docker.io/…, ghcr.io/…): not ECR, nothing to look up.
  if (!m || (!m[1] && /^[^/]*[.:][^/]*\//.test(image))) return undefined;
  return { registryId: m[1], region: m[2], repository: m[3]!, tag: m[4], digest: m[5] };
}

/**
 * The ECR images among the images running in a cluster (`<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`
 * or `…@sha256:…`): other registries and bare names dropped, a `repo:tag@digest` reference kept by
 * its digest (what runs), de-duplicated and sorted.
 */
export function runningEcrImages(images: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const image of images) {
    const ref = parseEcrImage(image.trim());
    if (!ref?.registryId) continue;
    const host = `${ref.registryId}.dkr.ecr.${ref.region}.amazonaws.com/${ref.repository}`;
    out.add(ref.digest ? `${host}@${ref.digest}` : `${host}:${ref.tag ?? 'latest'}`);
  }
  return [...out].sort();
}

/** The images whose ECR scan findings are read: the configured ones first, then those seen running, each once. */
export function ecrImagesToScan(configured: readonly string[], running: readonly string[]): string[] {
  return [...new Set([...configured, ...running])];
}
