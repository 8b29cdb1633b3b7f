import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { AwsClientFactory } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { AwsTarget } from '../../src/config/clusters';

/** Secrets Manager: the only code that reads secrets. The value never enters an error message. */
export async function secretString(
  aws: AwsClientFactory,
  target: AwsTarget,
  secretId: string,
): Promise<string | undefined> {
  const out = await awsCall(`GetSecretValue ${secretId}`, () =>
    aws.secretsManager(target).send(new GetSecretValueCommand({ SecretId: secretId })),
  );
  return out.SecretString;
}
