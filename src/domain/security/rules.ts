import { compareReleaseVersions, releaseAgeDays } from './ami';
import type { ClusterInventory } from './inventory';
import { supportPhase, VERSION_TABLE_DATE, VERSION_TABLE_SOURCE } from './k8s-versions';
import { scopeOf, sortFindings, type Finding, type FindingSeverity } from './types';

/** The checks eksflow runs itself; the id prefix of every finding they produce. */
export const RULES = {
  publicEndpoint: 'EKS.PUBLIC_ENDPOINT',
  controlPlaneLogging: 'EKS.CONTROL_PLANE_LOGGING',
  secretsEncryption: 'EKS.SECRETS_ENCRYPTION',
  versionSupport: 'EKS.VERSION_SUPPORT',
  amiOutdated: 'EKS.NODE_AMI_OUTDATED',
  sgOpenIngress: 'EC2.SG_OPEN_INGRESS',
  imdsv1: 'EC2.IMDSV1_ALLOWED',
  publicIp: 'EC2.NODE_PUBLIC_IP',
  ebsUnencrypted: 'EC2.EBS_UNENCRYPTED',
  launchTemplateImdsv1: 'EC2.LAUNCH_TEMPLATE_IMDSV1',
  nodeRoleAdmin: 'IAM.NODE_ROLE_ADMIN',
} as const;

export const REQUIRED_LOG_TYPES = ['api', 'audit', 'authenticator'] as const;
const OPEN_V4 = '0.0.0.0/0';
const OPEN_V6 = '::/0';
export const ADMIN_POLICY_ARN_SUFFIX = ':policy/AdministratorAccess';

export interface RuleOptions {
  /** Scan time (ms since epoch): version support is judged at this instant. */
  atMs: number;
  allowedPublicPorts: number[];
  versionWarningDays: number;
}

type Draft = Omit<Finding, 'id' | 'source' | 'scope'> & { key: string };

function finish(inv: ClusterInventory, drafts: Draft[]): Finding[] {
  const scope = scopeOf({ accountId: inv.accountId, region: inv.region, cluster: inv.cluster.name });
  return drafts.map(({ key, ...d }) => ({ ...d, id: `${d.ruleId}:${key}`, source: 'eksflow' as const, scope }));
}

function eksRules(inv: ClusterInventory, o: RuleOptions): Draft[] {
  const c = inv.cluster;
  const out: Draft[] = [];
  const cidrs = c.publicAccessCidrs.length > 0 ? c.publicAccessCidrs : [OPEN_V4];
  if (c.endpointPublicAccess && (cidrs.includes(OPEN_V4) || cidrs.includes(OPEN_V6))) {
    out.push({
      key: c.arn,
      ruleId: RULES.publicEndpoint,
      severity: 'high',
      resource: c.arn,
      title: 'Cluster API endpoint is public and open to the whole internet',
      evidence: `endpointPublicAccess=true, publicAccessCidrs=[${cidrs.join(', ')}]`,
      remediation: `Restrict the public endpoint to known ranges or turn it off: aws eks update-cluster-config --name ${c.name} --resources-vpc-config endpointPublicAccess=true,publicAccessCidrs=<office/VPN CIDRs> (or endpointPublicAccess=false,endpointPrivateAccess=true).`,
    });
  }
  const missing = REQUIRED_LOG_TYPES.filter((t) => !c.loggingEnabled.includes(t));
  if (missing.length > 0) {
    out.push({
      key: c.arn,
      ruleId: RULES.controlPlaneLogging,
      severity: 'medium',
      resource: c.arn,
      title: `Control-plane logging off for ${missing.join(', ')}`,
      evidence: `enabled log types: [${c.loggingEnabled.join(', ') || 'none'}]; missing: [${missing.join(', ')}]`,
      remediation: `aws eks update-cluster-config --name ${c.name} --logging '{"clusterLogging":[{"types":["api","audit","authenticator"],"enabled":true}]}'`,
    });
  }
  if (!c.encryptedResources.includes('secrets')) {
    out.push({
      key: c.arn,
      ruleId: RULES.secretsEncryption,
      severity: 'medium',
      resource: c.arn,
      title: 'Kubernetes secrets are not envelope-encrypted with a customer KMS key',
      evidence:
        'encryptionConfig has no entry for resources ["secrets"] (EKS 1.28+ applies only its default AWS-owned key)',
      remediation: `aws eks associate-encryption-config --cluster-name ${c.name} --encryption-config '[{"resources":["secrets"],"provider":{"keyArn":"<KMS key ARN>"}}]' (irreversible; the key must stay enabled).`,
    });
  }
  if (c.version) out.push(...versionRule(inv, c.version, o));
  return out;
}

