import { readFileSync } from 'node:fs';
import type { AwsClientFactory, AwsTarget } from '../aws/clients';
import { fetchSpotPriceHistory } from '../../activities/gateways/spot-prices';
import { clipToWindow, parseSpotPriceCsv, type SpotPoolHistory } from '../domain/pricing/spot-history';

export interface SpotHistoryQuery {
  region: string;
  target: AwsTarget;
  instanceTypes: string[];
  start: Date;
  end: Date;
}

/** Where spot price history comes from; the report names it. */
export interface SpotHistorySource {
  label: string;
  fetch(q: SpotHistoryQuery): Promise<SpotPoolHistory[]>;
}

/** The real one: DescribeSpotPriceHistory in the region, through the AWS client factory. */
export function ec2SpotHistory(aws: AwsClientFactory): SpotHistorySource {
  return {
    label: 'DescribeSpotPriceHistory (Linux/UNIX, every AZ)',
    fetch: (q) =>
      fetchSpotPriceHistory(aws.ec2(q.target), {
        region: q.region,
        instanceTypes: q.instanceTypes,
        start: q.start,
        end: q.end,
      }),
  };
}

/**
 * Replays a recorded `describe-spot-price-history` CSV as if it were happening now: every
 * timestamp is shifted so the file's last change lands at the query's end. For demos and the
 * sandbox (moto answers every pool with one constant price), never for production numbers.
 */
export function replaySpotHistoryCsv(path: string): SpotHistorySource {
  let histories: SpotPoolHistory[] | undefined;
  return {
    label: `recorded history replayed from ${path} (shifted to end now)`,
    async fetch(q) {
      histories ??= parseSpotPriceCsv(readFileSync(path, 'utf8'), path);
      const last = Math.max(...histories.flatMap((h) => h.points.map((p) => p.t)));
      const shift = q.end.getTime() - last;
      const wanted = new Set(q.instanceTypes);
      return histories
        .filter((h) => h.region === q.region && (wanted.size === 0 || wanted.has(h.instanceType)))
        .map((h) =>
          clipToWindow(
            { ...h, points: h.points.map((p) => ({ t: p.t + shift, price: p.price })) },
            q.start.getTime(),
            q.end.getTime(),
          ),
        )
        .filter((h) => h.points.length > 0);
    },
  };
}
