import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readFileSync } from 'node:fs';
import { securitySchema } from '../../src/config/security';
import type { AlertInput } from '../../src/domain/alerts/types';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import { sandboxAmiParameterTemplate, seedCluster, seedSecurityFindings } from '../../src/sandbox/seed';
import { securityScans } from '../../workflows';
import type { SecurityScanProgress } from '../../workflows/security/messages';
import { testAwsFactory, testConfig, uniqueName } from '../support/stack';
import { startNightHarness, type NightHarness } from '../support/night-harness';

/**
 * The 03:00 security scan as the schedule runs it, on the time-skipping server with the real
 * activities against moto: night 1 finds the seeded problems and raises one alert; night 2 with
 * nothing new raises none; night 3 after a new all-traffic rule raises one alert listing only it.
 * One cluster of two cannot be read (its account has no such cluster): it is a problem, and its
 * old findings would be "not rescanned", never "resolved".
 */
describe('securityScans night (time-skipping, activities on moto)', () => {
  const aws = testAwsFactory();
  const account = '778877887788';
  const region = 'us-east-1';
  const name = uniqueName('ts-sec');
  const ghost = uniqueName('ts-ghost');
  const ng = {
    instanceTypes: ['m5.large'],
    businessHours: { min: 1, desired: 1, max: 2 },
    offHours: { min: 1, desired: 1, max: 2 },
  };
  const config = testConfig({
    clusters: [
      {
        name,
        accountId: account,
        region,
        roleArn: `arn:aws:iam::${account}:role/eksflow-automation`,
        nodegroups: [{ name: 'web', ...ng }],
      },
      {
        name: ghost,
        accountId: account,
        region,
        roleArn: `arn:aws:iam::${account}:role/eksflow-automation`,
        nodegroups: [{ name: 'web', ...ng }],
      },
    ],
    security: {
      amiReleaseParameter: sandboxAmiParameterTemplate(securitySchema.parse({}).amiReleaseParameter),
      suppress: [{ id: 'EKS.VERSION_SUPPORT', reason: 'upgrade planned', until: '2099-01-01' }],
    },
  });
  const cluster = config.clusters[0]!;
  const taskQueue = uniqueName('ts-sec');
  const alerts: AlertInput[] = [];
  let env: TestWorkflowEnvironment;
  let h: NightHarness;
  let sgId: string;

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    await reconcileNodegroupAsgs(aws, [cluster]);
    ({ securityGroupId: sgId } = await seedSecurityFindings(
      aws,
      cluster,
      securitySchema.parse({}).amiReleaseParameter,
    ));
    h = await startNightHarness({ config, taskQueue, aws, alerts });
    ({ env } = h);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const night = (n: number) =>
    env.client.workflow.execute(securityScans, {
      taskQueue,
      workflowId: `security-scan/night-${n}-${name}`,
      args: [{ scanId: `night-${n}` }],
    });

  it('night 1: findings, report, one alert for the new critical/high; the unreadable cluster is a problem', async () => {
    const handle = await env.client.workflow.start(securityScans, {
      taskQueue,
      workflowId: `security-scan/night-1-${name}`,
      args: [{ scanId: 'night-1' }],
    });
    const r = await handle.result();
    expect(await handle.query<SecurityScanProgress>('securityScanProgress')).toEqual({
      phase: 'done',
      clusters: 2,
      scanned: 1,
      failed: [ghost],
    });
    expect(r).toMatchObject({
      scanId: 'night-1',
      clustersScanned: 1,
      clustersFailed: [ghost],
      alerted: true,
      resolved: 0,
      suppressed: 1,
    });
    expect(
      r.problems.some(
        (p) => p.startsWith(`${account}/${region}/${ghost}: scan failed:`) && /NotFound|not found/i.test(p),
      ),
    ).toBe(true);
    // critical: the node role's *:* policy; high: SG tcp/22, the public endpoint, IMDSv1 on the one node (version support is suppressed).
    expect(r.counts).toMatchObject({ critical: 1, high: 3 });
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ type: 'security_findings', severity: 'critical', dedupKey: 'security-scan/night-1' });
    expect(String(a.details!.ids).split(' ').sort()).toEqual(
      r.newFindings
        .filter((f) => f.severity === 'critical' || f.severity === 'high')
        .map((f) => f.id)
        .sort(),
    );
    expect(readFileSync(r.htmlPath, 'utf8')).toContain('eksflow security scan');
  });

  it('night 2: nothing new → no alert; night 3: a new all-traffic rule → one alert naming only it', async () => {
    const r2 = await night(2);
    expect(r2).toMatchObject({ alerted: false, newFindings: [], resolved: 0 });
    expect(alerts).toHaveLength(1);
    await aws.ec2(cluster).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sgId,
        IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    try {
      const r3 = await night(3);
      expect(r3.newFindings.map((f) => f.id)).toEqual([`EC2.SG_OPEN_INGRESS:${sgId}/all/all/0.0.0.0/0`]);
      expect(alerts).toHaveLength(2);
      expect(alerts[1]).toMatchObject({
        severity: 'critical',
        dedupKey: 'security-scan/night-3',
        details: { newCritical: 1, newHigh: 0, ids: `EC2.SG_OPEN_INGRESS:${sgId}/all/all/0.0.0.0/0` },
      });
    } finally {
      await aws.ec2(cluster).send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: sgId,
          IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      );
    }
    const r4 = await night(4);
    expect(r4).toMatchObject({ alerted: false, resolved: 1, newFindings: [] });
  });
});
