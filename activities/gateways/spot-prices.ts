import { DescribeSpotPriceHistoryCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { awsCall } from '../../src/aws/errors';
import { groupSpotPrices, type RawSpotPrice, type SpotPoolHistory } from '../../src/domain/pricing/spot-history';

/** EC2 spot price history: the only code that calls DescribeSpotPriceHistory. */
export interface SpotHistoryQuery {
  region: string;
  /** Instance types to ask for; AWS returns every type when empty, which is rarely wanted. */
  instanceTypes: string[];
  start: Date;
  end: Date;
  /** Safety stop for a runaway pagination. */
  maxPages?: number;
}

/**
 * Spot price history of Linux/UNIX pools across every Availability Zone of the region. With a
 * start time AWS also returns the price in effect at that moment, so a pool whose price did not
 * change in the window still appears, with an older timestamp.
 */
export async function fetchSpotPriceHistory(ec2: EC2Client, q: SpotHistoryQuery): Promise<SpotPoolHistory[]> {
  const rows: RawSpotPrice[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < (q.maxPages ?? 50); page++) {
    const out = await awsCall(`DescribeSpotPriceHistory ${q.region}`, () =>
      ec2.send(
        new DescribeSpotPriceHistoryCommand({
          InstanceTypes: q.instanceTypes.length > 0 ? (q.instanceTypes as never[]) : undefined,
          ProductDescriptions: ['Linux/UNIX'],
          StartTime: q.start,
          EndTime: q.end,
          MaxResults: 1000,
          NextToken: nextToken,
        }),
      ),
    );
    for (const h of out.SpotPriceHistory ?? []) {
      if (!h.InstanceType || !h.AvailabilityZone || !h.SpotPrice || !h.Timestamp) continue;
      rows.push({
        region: q.region,
        instanceType: h.InstanceType,
        availabilityZone: h.AvailabilityZone,
        productDescription: h.ProductDescription ?? '',
        t: new Date(h.Timestamp).getTime(),
        price: Number(h.SpotPrice),
      });
    }
    nextToken = out.NextToken || undefined;
    if (!nextToken) break;
  }
  return groupSpotPrices(rows);
}
