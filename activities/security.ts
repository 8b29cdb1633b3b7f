import { existsSync, readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Cluster, Nodegroup } from '@aws-sdk/client-eks';
import type { Instance } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { ec2SecurityGateway } from './gateways/ec2-security';
import { ecrGateway } from './gateways/ecr';
import { eksClusterGateway } from './gateways/eks-cluster';
import { iamGateway, instanceProfileRoles } from './gateways/iam';
import { inspectorGateway } from './gateways/inspector';
import { securityHubGateway } from './gateways/securityhub';
import { ssmGateway } from './gateways/ssm';
import { kubernetesGateways } from './kubernetes';
import type { AwsTarget } from '../src/config/clusters';
import { ValidationError } from '../src/errors';
import { releaseParameterName } from '../src/domain/security/ami';
import {
  ecrImagesToScan,
  fromEcr,
  fromInspector2,
  fromSecurityHub,
  parseEcrImage,
  runningEcrImages,
} from '../src/domain/security/external';
import type { ClusterInventory } from '../src/domain/security/inventory';
import { evaluateCluster } from '../src/domain/security/rules';
import { buildScanReport, type SecurityScanReport } from '../src/domain/security/scan';
import { scopeOf, type Finding } from '../src/domain/security/types';
import { writeSecurityReport } from '../src/report/security';

export interface ScanTarget extends AwsTarget {
  cluster: string;
}

export interface ClusterScanResult {
  scope: string;
  findings: Finding[];
  problems: string[];
  counts: {
    nodegroups: number;
    instances: number;
    securityGroups: number;
    volumes: number;
    launchTemplates: number;
    roles: number;
  };
}

export interface SecurityReportInput {
  scanId: string;
  /** Scopes read completely (a cluster whose scan failed is left out: its old findings are not "resolved"). */
  scopes: string[];
  findings: Finding[];
  problems: string[];
}

export interface SecurityScanSummary {
  scanId: string;
  generatedAt: string;
  htmlPath: string;
  jsonPath: string;
  counts: SecurityScanReport['counts'];
  totalActive: number;
  newFindings: Finding[];
  resolved: number;
  suppressed: number;
  expiredSuppressions: number;
  problems: string[];
  headline: string;
}

const targetSchema = z
  .object({
    accountId: z.string().regex(/^\d{12}$/),
    region: z.string().min(1),
    roleArn: z.string().optional(),
    cluster: z.string().min(1),
  })
  .strict();
const targetsInputSchema = z.object({ clusters: z.array(z.string().min(1)).optional() }).strict();

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const res = schema.safeParse(input ?? {});
  if (!res.success) throw new ValidationError(`${what}: ${z.prettifyError(res.error)}`);
  return res.data;
}

const errText = (err: unknown) =>
  `${(err as { name?: string }).name ?? 'Error'}: ${(err as Error).message ?? String(err)}`;
const LATEST = 'security-latest.json';
const PREVIOUS = 'security-previous.json';

