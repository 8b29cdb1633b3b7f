import { ListClustersCommand } from '@aws-sdk/client-eks';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { seedCluster } from '../../src/sandbox/seed';
import { testAwsFactory, testConfig, uniqueName, testAwsClientConfig } from '../support/stack';

describe('AwsClientFactory against moto', () => {
  const aws = testAwsFactory();

  it('assumes the configured role per account, so each cluster lives in its own account', async () => {
    const name = uniqueName('acct');
    const config = testConfig({
      clusters: ['444444444444', '555555555555'].map((accountId, i) => ({
        name: `${name}-${i}`,
        accountId,
        region: 'us-east-1',
        roleArn: `arn:aws:iam::${accountId}:role/eksflow-automation`,
        nodegroups: [
          {
            name: 'ng',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 1, max: 2 },
            offHours: { min: 0, desired: 0, max: 2 },
          },
        ],
      })),
    });
    const [a, b] = config.clusters;
    await seedCluster(aws, a!);
    await seedCluster(aws, b!);
    const inA = (await aws.eks(a!).send(new ListClustersCommand({}))).clusters ?? [];
    const inB = (await aws.eks(b!).send(new ListClustersCommand({}))).clusters ?? [];
    expect(inA).toContain(a!.name);
    expect(inA).not.toContain(b!.name);
    expect(inB).toContain(b!.name);
    expect(inB).not.toContain(a!.name);
    // The same factory hands back the cached client for the same (service, account, region, role).
    expect(aws.eks(a!)).toBe(aws.eks({ ...a! }));
  });

  it('uses static credentials without a role (default account)', async () => {
    const id = await new STSClient(testAwsClientConfig('us-east-1')).send(new GetCallerIdentityCommand({}));
    expect(id.Account).toMatch(/^\d{12}$/);
  });
});
