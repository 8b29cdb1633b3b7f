import {
  CancelExportTaskCommand,
  CreateExportTaskCommand,
  DescribeExportTasksCommand,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  PutRetentionPolicyCommand,
  type ExportTask,
  type LogGroup,
} from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

/** CloudWatch Logs: log groups, export tasks to S3, retention. */
export function logsGateway(aws: AwsClientFactory, target: AwsTarget) {
  const logs = aws.logs(target);
  return {
    async groupsByPrefix(prefix: string): Promise<LogGroup[]> {
      const out: LogGroup[] = [];
      let nextToken: string | undefined;
      do {
        const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }));
        out.push(...(page.logGroups ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },
    async group(name: string): Promise<LogGroup | undefined> {
      return (await this.groupsByPrefix(name)).find((g) => g.logGroupName === name);
    },
    /** Every export task of the account in this region (status filtering is done by the caller: moto ignores statusCode). */
    async exportTasks(): Promise<ExportTask[]> {
      const out: ExportTask[] = [];
      let nextToken: string | undefined;
      do {
        const page = await logs.send(new DescribeExportTasksCommand({ nextToken, limit: 50 }));
        out.push(...(page.exportTasks ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },
    async exportTask(taskId: string): Promise<ExportTask | undefined> {
      return (await logs.send(new DescribeExportTasksCommand({ taskId }))).exportTasks?.[0];
    },
    async createExportTask(input: {
      taskName: string;
      logGroupName: string;
      fromMs: number;
      toMs: number;
      bucket: string;
      prefix: string;
    }): Promise<string> {
      const out = await logs.send(
        new CreateExportTaskCommand({
          taskName: input.taskName,
          logGroupName: input.logGroupName,
          from: input.fromMs,
          to: input.toMs,
          destination: input.bucket,
          destinationPrefix: input.prefix,
        }),
      );
      return out.taskId!;
    },
    async cancelExportTask(taskId: string): Promise<void> {
      await logs.send(new CancelExportTaskCommand({ taskId }));
    },
    async hasEvents(logGroupName: string, fromMs: number, toMs: number): Promise<boolean> {
      const out = await logs.send(
        new FilterLogEventsCommand({ logGroupName, startTime: fromMs, endTime: toMs, limit: 1 }),
      );
      return (out.events ?? []).length > 0;
    },
    async putRetention(logGroupName: string, days: number): Promise<void> {
      await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: days }));
    },
  };
}
