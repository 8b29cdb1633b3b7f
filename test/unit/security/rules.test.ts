import {
  compareReleaseVersions,
  parseReleaseVersion,
  releaseAgeDays,
  releaseParameterName,
} from '../../../src/domain/security/ami';
import { supportPhase, tableAgeDays, EKS_VERSIONS } from '../../../src/domain/security/k8s-versions';
import { evaluateCluster, grantsEverything, RULES } from '../../../src/domain/security/rules';
import { AT, cleanInventory } from './fixtures';

const opts = { atMs: AT, allowedPublicPorts: [443], versionWarningDays: 60 };
const ids = (inv = cleanInventory(), o = opts) => evaluateCluster(inv, o).map((f) => f.id);

describe('security rules', () => {
  it('a clean cluster has no findings (node-only SGs, volumes and the allowed public 443 are not findings)', () => {
    expect(evaluateCluster(cleanInventory(), opts)).toEqual([]);
  });

  it('public endpoint open to 0.0.0.0/0 (also when EKS reports no CIDRs: its default is 0.0.0.0/0); a restricted or private endpoint is fine', () => {
    const inv = cleanInventory();
    inv.cluster.publicAccessCidrs = ['0.0.0.0/0'];
    const [f] = evaluateCluster(inv, opts);
    expect(f).toEqual({
      id: 'EKS.PUBLIC_ENDPOINT:arn:aws:eks:ap-south-1:111111111111:cluster/prod',
      ruleId: RULES.publicEndpoint,
      severity: 'high',
      title: 'Cluster API endpoint is public and open to the whole internet',
      resource: 'arn:aws:eks:ap-south-1:111111111111:cluster/prod',
      evidence: 'endpointPublicAccess=true, publicAccessCidrs=[0.0.0.0/0]',
      remediation: expect.stringContaining('aws eks update-cluster-config --name prod'),
      source: 'eksflow',
      scope: '111111111111/ap-south-1/prod',
    });
    inv.cluster.publicAccessCidrs = [];
    expect(ids(inv)).toEqual(['EKS.PUBLIC_ENDPOINT:arn:aws:eks:ap-south-1:111111111111:cluster/prod']);
    inv.cluster.endpointPublicAccess = false;
    expect(ids(inv)).toEqual([]);
  });

  it('control-plane logging: api, audit and authenticator are required; the evidence names the missing ones', () => {
    const inv = cleanInventory();
    inv.cluster.loggingEnabled = ['api', 'scheduler'];
    const [f] = evaluateCluster(inv, opts);
    expect(f).toMatchObject({
      ruleId: RULES.controlPlaneLogging,
      severity: 'medium',
      title: 'Control-plane logging off for audit, authenticator',
      evidence: 'enabled log types: [api, scheduler]; missing: [audit, authenticator]',
    });
    inv.cluster.loggingEnabled = [];
    expect(evaluateCluster(inv, opts)[0]!.evidence).toBe(
      'enabled log types: [none]; missing: [api, audit, authenticator]',
    );
  });

  it('secrets encryption: missing encryptionConfig for secrets is a finding', () => {
    const inv = cleanInventory();
    inv.cluster.encryptedResources = [];
    expect(evaluateCluster(inv, opts).map((f) => [f.ruleId, f.severity])).toEqual([
      [RULES.secretsEncryption, 'medium'],
    ]);
  });

  it.each([
    ['1.35', []],
    ['1.34', [['low', 'Kubernetes 1.34 leaves standard support in 2 days']]],
    ['1.33', [['high', 'Kubernetes 1.33 is past the end of standard support (extended support, extra cost)']]],
    ['1.31', [['critical', 'Kubernetes 1.31 is past the end of extended support']]],
    ['1.27', [['critical', 'Kubernetes 1.27 is past the end of extended support']]],
    ['1.99', [['informational', "Kubernetes 1.99 is not in eksflow's version table"]]],
  ])('version %s on 1 Dec 2026 IST', (version, expected) => {
    const inv = cleanInventory();
    inv.cluster.version = version;
    expect(evaluateCluster(inv, opts).map((f) => [f.severity, f.title])).toEqual(expected);
  });

  it('version support boundaries: the end date is the last day of support (UTC)', () => {
    const d = (s: string) => Date.parse(s);
    expect(supportPhase('1.32', d('2026-03-23T23:59:59Z'))).toMatchObject({ phase: 'standard', daysLeft: 0 });
    expect(supportPhase('1.32', d('2026-03-24T00:00:00Z'))).toMatchObject({ phase: 'extended', daysLeft: 365 });
    expect(supportPhase('v1.32.4', d('2027-03-24T00:00:00Z'))).toMatchObject({ phase: 'unsupported', daysSince: 0 });
    expect(supportPhase('1.36', d('2026-01-01T00:00:00Z'))).toEqual({ phase: 'unknown' });
    expect(supportPhase('garbage', 0)).toEqual({ phase: 'unknown' });
    // 14 months of standard and 12 of extended support for every entry, within a few days.
    for (const e of EKS_VERSIONS) {
      const std = (Date.parse(e.endOfStandardSupport) - Date.parse(e.released)) / 86_400_000;
      const ext = (Date.parse(e.endOfExtendedSupport) - Date.parse(e.endOfStandardSupport)) / 86_400_000;
      expect(std).toBeGreaterThan(395);
      expect(std).toBeLessThan(445);
      expect(ext).toBeGreaterThanOrEqual(365);
      expect(ext).toBeLessThanOrEqual(366);
    }
    expect(tableAgeDays(d('2026-02-16T00:00:00Z'))).toBe(1);
  });

  it('warning window for standard support is configurable', () => {
    const inv = cleanInventory();
    inv.cluster.version = '1.34';
    expect(ids(inv, { ...opts, versionWarningDays: 1 })).toEqual([]);
  });

  it('AMI release: older build date → medium, more than 90 days behind → high; same or newer, or no latest known → nothing', () => {
    const inv = cleanInventory();
    const ng = inv.nodegroups[0]!;
    ng.releaseVersion = '1.35.0-20261001';
    expect(evaluateCluster(inv, opts).map((f) => [f.id, f.severity, f.evidence])).toEqual([
      [
        'EKS.NODE_AMI_OUTDATED:arn:ng/web',
        'medium',
        'releaseVersion 1.35.0-20261001; latest 1.35.0-20261101 (SSM public parameter), 31 days newer',
      ],
    ]);
    ng.releaseVersion = '1.35.0-20260701';
    ng.latestReleaseParameter =
      '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/release_version';
    expect(evaluateCluster(inv, opts)[0]).toMatchObject({
      severity: 'high',
      evidence: expect.stringContaining('(/aws/service/eks/optimized-ami/1.35/'),
    });
    ng.releaseVersion = '1.35.1-20261101';
    expect(ids(inv)).toEqual([]);
    ng.releaseVersion = '1.35.0-20260701';
    ng.latestReleaseVersion = undefined;
    expect(ids(inv)).toEqual([]);
  });

  it('release version parsing and comparison', () => {
    expect(parseReleaseVersion('1.31.2-20241109')).toEqual({ k8s: [1, 31, 2], date: '20241109' });
    expect(parseReleaseVersion('ami-123')).toBeUndefined();
    expect(compareReleaseVersions('1.31.2-20241109', '1.31.2-20241109')).toBe(0);
    expect(compareReleaseVersions('1.31.2-20241109', '1.31.3-20241109')).toBeLessThan(0);
    expect(compareReleaseVersions('1.31.9-20241109', '1.31.2-20241201')).toBeLessThan(0);
    expect(compareReleaseVersions('x', '1.31.2-20241201')).toBeUndefined();
    expect(releaseAgeDays('1.31.2-20241109', '1.31.2-20250109')).toBe(61);
    expect(
      releaseParameterName(
        '/aws/service/eks/optimized-ami/{version}/{amiFamily}/recommended/release_version',
        '1.31',
        'AL2_x86_64',
      ),
    ).toBe('/aws/service/eks/optimized-ami/1.31/amazon-linux-2/recommended/release_version');
    expect(releaseParameterName('/p/{version}/{amiFamily}', '1.31', undefined)).toBe(
      '/p/1.31/amazon-linux-2023/x86_64/standard',
    );
    expect(releaseParameterName('/p/{version}/{amiFamily}', '1.31', 'CUSTOM')).toBeUndefined();
  });

  it('security groups: one finding per open rule and CIDR on node SGs; all traffic is critical, 22 high; 443 allowed; private CIDRs ignored', () => {
    const inv = cleanInventory();
    inv.securityGroups[0]!.ingress.push(
      { protocol: 'tcp', fromPort: 22, toPort: 22, ipv4: ['0.0.0.0/0', '10.1.0.0/16'], ipv6: ['::/0'] },
      { protocol: '-1', ipv4: ['0.0.0.0/0'], ipv6: [] },
      { protocol: 'tcp', fromPort: 443, toPort: 444, ipv4: ['0.0.0.0/0'], ipv6: [] },
      { protocol: 'udp', fromPort: 443, toPort: 443, ipv4: ['0.0.0.0/0'], ipv6: [] },
    );
    const found = evaluateCluster(inv, opts);
    expect(found.map((f) => [f.severity, f.id])).toEqual([
      ['critical', 'EC2.SG_OPEN_INGRESS:sg-node/all/all/0.0.0.0/0'],
      ['high', 'EC2.SG_OPEN_INGRESS:sg-node/tcp/22-22/0.0.0.0/0'],
      ['high', 'EC2.SG_OPEN_INGRESS:sg-node/tcp/22-22/::/0'],
      ['high', 'EC2.SG_OPEN_INGRESS:sg-node/tcp/443-444/0.0.0.0/0'],
      ['high', 'EC2.SG_OPEN_INGRESS:sg-node/udp/443-443/0.0.0.0/0'],
    ]);
    expect(found[1]!.title).toBe('Node security group nodes allows tcp 22 from 0.0.0.0/0');
    expect(found[1]!.evidence).toBe(
      'ingress tcp ports 22-22 from 0.0.0.0/0 on sg-node (nodes), attached to cluster nodes; only tcp/443 may be public',
    );
    expect(found[2]!.remediation).toContain('"Ipv6Ranges":[{"CidrIpv6":"::/0"}]');
    // The allowed list is configuration: with none allowed, 443 is a finding too.
    expect(ids(cleanInventory(), { ...opts, allowedPublicPorts: [] })).toEqual([
      'EC2.SG_OPEN_INGRESS:sg-node/tcp/443-443/0.0.0.0/0',
      'EC2.SG_OPEN_INGRESS:sg-node/tcp/443-443/::/0',
    ]);
  });

  it('instances: IMDSv1 (optional or unset tokens) is high unless the endpoint is disabled; a public IP is medium', () => {
    const inv = cleanInventory();
    inv.instances.push(
      { id: 'i-2', httpTokens: 'optional', publicIp: '54.1.2.3', securityGroupIds: [] },
      { id: 'i-3', securityGroupIds: [] },
      { id: 'i-4', httpTokens: 'optional', httpEndpoint: 'disabled', securityGroupIds: [] },
    );
    expect(evaluateCluster(inv, opts).map((f) => [f.severity, f.id, f.evidence])).toEqual([
      ['high', 'EC2.IMDSV1_ALLOWED:i-2', 'MetadataOptions.HttpTokens=optional'],
      ['high', 'EC2.IMDSV1_ALLOWED:i-3', 'MetadataOptions.HttpTokens=unset (optional)'],
      ['medium', 'EC2.NODE_PUBLIC_IP:i-2', 'PublicIpAddress=54.1.2.3'],
    ]);
  });

  it('unencrypted volumes count only when attached to a node; launch templates without IMDSv2', () => {
    const inv = cleanInventory();
    inv.volumes.push({ id: 'vol-2', encrypted: false, instanceIds: ['i-1'], sizeGiB: 100 });
    inv.launchTemplates.push(
      { id: 'lt-2', name: 'batch', version: 3, httpTokens: 'optional' },
      { id: 'lt-3', version: 1 },
    );
    expect(evaluateCluster(inv, opts).map((f) => [f.id, f.evidence])).toEqual([
      ['EC2.EBS_UNENCRYPTED:vol-2', 'Encrypted=false; attached to i-1; 100 GiB'],
      ['EC2.LAUNCH_TEMPLATE_IMDSV1:lt-2', 'version 3: MetadataOptions.HttpTokens=optional'],
      ['EC2.LAUNCH_TEMPLATE_IMDSV1:lt-3', 'version 1: MetadataOptions.HttpTokens=unset (optional)'],
    ]);
  });

  it('node role: AdministratorAccess attached, or a policy allowing * / *:* on * (inline or managed), is critical', () => {
    const inv = cleanInventory();
    const role = inv.nodeRoles[0]!;
    role.attachedPolicies.push({ name: 'AdministratorAccess', arn: 'arn:aws:iam::aws:policy/AdministratorAccess' });
    role.inlinePolicies.push({
      name: 'oops',
      document: JSON.stringify({ Statement: { Effect: 'Allow', Action: ['s3:GetObject', '*:*'], Resource: ['*'] } }),
    });
    const [f, ...rest] = evaluateCluster(inv, opts);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      id: 'IAM.NODE_ROLE_ADMIN:arn:aws:iam::111111111111:role/node',
      severity: 'critical',
      evidence:
        'managed policy arn:aws:iam::aws:policy/AdministratorAccess attached; inline policy oops allows *:* on *',
    });
  });

  it('grantsEverything reads the policy grammar: Deny, NotAction, narrower resources and bad JSON grant nothing', () => {
    const doc = (s: unknown) => JSON.stringify({ Version: '2012-10-17', Statement: s });
    expect(grantsEverything(doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]))).toBe(true);
    expect(grantsEverything(doc({ Effect: 'Allow', Action: ['*:*'], Resource: '*' }))).toBe(true);
    expect(grantsEverything(doc([{ Effect: 'Deny', Action: '*', Resource: '*' }]))).toBe(false);
    expect(grantsEverything(doc([{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/*' }]))).toBe(false);
    expect(grantsEverything(doc([{ Effect: 'Allow', NotAction: 'iam:*', Action: '*', Resource: '*' }]))).toBe(false);
    expect(grantsEverything(doc([{ Effect: 'Allow', Action: 's3:*', Resource: '*' }]))).toBe(false);
    expect(grantsEverything('{not json')).toBe(false);
  });

  it('ids are stable: the same inventory gives the same ids, and findings sort by severity then id', () => {
    const inv = cleanInventory();
    inv.cluster.publicAccessCidrs = ['0.0.0.0/0'];
    inv.cluster.version = '1.27';
    inv.instances[0]!.httpTokens = 'optional';
    const a = evaluateCluster(inv, opts);
    expect(evaluateCluster(JSON.parse(JSON.stringify(inv)), opts)).toEqual(a);
    expect(a.map((f) => f.severity)).toEqual(['critical', 'high', 'high']);
  });
});
