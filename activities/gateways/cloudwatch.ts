import { GetMetricDataCommand, type CloudWatchClient, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
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
