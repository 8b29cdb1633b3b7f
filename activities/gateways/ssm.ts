import { GetParameterCommand, PutParameterCommand, type Parameter, type ParameterType } from '@aws-sdk/client-ssm';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

/** SSM Parameter Store: public parameters (AMI releases) and eksflow's own config parameter. */
export function ssmGateway(aws: AwsClientFactory, target: AwsTarget) {
  const ssm = aws.ssm(target);
  return {
    /** The parameter, or undefined when it does not exist (ParameterNotFound). */
    async get(name: string, decrypt = false): Promise<Parameter | undefined> {
      try {
        return (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: decrypt }))).Parameter;
      } catch (err) {
        if ((err as { name?: string }).name === 'ParameterNotFound') return undefined;
        throw err;
      }
    },
    /** Writes a new version; returns it. */
    async put(name: string, value: string, type: ParameterType, description?: string): Promise<number> {
      const out = await ssm.send(
        new PutParameterCommand({
          Name: name,
          Value: value,
          Type: type,
          Overwrite: true,
          Description: description,
          Tier: value.length > 4096 ? 'Advanced' : 'Standard',
        }),
      );
      return out.Version ?? 0;
    },
  };
}
