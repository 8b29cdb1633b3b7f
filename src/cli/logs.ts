import type { Command } from 'commander';
import { connectClient } from '../client';
import { runLogArchival } from '../client/logs';
import { readEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import { isIsoDate, yesterdayIst } from '../domain/logs/plan';
import { checkClusterNames, UsageError } from './usage-error';

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB`;

export function registerLogCommands(program: Command): void {
  const logs = program.command('logs').description('Log archival (04:00 IST): EKS log groups → S3, then retention');
  logs
    .command('archive')
    .description(
      "Export a day's events of every cluster's log groups to S3 (the logArchival workflow) and print the run summary",
    )
    .option('--date <YYYY-MM-DD>', 'IST day to archive (default: yesterday, IST)')
    .option('-c, --cluster <name...>', 'only these clusters')
    .option('--dry-run', 'list what would be exported; export nothing, change no retention')
    .option('--no-wait', 'start the run and return its workflow id')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { date?: string; cluster?: string[]; dryRun?: boolean; wait: boolean; json?: boolean }) => {
      const date = opts.date ?? yesterdayIst(Date.now());
      if (!isIsoDate(date)) throw new UsageError(`--date must be a calendar date as YYYY-MM-DD, got "${opts.date}"`);
      const env = readEnv();
      const config = loadConfigFile(env.EKSFLOW_CONFIG);
      checkClusterNames(config, opts.cluster);
      const client = await connectClient(env);
      try {
        const { workflowId, result } = await runLogArchival(client, {
          taskQueue: env.TEMPORAL_TASK_QUEUE,
          input: {
            date,
            ...(opts.cluster ? { clusters: opts.cluster } : {}),
            ...(opts.dryRun ? { dryRun: true } : {}),
          },
          wait: opts.wait,
        });
        if (!result) {
          process.stdout.write(`started ${workflowId}\n`);
          return;
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${result.headline}\n`);
        process.stdout.write(
          `days ${result.days.join(', ')} · ${result.groups} group(s) · ${result.tasks} export task(s) · ${result.objects} object(s), ${mib(result.bytes)} · ${(result.durationMs / 1000).toFixed(0)} s\n`,
        );
        for (const f of result.failed) process.stdout.write(`  FAILED ${f.key}: ${f.reason}\n`);
        for (const p of result.problems) process.stdout.write(`  problem: ${p}\n`);
        if (result.retention.skipped.length)
          process.stdout.write(
            `  retention not changed (days not all archived): ${result.retention.skipped.join(', ')}\n`,
          );
        process.stdout.write(`workflow: ${workflowId}\n`);
      } finally {
        await client.connection.close();
      }
    });
}