function versionRule(inv: ClusterInventory, version: string, o: RuleOptions): Draft[] {
  const c = inv.cluster;
  const p = supportPhase(version, o.atMs);
  const base = { key: c.arn, ruleId: RULES.versionSupport, resource: c.arn };
  const src = `(support dates: ${VERSION_TABLE_SOURCE}, table of ${VERSION_TABLE_DATE})`;
  const upgrade = `Upgrade one minor version at a time: aws eks update-cluster-version --name ${c.name} --kubernetes-version <next>, then the node groups.`;
  switch (p.phase) {
    case 'unknown':
      return [
        {
          ...base,
          severity: 'informational',
          title: `Kubernetes ${version} is not in eksflow's version table`,
          evidence: `version ${version} not listed ${src}`,
          remediation:
            'Check the EKS release calendar; update the table (src/domain/security/k8s-versions.ts) if the version is newer than the table.',
        },
      ];
    case 'unsupported':
      return [
        {
          ...base,
          severity: 'critical',
          title: `Kubernetes ${version} is past the end of extended support`,
          evidence: `extended support ended ${p.entry.endOfExtendedSupport} (${p.daysSince} days ago); EKS upgrades such clusters itself ${src}`,
          remediation: upgrade,
        },
      ];
    case 'extended':
      return [
        {
          ...base,
          severity: 'high',
          title: `Kubernetes ${version} is past the end of standard support (extended support, extra cost)`,
          evidence: `standard support ended ${p.entry.endOfStandardSupport}; extended support ends ${p.entry.endOfExtendedSupport} (${p.daysLeft} days left) ${src}`,
          remediation: upgrade,
        },
      ];
    case 'standard':
      if (p.daysLeft > o.versionWarningDays) return [];
      return [
        {
          ...base,
          severity: 'low',
          title: `Kubernetes ${version} leaves standard support in ${p.daysLeft} days`,
          evidence: `standard support ends ${p.entry.endOfStandardSupport} ${src}`,
          remediation: upgrade,
        },
      ];
  }
}

function amiRules(inv: ClusterInventory): Draft[] {
  const out: Draft[] = [];
  for (const ng of inv.nodegroups) {
    if (!ng.releaseVersion || !ng.latestReleaseVersion) continue;
    const cmp = compareReleaseVersions(ng.releaseVersion, ng.latestReleaseVersion);
    if (cmp === undefined || cmp >= 0) continue;
    const age = releaseAgeDays(ng.releaseVersion, ng.latestReleaseVersion);
    const resource = ng.arn ?? `${inv.cluster.name}/${ng.name}`;
    out.push({
      key: resource,
      ruleId: RULES.amiOutdated,
      severity: age !== undefined && age > 90 ? 'high' : 'medium',
      resource,
      title: `Node group ${ng.name} runs an AMI release older than the latest`,
      evidence: `releaseVersion ${ng.releaseVersion}; latest ${ng.latestReleaseVersion} (${ng.latestReleaseParameter ?? 'SSM public parameter'})${age !== undefined ? `, ${age} days newer` : ''}`,
      remediation: `aws eks update-nodegroup-version --cluster-name ${inv.cluster.name} --nodegroup-name ${ng.name} (rolls the nodes onto the latest AMI release).`,
    });
  }
  return out;
}

