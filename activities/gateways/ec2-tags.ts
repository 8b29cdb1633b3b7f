import { CreateTagsCommand, DeleteTagsCommand } from '@aws-sdk/client-ec2';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { Tags } from '../../src/domain/backups/tags';

/** EC2 resource tags (any EC2 resource id): CreateTags overwrites, DeleteTags of a missing key is a no-op — both idempotent. */
export function ec2TagsGateway(aws: AwsClientFactory, target: AwsTarget) {
  const ec2 = aws.ec2(target);
  return {
    async set(resourceId: string, tags: Tags): Promise<void> {
      await awsCall(`CreateTags ${resourceId}`, () =>
        ec2.send(
          new CreateTagsCommand({
            Resources: [resourceId],
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
    },
    async remove(resourceId: string, keys: string[]): Promise<void> {
      await awsCall(`DeleteTags ${resourceId}`, () =>
        ec2.send(new DeleteTagsCommand({ Resources: [resourceId], Tags: keys.map((Key) => ({ Key })) })),
      );
    },
  };
}
