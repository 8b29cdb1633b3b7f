import { GetFindingsCommand, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

/** AWS Security Hub findings (ASFF) on the given resources, active and not suppressed. */
export function securityHubGateway(aws: AwsClientFactory, target: AwsTarget) {
  const client = aws.securityHub(target);
  return {
    async activeFindingsFor(resourceIds: string[], max = 500): Promise<AwsSecurityFinding[]> {
      const out: AwsSecurityFinding[] = [];
      for (let i = 0; i < resourceIds.length && out.length < max; i += 20) {
        let NextToken: string | undefined;
        do {
          const page = await client.send(
            new GetFindingsCommand({
              Filters: {
                RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
                ResourceId: resourceIds.slice(i, i + 20).map((Value) => ({ Value, Comparison: 'EQUALS' })),
              },
              MaxResults: 100,
              NextToken,
            }),
          );
          out.push(...(page.Findings ?? []));
          NextToken = page.NextToken;
        } while (NextToken && out.length < max);
      }
      return out;
    },
  };
}