/** Security groups attached to the cluster's nodes that open anything but the allowed ports to the internet. */
function securityGroupRules(inv: ClusterInventory, o: RuleOptions): Draft[] {
  const nodeSgs = new Set(inv.instances.flatMap((i) => i.securityGroupIds));
  const out: Draft[] = [];
  for (const sg of inv.securityGroups) {
    if (!nodeSgs.has(sg.id)) continue;
    for (const rule of sg.ingress) {
      const allTraffic = rule.protocol === '-1' || rule.protocol === 'all';
      const from = allTraffic ? 0 : (rule.fromPort ?? 0);
      const to = allTraffic ? 65535 : (rule.toPort ?? 65535);
      const allowed = !allTraffic && rule.protocol === 'tcp' && from === to && o.allowedPublicPorts.includes(from);
      if (allowed) continue;
      for (const cidr of [...rule.ipv4.filter((c) => c === OPEN_V4), ...rule.ipv6.filter((c) => c === OPEN_V6)]) {
        const ports = allTraffic ? 'all' : `${from}-${to}`;
        const proto = allTraffic ? 'all' : rule.protocol;
        out.push({
          key: `${sg.id}/${proto}/${ports}/${cidr}`,
          ruleId: RULES.sgOpenIngress,
          severity: allTraffic ? 'critical' : 'high',
          resource: sg.id,
          title: `Node security group ${sg.name ?? sg.id} allows ${allTraffic ? 'all traffic' : `${proto} ${from === to ? from : `${from}-${to}`}`} from ${cidr}`,
          evidence: `ingress ${proto} ports ${ports} from ${cidr} on ${sg.id}${sg.name ? ` (${sg.name})` : ''}, attached to cluster nodes; only ${o.allowedPublicPorts.map((p) => `tcp/${p}`).join(', ') || 'nothing'} may be public`,
          remediation: `Remove the rule: aws ec2 revoke-security-group-ingress --group-id ${sg.id} --ip-permissions '${JSON.stringify([{ IpProtocol: allTraffic ? '-1' : proto, ...(allTraffic ? {} : { FromPort: from, ToPort: to }), ...(cidr === OPEN_V6 ? { Ipv6Ranges: [{ CidrIpv6: cidr }] } : { IpRanges: [{ CidrIp: cidr }] }) }])}' and allow only the load balancer or known ranges.`,
        });
      }
    }
  }
  return out;
}

