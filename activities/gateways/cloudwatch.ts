import {
  GetMetricDataCommand,
  PutMetricDataCommand,
  type CloudWatchClient,
  type MetricDataResult,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import { awsCall } from '../../src/aws/errors';

/** CloudWatch metrics: the only code that reads them. */
export interface MetricQuery {
  namespace: string;
  metricName: string;
  dimensions: { name: string; value: string }[];
  /** CloudWatch statistic, e.g. Average, Maximum, Sum, p90 */
  stat: string;
}

/** GetMetricData for one metric, following NextToken; points in time order. */
export async function readMetric(
  client: CloudWatchClient,
  metric: MetricQuery,
  periodSeconds: number,
  start: Date,
  end: Date,
): Promise<{ t: number; value: number }[]> {
  const points: { t: number; value: number }[] = [];
  let nextToken: string | undefined;
  const label = `GetMetricData ${metric.namespace}/${metric.metricName}`;
  do {
    const page = await awsCall(label, () =>
      client.send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          ScanBy: 'TimestampAscending',
          NextToken: nextToken,
          MetricDataQueries: [
            {
              Id: 'load',
              ReturnData: true,
              MetricStat: {
                Metric: {
                  Namespace: metric.namespace,
                  MetricName: metric.metricName,
                  Dimensions: metric.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
                },
                Period: periodSeconds,
                Stat: metric.stat,
              },
            },
          ],
        }),
      ),
    );
    const result: MetricDataResult | undefined = page.MetricDataResults?.find((r) => r.Id === 'load');
    const timestamps = result?.Timestamps ?? [];
    const values = result?.Values ?? [];
    timestamps.forEach((t, i) => points.push({ t: new Date(t).getTime(), value: values[i] }));
    nextToken = page.NextToken;
  } while (nextToken);
  return points.sort((a, b) => a.t - b.t);
}

import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

export interface MetricDataQuery {
  id: string;
  namespace: string;
  metricName: string;
  dimensions: { name: string; value: string }[];
  stat: string;
  periodSeconds: number;
}

/** The one gateway to CloudWatch metrics: PutMetricData in batches, GetMetricData with paging. */
export function cloudwatchGateway(deps: { aws: AwsClientFactory; target: AwsTarget }) {
  const cw = () => deps.aws.cloudwatch(deps.target);
  return {
    async putMetricData(namespace: string, data: MetricDatum[]): Promise<number> {
      // PutMetricData takes up to 1000 datums per call; 500 keeps requests small.
      for (let i = 0; i < data.length; i += 500) {
        const batch = data.slice(i, i + 500);
        await awsCall(`PutMetricData ${namespace}`, () =>
          cw().send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch })),
        );
      }
      return data.length;
    },
    async getMetricData(
      queries: MetricDataQuery[],
      startMs: number,
      endMs: number,
    ): Promise<Record<string, { t: number; v: number }[]>> {
      const out: Record<string, { t: number; v: number }[]> = {};
      let token: string | undefined;
      do {
        const res = await awsCall('GetMetricData', () =>
          cw().send(
            new GetMetricDataCommand({
              StartTime: new Date(startMs),
              EndTime: new Date(endMs),
              ScanBy: 'TimestampAscending',
              NextToken: token,
              MetricDataQueries: queries.map((q) => ({
                Id: q.id,
                MetricStat: {
                  Metric: {
                    Namespace: q.namespace,
                    MetricName: q.metricName,
                    Dimensions: q.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
                  },
                  Period: q.periodSeconds,
                  Stat: q.stat,
                },
              })),
            }),
          ),
        );
        for (const r of res.MetricDataResults ?? []) {
          const pts = (r.Timestamps ?? []).map((t, i) => ({ t: t.getTime(), v: r.Values?.[i] ?? NaN }));
          out[r.Id!] = [...(out[r.Id!] ?? []), ...pts];
        }
        token = res.NextToken;
      } while (token);
      for (const k of Object.keys(out)) out[k].sort((a, b) => a.t - b.t);
      return out;
    },
  };
}
