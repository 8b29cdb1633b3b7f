import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { CreateRepositoryCommand, PutImageCommand, StartImageScanCommand } from '@aws-sdk/client-ecr';
import { BatchImportFindingsCommand } from '@aws-sdk/client-securityhub';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { readFileSync } from 'node:fs';
import { createSecurityActivities } from '../../activities/security';
import { securitySchema } from '../../src/config/security';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import {
  SANDBOX_LATEST_RELEASE,
  SANDBOX_NODE_RELEASE,
  sandboxAmiParameterTemplate,
  seedCluster,
  seedSecurityFindings,
} from '../../src/sandbox/seed';
import type { Finding } from '../../src/domain/security/types';
import { testActivityDeps, testAwsFactory, testConfig, uniqueName } from '../support/stack';

/**
 * The security scan's activities against moto with the real AWS SDK: a seeded cluster with known
 * problems is read through the gateways and checked. Pinned clock: 2026-12-01 03:00 IST.
 */
describe('security scan against moto', () => {
  const aws = testAwsFactory();
  const account = '777777777777';
  const region = 'ap-south-1';
  const name = uniqueName('sec');
  const repo = `${name}/app`;
  const amiTemplate = sandboxAmiParameterTemplate(securitySchema.parse({}).amiReleaseParameter);
  const config = testConfig({
    clusters: [
      {
        name,
        accountId: account,
        region,
        roleArn: `arn:aws:iam::${account}:role/eksflow-automation`,
        nodegroups: [
          {
            name: 'web',
            instanceTypes: ['m5.large'],
            businessHours: { min: 2, desired: 2, max: 4 },
            offHours: { min: 2, desired: 2, max: 4 },
          },
        ],
      },
    ],
    security: {
      amiReleaseParameter: amiTemplate,
      sources: { inspector2: true, securityHub: true, ecr: true },
      ecrImages: [`${repo}:1.0`],
    },
  });
  const cluster = config.clusters[0]!;
  const target = { accountId: account, region, roleArn: cluster.roleArn, cluster: name };
  const now = new Date('2026-11-30T21:30:00Z');
  let sgId: string;

  const depsFor = (over: Partial<(typeof config)['security']> = {}, reportsDir?: string) => {
    const deps = testActivityDeps({
      config: { ...config, security: { ...config.security, ...over } },
      client: undefined as never,
      taskQueue: 'unused',
    });
    return { ...deps, now: () => now, ...(reportsDir ? { reportsDir } : {}) };
  };

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    await reconcileNodegroupAsgs(aws, [cluster]);
    ({ securityGroupId: sgId } = await seedSecurityFindings(
      aws,
      cluster,
      securitySchema.parse({}).amiReleaseParameter,
    ));
    const ecr = aws.ecr(cluster);
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName: repo, imageScanningConfiguration: { scanOnPush: true } }),
    );
    await ecr.send(
      new PutImageCommand({
        repositoryName: repo,
        imageTag: '1.0',
        imageManifest: JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: {
            digest: `sha256:${'b'.repeat(64)}`,
            size: 1,
            mediaType: 'application/vnd.docker.container.image.v1+json',
          },
          layers: [],
        }),
      }),
    );
    // moto does not scan on push; ECR would. Start the scan as the registry would have.
    await ecr.send(new StartImageScanCommand({ repositoryName: repo, imageId: { imageTag: '1.0' } }));
    const arn = `arn:aws:eks:${region}:${account}:cluster/${name}`;
    const at = new Date().toISOString();
    await aws.securityHub(cluster).send(
      new BatchImportFindingsCommand({
        Findings: [
          {
            SchemaVersion: '2018-10-08',
            Id: `${name}-sh-1`,
            ProductArn: `arn:aws:securityhub:${region}:${account}:product/${account}/default`,
            GeneratorId: 'aws-foundational-security-best-practices/v/1.0.0/EKS.2',
            AwsAccountId: account,
            Types: ['Software and Configuration Checks'],
            CreatedAt: at,
            UpdatedAt: at,
            Severity: { Label: 'HIGH' },
            Title: 'EKS clusters should run on a supported Kubernetes version',
            Description: 'from Security Hub',
            Resources: [{ Type: 'AwsEksCluster', Id: arn }],
            RecordState: 'ACTIVE',
          },
        ],
      }),
    );
  });

  it('moto facts this scan depends on: /aws/ parameters cannot be seeded (so the sandbox mirrors them)', async () => {
    await expect(
      aws.ssm(cluster).send(
        new PutParameterCommand({
          Name: '/aws/service/eks/optimized-ami/1.32/amazon-linux-2023/x86_64/standard/recommended/release_version',
          Value: 'x',
          Type: 'String',
        }),
      ),
    ).rejects.toThrow(/reserved parameter name/);
  });

  it('reads the seeded cluster and reports each planted problem with evidence', async () => {
    const act = createSecurityActivities(depsFor());
    const r = await act.scanClusterSecurity(target);
    const rules = (id: string) => r.findings.filter((f) => f.ruleId === id);
    const one = (id: string): Finding => {
      expect(rules(id)).toHaveLength(1);
      return rules(id)[0]!;
    };
    expect(r.scope).toBe(`${account}/${region}/${name}`);
    expect(r.counts.instances).toBe(2);
    expect(one('EKS.PUBLIC_ENDPOINT')).toMatchObject({
      severity: 'high',
      evidence: 'endpointPublicAccess=true, publicAccessCidrs=[0.0.0.0/0]',
      source: 'eksflow',
    });
    expect(one('EKS.CONTROL_PLANE_LOGGING').evidence).toBe('enabled log types: [api]; missing: [audit, authenticator]');
    expect(one('EKS.SECRETS_ENCRYPTION').severity).toBe('medium');
    expect(one('EKS.VERSION_SUPPORT')).toMatchObject({
      severity: 'high',
      title: 'Kubernetes 1.32 is past the end of standard support (extended support, extra cost)',
    });
    expect(one('EKS.NODE_AMI_OUTDATED').evidence).toBe(
      `releaseVersion ${SANDBOX_NODE_RELEASE}; latest ${SANDBOX_LATEST_RELEASE} (${amiTemplate.replace('{version}', '1.32').replace('{amiFamily}', 'amazon-linux-2023/x86_64/standard')}), 42 days newer`,
    );
    expect(rules('EC2.SG_OPEN_INGRESS').map((f) => f.id)).toEqual([`EC2.SG_OPEN_INGRESS:${sgId}/tcp/22-22/0.0.0.0/0`]);
    expect(rules('EC2.IMDSV1_ALLOWED')).toHaveLength(2); // moto launches with HttpTokens=optional, as EC2 does by default
    expect(one('IAM.NODE_ROLE_ADMIN')).toMatchObject({
      severity: 'critical',
      evidence: 'inline policy sandbox-everything allows *:* on *',
    });
    // Services' findings merged with their source.
    expect(r.findings.filter((f) => f.source === 'securityhub').map((f) => [f.id, f.severity])).toEqual([
      [`securityhub:${name}-sh-1`, 'high'],
    ]);
    // moto's ECR basic scan reports one fixed fake CVE for any image; it arrives as an ECR finding of that image.
    expect(r.findings.filter((f) => f.source === 'ecr').map((f) => f.ruleId)).toEqual(['ecr/CVE-9999-9999']);
    // moto implements Inspector2 ListFindings but has no way to create findings: the call is made and returns none.
    expect(r.findings.filter((f) => f.source === 'inspector2')).toEqual([]);
    expect(r.problems).toEqual([]);
    // Root volumes of moto's instances are unencrypted; the ASG's launch template sets no metadata options.
    expect(rules('EC2.EBS_UNENCRYPTED')).toHaveLength(2);
    expect(rules('EC2.LAUNCH_TEMPLATE_IMDSV1')).toHaveLength(1);
    // The sandbox subnets do not map public IPs.
    expect(rules('EC2.NODE_PUBLIC_IP')).toEqual([]);
    expect(r.findings.filter((f) => f.source === 'eksflow')).toHaveLength(12);
  });

  it('report: first scan all new; after a fix the finding is resolved and nothing is new; suppression with expiry', async () => {
    const dir = `${testActivityDeps({ config, client: undefined as never, taskQueue: 'x' }).reportsDir}-diff`;
    const act = createSecurityActivities(depsFor({}, dir));
    const first = await act.scanClusterSecurity(target);
    const s1 = await act.writeSecurityScanReport({
      scanId: 'scan-1',
      scopes: [first.scope],
      findings: first.findings,
      problems: [],
    });
    expect(s1.newFindings.length).toBe(first.findings.length);
    expect(s1.resolved).toBe(0);
    const html = readFileSync(s1.htmlPath, 'utf8');
    expect(html).toContain(`EC2.SG_OPEN_INGRESS:${sgId}/tcp/22-22/0.0.0.0/0`);
    expect(JSON.parse(readFileSync(s1.jsonPath, 'utf8'))).toMatchObject({ kind: 'security', scanId: 'scan-1' });
    // A retry of the same report diffs against the same previous scan (none), not against itself.
    expect(
      (
        await act.writeSecurityScanReport({
          scanId: 'scan-1',
          scopes: [first.scope],
          findings: first.findings,
          problems: [],
        })
      ).newFindings.length,
    ).toBe(first.findings.length);

    const ec2 = aws.ec2(cluster);
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: sgId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    try {
      const second = await act.scanClusterSecurity(target);
      const s2 = await act.writeSecurityScanReport({
        scanId: 'scan-2',
        scopes: [second.scope],
        findings: second.findings,
        problems: [],
      });
      expect(s2.newFindings).toEqual([]);
      expect(s2.resolved).toBe(1);
      const report2 = JSON.parse(readFileSync(s2.jsonPath, 'utf8'));
      expect(report2.resolved.map((f: Finding) => f.id)).toEqual([`EC2.SG_OPEN_INGRESS:${sgId}/tcp/22-22/0.0.0.0/0`]);
      expect(report2.previousScanId).toBe('scan-1');

      // Suppress the IAM finding until after the scan, and an IMDS one with a date already past.
      const suppressed = createSecurityActivities(
        depsFor(
          {
            suppress: [
              { id: 'IAM.NODE_ROLE_ADMIN', reason: 'sandbox role', until: '2027-01-01' },
              { id: 'EC2.IMDSV1_ALLOWED', reason: 'old exception', until: '2026-11-01' },
            ],
          },
          dir,
        ),
      );
      const s3 = await suppressed.writeSecurityScanReport({
        scanId: 'scan-3',
        scopes: [second.scope],
        findings: second.findings,
        problems: [],
      });
      expect(s3.suppressed).toBe(1);
      expect(s3.expiredSuppressions).toBe(1);
      expect(s3.problems).toContain('suppression of EC2.IMDSV1_ALLOWED expired 2026-11-01 (reason was: old exception)');
      expect(s3.newFindings).toEqual([]);
    } finally {
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sgId,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      );
    }
  });

  it('an unknown cluster name is a validation error naming the configured ones', async () => {
    await expect(createSecurityActivities(depsFor()).securityScanTargets({ clusters: ['nope'] })).rejects.toThrow(
      `unknown cluster(s) nope (configured: ${name})`,
    );
  });
});
