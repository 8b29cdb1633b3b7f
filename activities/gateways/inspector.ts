import { ListFindingsCommand, type Finding } from '@aws-sdk/client-inspector2';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

/** Amazon Inspector (v2) findings of the given resources (instances, ECR images), active only. */
export function inspectorGateway(aws: AwsClientFactory, target: AwsTarget) {
  const client = aws.inspector2(target);
  return {
    async activeFindingsFor(resourceIds: string[], max = 500): Promise<Finding[]> {
      const out: Finding[] = [];
      // ListFindings takes at most 10 values per filter list.
      for (let i = 0; i < resourceIds.length && out.length < max; i += 10) {
        let nextToken: string | undefined;
        do {
          const page = await client.send(
            new ListFindingsCommand({
              filterCriteria: {
                findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }],
                resourceId: resourceIds.slice(i, i + 10).map((value) => ({ comparison: 'EQUALS', value })),
              },
              maxResults: 100,
              nextToken,
            }),
          );
          out.push(...(page.findings ?? []));
          nextToken = page.nextToken;
        } while (nextToken && out.length < max);
      }
      return out;
    },
  };
}