function instanceRules(inv: ClusterInventory): Draft[] {
  const out: Draft[] = [];
  for (const i of inv.instances) {
    if (i.httpEndpoint !== 'disabled' && i.httpTokens !== 'required') {
      out.push({
        key: i.id,
        ruleId: RULES.imdsv1,
        severity: 'high',
        resource: i.id,
        title: `Node ${i.id} allows IMDSv1`,
        evidence: `MetadataOptions.HttpTokens=${i.httpTokens ?? 'unset (optional)'}${i.nodegroup ? ` (node group ${i.nodegroup})` : ''}`,
        remediation: `aws ec2 modify-instance-metadata-options --instance-id ${i.id} --http-tokens required --http-put-response-hop-limit 2; fix the launch template so new nodes start that way.`,
      });
    }
    if (i.publicIp) {
      out.push({
        key: i.id,
        ruleId: RULES.publicIp,
        severity: 'medium',
        resource: i.id,
        title: `Node ${i.id} has a public IP address`,
        evidence: `PublicIpAddress=${i.publicIp}${i.nodegroup ? ` (node group ${i.nodegroup})` : ''}`,
        remediation:
          'Run nodes in private subnets (MapPublicIpOnLaunch=false, AssociatePublicIpAddress=false in the launch template) and reach the internet through a NAT gateway.',
      });
    }
  }
  const nodeIds = new Set(inv.instances.map((i) => i.id));
  for (const v of inv.volumes) {
    const attached = v.instanceIds.filter((id) => nodeIds.has(id));
    if (v.encrypted || attached.length === 0) continue;
    out.push({
      key: v.id,
      ruleId: RULES.ebsUnencrypted,
      severity: 'medium',
      resource: v.id,
      title: `Unencrypted EBS volume ${v.id} attached to a node`,
      evidence: `Encrypted=false; attached to ${attached.join(', ')}${v.sizeGiB !== undefined ? `; ${v.sizeGiB} GiB` : ''}`,
      remediation:
        'Turn on EBS encryption by default (aws ec2 enable-ebs-encryption-by-default) and roll the nodes; for data volumes, snapshot, copy encrypted and restore.',
    });
  }
  for (const lt of inv.launchTemplates) {
    if (lt.httpEndpoint === 'disabled' || lt.httpTokens === 'required') continue;
    out.push({
      key: lt.id,
      ruleId: RULES.launchTemplateImdsv1,
      severity: 'medium',
      resource: lt.id,
      title: `Launch template ${lt.name ?? lt.id} does not require IMDSv2`,
      evidence: `version ${lt.version}: MetadataOptions.HttpTokens=${lt.httpTokens ?? 'unset (optional)'}`,
      remediation: `Create a new version with MetadataOptions {HttpTokens: required, HttpPutResponseHopLimit: 2} (aws ec2 create-launch-template-version --launch-template-id ${lt.id} …) and make it the node group's version.`,
    });
  }
  return out;
}

/** True when a policy document allows every action on every resource (`*` or `*:*` on `*`). */
export function grantsEverything(document: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(document);
  } catch {
    return false;
  }
  const statements = (doc as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  const asArray = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  return list.some((s) => {
    const st = s as { Effect?: string; Action?: unknown; Resource?: unknown; NotAction?: unknown };
    if (st.Effect !== 'Allow' || st.NotAction !== undefined) return false;
    return asArray(st.Action).some((a) => a === '*' || a === '*:*') && asArray(st.Resource).includes('*');
  });
}

function iamRules(inv: ClusterInventory): Draft[] {
  const out: Draft[] = [];
  for (const role of inv.nodeRoles) {
    const reasons = [
      ...role.attachedPolicies
        .filter((p) => p.arn.endsWith(ADMIN_POLICY_ARN_SUFFIX))
        .map((p) => `managed policy ${p.arn} attached`),
      ...role.attachedPolicies
        .filter((p) => !p.arn.endsWith(ADMIN_POLICY_ARN_SUFFIX) && p.document && grantsEverything(p.document))
        .map((p) => `managed policy ${p.name} allows *:* on *`),
      ...role.inlinePolicies
        .filter((p) => grantsEverything(p.document))
        .map((p) => `inline policy ${p.name} allows *:* on *`),
    ];
    if (reasons.length === 0) continue;
    out.push({
      key: role.arn,
      ruleId: RULES.nodeRoleAdmin,
      severity: 'critical',
      resource: role.arn,
      title: `Node role ${role.name} has administrator access`,
      evidence: reasons.join('; '),
      remediation: `Every pod that can reach the instance metadata gets these rights. Detach them (aws iam detach-role-policy --role-name ${role.name} --policy-arn …) and keep only AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryReadOnly and AmazonEKS_CNI_Policy (better: IRSA / Pod Identity for the CNI).`,
    });
  }
  return out;
}

/** Every eksflow check over one cluster's inventory, sorted by severity then id. */
export function evaluateCluster(inv: ClusterInventory, o: RuleOptions): Finding[] {
  const drafts = [
    ...eksRules(inv, o),
    ...amiRules(inv),
    ...securityGroupRules(inv, o),
    ...instanceRules(inv),
    ...iamRules(inv),
  ];
  return sortFindings(finish(inv, drafts));
}

export type { FindingSeverity };