/** Reads what the scan needs about one cluster, through the gateways. Problems are collected, not thrown, for optional parts. */
async function gatherInventory(deps: ActivityDeps, t: ScanTarget, problems: string[]): Promise<ClusterInventory> {
  const eks = eksClusterGateway(deps.aws, t);
  const ec2 = ec2SecurityGateway(deps.aws, t);
  const cluster: Cluster = await eks.describeCluster(t.cluster);
  const nodegroups: Nodegroup[] = await eks.listNodegroups(t.cluster);
  const instances: Instance[] = await ec2.clusterNodes(t.cluster);
  const vpc = cluster.resourcesVpcConfig;
  const tag = (i: Instance, k: string) => i.Tags?.find((x) => x.Key === k)?.Value;

  // Latest AMI release per (Kubernetes version, AMI type), from the SSM public parameter.
  const ssm = ssmGateway(deps.aws, t);
  const latest = new Map<string, string | undefined>();
  const ngs: ClusterInventory['nodegroups'] = [];
  for (const ng of nodegroups) {
    const k8s = ng.version ?? cluster.version;
    const name = k8s ? releaseParameterName(deps.config.security.amiReleaseParameter, k8s, ng.amiType) : undefined;
    if (name && !latest.has(name)) {
      const p = await ssm.get(name);
      latest.set(name, p?.Value);
      if (!p)
        problems.push(
          `AMI release parameter ${name} not found in ${t.accountId}/${t.region}: node group AMI age not checked`,
        );
    }
    ngs.push({
      name: ng.nodegroupName ?? '?',
      arn: ng.nodegroupArn,
      releaseVersion: ng.releaseVersion,
      kubernetesVersion: k8s,
      amiType: ng.amiType,
      latestReleaseVersion: name ? latest.get(name) : undefined,
      latestReleaseParameter: name,
      nodeRoleArn: ng.nodeRole,
    });
  }

  const sgIds = instances.flatMap((i) => (i.SecurityGroups ?? []).map((g) => g.GroupId!).filter(Boolean));
  const securityGroups = await ec2.securityGroups(sgIds);
  const volumes = await ec2.volumesAttachedTo(instances.map((i) => i.InstanceId!));

  // Launch templates: the node groups' own plus those the instances were launched from.
  const ltRefs = new Map<string, string | undefined>();
  for (const ng of nodegroups) if (ng.launchTemplate?.id) ltRefs.set(ng.launchTemplate.id, ng.launchTemplate.version);
  for (const i of instances) {
    const id = tag(i, 'aws:ec2launchtemplate:id');
    if (id && !ltRefs.has(id)) ltRefs.set(id, tag(i, 'aws:ec2launchtemplate:version'));
  }
  const launchTemplates: ClusterInventory['launchTemplates'] = [];
  for (const [id, version] of ltRefs) {
    const v = await ec2.launchTemplateVersion(id, version);
    if (!v) continue;
    launchTemplates.push({
      id,
      name: v.LaunchTemplateName,
      version: v.VersionNumber ?? 0,
      httpTokens: v.LaunchTemplateData?.MetadataOptions?.HttpTokens,
      httpEndpoint: v.LaunchTemplateData?.MetadataOptions?.HttpEndpoint,
    });
  }

  // Node roles: the managed node groups' roles and the instance profiles' roles (self-managed nodes).
  const roleArns = new Set(nodegroups.map((n) => n.nodeRole).filter((x): x is string => !!x));
  for (const profile of new Set(instances.map((i) => i.IamInstanceProfile?.Arn).filter((x): x is string => !!x))) {
    try {
      for (const arn of await instanceProfileRoles(deps.aws, t, profile)) roleArns.add(arn);
    } catch (err) {
      problems.push(`instance profile ${profile}: ${errText(err)}`);
    }
  }
  const iam = iamGateway(deps.aws, t);
  const nodeRoles: ClusterInventory['nodeRoles'] = [];
  for (const arn of roleArns) {
    const name = arn.split('/').pop()!;
    try {
      const attached = await iam.attachedPolicies(name);
      const withDocs = [];
      for (const p of attached) {
        // AWS managed policies are known by ARN; customer managed ones are read.
        const awsManaged = /^arn:aws[\w-]*:iam::aws:policy\//.test(p.arn);
        withDocs.push({ ...p, document: awsManaged ? undefined : await iam.policyDocument(p.arn) });
      }
      nodeRoles.push({ arn, name, attachedPolicies: withDocs, inlinePolicies: await iam.inlinePolicies(name) });
    } catch (err) {
      if (
        (err as { name?: string }).name === 'NoSuchEntityException' ||
        (err as { name?: string }).name === 'NoSuchEntity'
      )
        problems.push(`node role ${arn} not found in IAM`);
      else throw err;
    }
  }

  return {
    accountId: t.accountId,
    region: t.region,
    cluster: {
      name: t.cluster,
      arn: cluster.arn ?? `arn:aws:eks:${t.region}:${t.accountId}:cluster/${t.cluster}`,
      version: cluster.version,
      // EKS's defaults (public endpoint, open to 0.0.0.0/0) when the API leaves them out.
      endpointPublicAccess: vpc?.endpointPublicAccess ?? true,
      publicAccessCidrs: vpc?.publicAccessCidrs ?? [],
      loggingEnabled: (cluster.logging?.clusterLogging ?? []).filter((l) => l.enabled).flatMap((l) => l.types ?? []),
      encryptedResources: (cluster.encryptionConfig ?? []).flatMap((e) => e.resources ?? []),
      encryptionKeyArn: cluster.encryptionConfig?.[0]?.provider?.keyArn,
    },
    nodegroups: ngs,
    instances: instances.map((i) => ({
      id: i.InstanceId!,
      nodegroup: tag(i, 'eks:nodegroup-name'),
      httpTokens: i.MetadataOptions?.HttpTokens,
      httpEndpoint: i.MetadataOptions?.HttpEndpoint,
      publicIp: i.PublicIpAddress,
      securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId!).filter(Boolean),
    })),
    securityGroups: securityGroups.map((g) => ({
      id: g.GroupId!,
      name: g.GroupName,
      ingress: (g.IpPermissions ?? []).map((p) => ({
        protocol: p.IpProtocol ?? '-1',
        fromPort: p.FromPort,
        toPort: p.ToPort,
        ipv4: (p.IpRanges ?? []).map((r) => r.CidrIp!).filter(Boolean),
        ipv6: (p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6!).filter(Boolean),
      })),
    })),
    volumes: volumes.map((v) => ({
      id: v.VolumeId!,
      encrypted: v.Encrypted === true,
      instanceIds: (v.Attachments ?? []).map((a) => a.InstanceId!).filter(Boolean),
      sizeGiB: v.Size,
    })),
    launchTemplates,
    nodeRoles,
  };
}

