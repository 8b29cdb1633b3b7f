import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';

/** Auto Scaling groups of one account/region, read only (cleanup: which launch templates are still in use). */
export function asgGateway(aws: AwsClientFactory, target: AwsTarget) {
  const asg = aws.autoScaling(target);
  return {
    /** launch template id → names of the groups launching from it (directly or through a mixed-instances policy). */
    async launchTemplateUsers(): Promise<Record<string, string[]>> {
      const users: Record<string, string[]> = {};
      let NextToken: string | undefined;
      do {
        const page = await awsCall(`DescribeAutoScalingGroups ${target.accountId}/${target.region}`, () =>
          asg.send(new DescribeAutoScalingGroupsCommand({ NextToken })),
        );
        for (const g of page.AutoScalingGroups ?? []) {
          const ids = [
            g.LaunchTemplate?.LaunchTemplateId,
            g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId,
          ];
          for (const id of ids) if (id) (users[id] ??= []).push(g.AutoScalingGroupName ?? '');
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return users;
    },
  };
}
