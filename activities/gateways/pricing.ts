import { GetProductsCommand, type PricingClient } from '@aws-sdk/client-pricing';
import { awsCall } from '../../src/aws/errors';
import { onDemandFilters } from '../../src/domain/pricing/price-list';

/**
 * The AWS Pricing API: the only code that calls GetProducts. A filtered query returns one or two
 * products; the page loop only guards against a paged answer. Errors are classified (a throttled
 * or unreachable API is retryable, the caller decides to fall back).
 */
export async function onDemandPriceList(
  client: PricingClient,
  region: string,
  instanceType: string,
): Promise<unknown[]> {
  const priceList: unknown[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 5; page++) {
    const out = await awsCall(`GetProducts AmazonEC2 ${region}/${instanceType}`, () =>
      client.send(
        new GetProductsCommand({
          ServiceCode: 'AmazonEC2',
          Filters: onDemandFilters(region, instanceType),
          FormatVersion: 'aws_v1',
          MaxResults: 100,
          NextToken: nextToken,
        }),
      ),
    );
    priceList.push(...((out.PriceList as unknown[] | undefined) ?? []));
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return priceList;
}