/** The ECR images the cluster's pods run (containers and init containers), when Kubernetes access is configured. */
async function runningImages(deps: ActivityDeps, t: ScanTarget, problems: string[]): Promise<string[]> {
  const c = deps.config.clusters.find(
    (x) => x.name === t.cluster && x.accountId === t.accountId && x.region === t.region,
  );
  if (!c?.kubernetes) return [];
  try {
    const pods = await (await kubernetesGateways(deps).forCluster(c)).listPods();
    return runningEcrImages(
      pods.flatMap((p) => [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].map((x) => x.image ?? '')),
    );
  } catch (err) {
    problems.push(`ecr: running images of ${t.cluster} not listed (LIST pods): ${errText(err)}`);
    return [];
  }
}

/** Findings AWS services already hold for the cluster's resources, when enabled in config. */
async function serviceFindings(
  deps: ActivityDeps,
  t: ScanTarget,
  inv: ClusterInventory,
  problems: string[],
): Promise<Finding[]> {
  const sources = deps.config.security.sources;
  const scope = scopeOf({ ...t, cluster: t.cluster });
  const out: Finding[] = [];
  const instanceIds = inv.instances.map((i) => i.id);
  if (sources.inspector2) {
    try {
      for (const f of await inspectorGateway(deps.aws, t).activeFindingsFor([...instanceIds])) {
        const x = fromInspector2(f, scope);
        if (x) out.push(x);
      }
    } catch (err) {
      problems.push(`inspector2 (ListFindings in ${t.accountId}/${t.region}): ${errText(err)}`);
    }
  }
  if (sources.securityHub) {
    const arns = [
      inv.cluster.arn,
      ...instanceIds.map((id) => `arn:aws:ec2:${t.region}:${t.accountId}:instance/${id}`),
      ...inv.securityGroups.map((g) => `arn:aws:ec2:${t.region}:${t.accountId}:security-group/${g.id}`),
    ];
    try {
      for (const f of await securityHubGateway(deps.aws, t).activeFindingsFor(arns)) {
        const x = fromSecurityHub(f, scope);
        if (x) out.push(x);
      }
    } catch (err) {
      problems.push(`securityhub (GetFindings in ${t.accountId}/${t.region}): ${errText(err)}`);
    }
  }
  if (sources.ecr) {
    const ecr = ecrGateway(deps.aws, t);
    for (const image of ecrImagesToScan(deps.config.security.ecrImages, await runningImages(deps, t, problems))) {
      const ref = parseEcrImage(image);
      if (!ref || (ref.region && ref.region !== t.region)) continue;
      try {
        const scan = await ecr.scanFindings(
          ref.repository,
          ref.digest ? { imageDigest: ref.digest } : { imageTag: ref.tag ?? 'latest' },
          ref.registryId,
        );
        if (!scan) {
          problems.push(`ecr: no scan results for ${image} in ${t.accountId}/${t.region}`);
          continue;
        }
        for (const f of scan.findings) {
          const x = fromEcr(scan.repository, scan.digest, f, scope);
          if (x) out.push(x);
        }
      } catch (err) {
        problems.push(`ecr (DescribeImageScanFindings ${image}): ${errText(err)}`);
      }
    }
  }
  return out;
}

