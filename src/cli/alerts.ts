import type { Command } from 'commander';
import { operatorName } from './operator';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { readEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import type { EksflowConfig } from '../config/schema';
import { connectClient } from '../client';
import {
  acknowledgeAlert,
  openAlerts,
  openOrMergeAlert,
  resolveAlert,
  type AlertSignalOutcome,
} from '../client/alerts';
import { istLabel } from '../domain/alerts/business-hours';
import { alertWorkflowId, dedupKeyFromAlertId } from '../domain/alerts/dedup';
import { alertInputSchema } from '../domain/alerts/schema';
import { UsageError } from './usage-error';

export interface AlertCliContext {
  client: Client;
  config: EksflowConfig;
  taskQueue: string;
  uiBaseUrl: string;
  close(): Promise<void>;
}

async function defaultContext(): Promise<AlertCliContext> {
  const env = readEnv();
  const config = loadConfigFile(env.EKSFLOW_CONFIG);
  const client = await connectClient(env);
  return {
    client,
    config,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    uiBaseUrl: config.notifications.temporalUiUrl ?? env.TEMPORAL_UI_URL,
    close: () => client.connection.close(),
  };
}

const out = (s: string) => process.stdout.write(`${s}\n`);

function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '));
}

function toWorkflowId(id: string): string {
  try {
    return alertWorkflowId(dedupKeyFromAlertId(id));
  } catch (err) {
    throw new UsageError(`bad alert id "${id}": ${(err as Error).message}`);
  }
}

/** A missing or closed alert is a usage error (nothing changed). */
function checked(workflowId: string, sent: AlertSignalOutcome): string {
  if (sent.outcome === 'not_found') throw new UsageError(`no alert ${workflowId}`);
  if (sent.outcome === 'closed') throw new UsageError(`alert ${workflowId} is not open (${sent.status})`);
  return workflowId;
}

export function registerAlertCommands(program: Command, opts: { context?: () => Promise<AlertCliContext> } = {}): void {
  const cmd = program.command('alerts').description('Open alerts: list, acknowledge, resolve, send a test alert');
  const withContext = async <T>(fn: (ctx: AlertCliContext) => Promise<T>): Promise<T> => {
    const ctx = await (opts.context ?? defaultContext)();
    try {
      return await fn(ctx);
    } finally {
      await ctx.close();
    }
  };

  cmd
    .command('list')
    .description('Open alerts with severity, state, occurrences and escalation round')
    .option('--json', 'one JSON object per line')
    .action((o: { json?: boolean }) =>
      withContext(async (ctx) => {
        const rows = [['ID', 'SEVERITY', 'STATUS', 'COUNT', 'ROUND', 'FIRST SEEN (IST)', 'SUMMARY']];
        for await (const s of openAlerts(ctx.client, { taskQueue: ctx.taskQueue })) {
          if (o.json)
            out(
              JSON.stringify({
                id: s.workflowId,
                severity: s.alert.severity,
                status: s.status,
                count: s.count,
                rounds: s.rounds,
                firstSeen: new Date(s.firstSeenMs).toISOString(),
                summary: s.alert.summary,
              }),
            );
          else
            rows.push([
              s.workflowId,
              s.alert.severity,
              s.status,
              String(s.count),
              String(s.rounds),
              istLabel(s.firstSeenMs),
              s.alert.summary,
            ]);
        }
        if (!o.json) table(rows);
      }),
    );

  cmd
    .command('ack <id>')
    .description('Acknowledge an open alert (id: dedup key or alert/<key>); stops its escalation')
    .option('--by <name>', 'who acknowledges', operatorName())
    .action((id: string, o: { by: string }) =>
      withContext(async (ctx) => {
        const workflowId = toWorkflowId(id);
        out(
          `acknowledged ${checked(workflowId, await acknowledgeAlert(ctx.client, workflowId, { by: o.by, via: 'cli' }, { checkOpen: true }))}`,
        );
      }),
    );

  cmd
    .command('resolve <id>')
    .description('Resolve an open alert everywhere (PagerDuty resolve, Slack follow-up)')
    .option('--by <name>', 'who resolves', operatorName())
    .option('--note <text>', 'resolution note')
    .action((id: string, o: { by: string; note?: string }) =>
      withContext(async (ctx) => {
        const workflowId = toWorkflowId(id);
        const input = { by: o.by, via: 'cli', ...(o.note ? { note: o.note } : {}) } as const;
        out(`resolved ${checked(workflowId, await resolveAlert(ctx.client, workflowId, input, { checkOpen: true }))}`);
      }),
    );

  cmd
    .command('test')
    .description('Raise a test alert through the real routing (channels, escalation, digest)')
    .requiredOption('--severity <severity>', 'critical | warning | info')
    .option('--type <type>', 'alert type', 'test_alert')
    .option('--summary <text>', 'summary', 'eksflow test alert')
    .option('--cluster <name>', 'cluster name')
    .option('--key <dedupKey>', 'dedup key (default: test/<severity>/<time>)')
    .action(async (o: { severity: string; type: string; summary: string; cluster?: string; key?: string }) => {
      // Parsed before connecting anywhere: bad input changes nothing.
      const parsed = alertInputSchema.safeParse({
        severity: o.severity,
        type: o.type,
        summary: o.summary,
        cluster: o.cluster,
        dedupKey: o.key ?? `test/${o.severity}/${new Date().toISOString()}`,
      });
      if (!parsed.success) throw new UsageError(`alerts test: ${z.prettifyError(parsed.error)}`);
      return withContext(async (ctx) => {
        const { workflowId } = await openOrMergeAlert(
          ctx.client,
          { taskQueue: ctx.taskQueue, config: ctx.config, uiBaseUrl: ctx.uiBaseUrl },
          parsed.data,
        );
        out(`raised ${workflowId}`);
      });
    });
}