/** The 03:00 security scan: read each cluster, evaluate the rules, merge AWS services' findings, write the report. */
export function createSecurityActivities(deps: ActivityDeps) {
  async function securityScanTargets(input: { clusters?: string[] } = {}): Promise<ScanTarget[]> {
    const args = parse(targetsInputSchema, input, 'securityScanTargets');
    const all = deps.config.clusters.map((c) => ({
      accountId: c.accountId,
      region: c.region,
      ...(c.roleArn ? { roleArn: c.roleArn } : {}),
      cluster: c.name,
    }));
    if (!args.clusters) return all;
    const unknown = args.clusters.filter((n) => !all.some((t) => t.cluster === n));
    if (unknown.length)
      throw new ValidationError(
        `unknown cluster(s) ${unknown.join(', ')} (configured: ${all.map((t) => t.cluster).join(', ')})`,
      );
    return all.filter((t) => args.clusters!.includes(t.cluster));
  }

  async function scanClusterSecurity(input: ScanTarget): Promise<ClusterScanResult> {
    const t = parse(targetSchema, input, 'scanClusterSecurity');
    const problems: string[] = [];
    const inv = await gatherInventory(deps, t, problems);
    const findings = [
      ...evaluateCluster(inv, {
        atMs: deps.now().getTime(),
        allowedPublicPorts: deps.config.security.allowedPublicPorts,
        versionWarningDays: deps.config.security.versionWarningDays,
      }),
      ...(await serviceFindings(deps, t, inv, problems)),
    ];
    return {
      scope: scopeOf(t),
      findings,
      problems,
      counts: {
        nodegroups: inv.nodegroups.length,
        instances: inv.instances.length,
        securityGroups: inv.securityGroups.length,
        volumes: inv.volumes.length,
        launchTemplates: inv.launchTemplates.length,
        roles: inv.nodeRoles.length,
      },
    };
  }

  function readReport(name: string): SecurityScanReport | undefined {
    const p = join(resolve(deps.reportsDir), name);
    if (!existsSync(p)) return undefined;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as SecurityScanReport;
    } catch {
      return undefined;
    }
  }

  /**
   * The scan to diff against: the latest report, unless the latest is this very scan (the activity
   * is being retried after writing), then the one before it.
   */
  async function previousReport(scanId: string): Promise<SecurityScanReport | undefined> {
    const latest = readReport(LATEST);
    if (latest?.scanId === scanId) return readReport(PREVIOUS);
    if (latest) await copyFile(join(resolve(deps.reportsDir), LATEST), join(resolve(deps.reportsDir), PREVIOUS));
    return latest;
  }

  async function writeSecurityScanReport(input: SecurityReportInput): Promise<SecurityScanSummary> {
    const generatedAt = deps.now().toISOString();
    const previous = await previousReport(input.scanId);
    const { report, diff } = buildScanReport({
      scanId: input.scanId,
      generatedAt,
      scopes: input.scopes,
      findings: input.findings,
      problems: input.problems,
      suppressions: deps.config.security.suppress,
      previous,
    });
    const written = await writeSecurityReport(deps.reportsDir, report);
    await copyFile(written.jsonPath, join(resolve(deps.reportsDir), LATEST));
    const active = report.findings.length;
    return {
      scanId: report.scanId,
      generatedAt,
      htmlPath: written.htmlPath,
      jsonPath: written.jsonPath,
      counts: report.counts,
      totalActive: active,
      newFindings: diff.new,
      resolved: diff.resolved.length,
      suppressed: report.suppressed.length,
      expiredSuppressions: report.expiredSuppressions.length,
      problems: report.problems,
      headline: `${active} open finding(s) (${report.counts.critical} critical, ${report.counts.high} high); ${diff.new.length} new, ${diff.resolved.length} resolved, ${report.suppressed.length} suppressed`,
    };
  }

  return { securityScanTargets, scanClusterSecurity, writeSecurityScanReport };
}
