import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { z } from 'zod';
import { connectClient } from '../client';
import { addSuppressionToText, latestSecurityReport, openFindings, runSecurityScan } from '../client/security';
import { readEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import type { suppressionSchema } from '../config/security';
import type { SecurityScanReport } from '../domain/security/scan';
import { SEVERITIES, type FindingSeverity } from '../domain/security/types';
import { checkClusterNames, UsageError } from './usage-error';

function latestReport(dir: string): SecurityScanReport {
  const report = latestSecurityReport(dir);
  if (!report)
    throw new UsageError(`no security scan report in ${resolve(dir)} yet: run \`eksflow security scan\` first`);
  return report;
}

/** Adds a suppression to the config file, keeping its comments; the whole config is validated before writing. */
export function addSuppression(
  path: string,
  entry: unknown,
): { added: z.infer<typeof suppressionSchema>; total: number } {
  loadConfigFile(path); // the file must be valid before we touch it (its own error names the file)
  const { text, added, total } = addSuppressionToText(readFileSync(path, 'utf8'), entry, path);
  writeFileSync(path, text);
  return { added, total };
}

export function registerSecurityCommands(program: Command): void {
  const security = program
    .command('security')
    .description('Nightly security scan (03:00 IST): findings, report, suppressions');

  security
    .command('scan')
    .description('Run a security scan now (the securityScans workflow) and print its summary')
    .option('-c, --cluster <name...>', 'only these clusters (default: all)')
    .option('--no-wait', 'start the scan and return its workflow id')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { cluster?: string[]; wait: boolean; json?: boolean }) => {
      const env = readEnv();
      const config = loadConfigFile(env.EKSFLOW_CONFIG);
      checkClusterNames(config, opts.cluster);
      const client = await connectClient(env);
      try {
        const { workflowId, result } = await runSecurityScan(client, {
          taskQueue: env.TEMPORAL_TASK_QUEUE,
          input: opts.cluster ? { clusters: opts.cluster } : {},
          wait: opts.wait,
        });
        if (!result) {
          process.stdout.write(`started ${workflowId}\n`);
          return;
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          process.stdout.write(`${result.headline}\n`);
          for (const f of result.newFindings)
            process.stdout.write(`  NEW ${f.severity.padEnd(13)} ${f.title} (${f.resource})\n`);
          for (const p of result.problems) process.stdout.write(`  problem: ${p}\n`);
          process.stdout.write(
            `report: ${result.htmlPath}\njson:   ${result.jsonPath}\nworkflow: ${workflowId}${result.alerted ? ' (alert raised)' : ''}\n`,
          );
        }
      } finally {
        await client.connection.close();
      }
    });

  security
    .command('findings')
    .description('Open findings of the latest scan (from the reports folder)')
    .option('-o, --out <dir>', 'reports folder (default EKSFLOW_REPORTS_DIR)')
    .option('--severity <level>', `lowest severity to show (${SEVERITIES.join(', ')})`, 'low')
    .option('--new', 'only findings new in the latest scan')
    .option('--json', 'print as JSON')
    .action((opts: { out?: string; severity: string; new?: boolean; json?: boolean }) => {
      if (!(SEVERITIES as readonly string[]).includes(opts.severity))
        throw new UsageError(`--severity must be one of ${SEVERITIES.join(', ')}, got "${opts.severity}"`);
      const report = latestReport(opts.out ?? readEnv().EKSFLOW_REPORTS_DIR);
      const shown = openFindings(report, { severity: opts.severity as FindingSeverity, onlyNew: opts.new });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `scan ${report.scanId} (${report.generatedAt}): ${shown.length} of ${report.findings.length} open finding(s); ${report.resolved.length} resolved, ${report.suppressed.length} suppressed\n`,
      );
      for (const f of shown)
        process.stdout.write(
          `${f.status === 'new' ? 'NEW ' : '    '}${f.severity.padEnd(13)} ${f.id}\n      ${f.evidence}\n      fix: ${f.remediation}\n`,
        );
      for (const s of report.expiredSuppressions)
        process.stdout.write(
          `expired suppression: ${s.id}${s.resource ? ` on ${s.resource}` : ''} (until ${s.until}: ${s.reason})\n`,
        );
    });

  security
    .command('suppress <id>')
    .description('Accept a finding (or a rule, optionally on one resource) until a date; written to the config file')
    .requiredOption('--reason <text>', 'why it is accepted')
    .requiredOption('--until <date>', 'YYYY-MM-DD or ISO time; after it the finding counts again')
    .option('--resource <id>', 'with a rule id: only this resource')
    .option('-f, --file <path>', 'config file (default EKSFLOW_CONFIG)')
    .action((id: string, opts: { reason: string; until: string; resource?: string; file?: string }) => {
      const path = opts.file ?? readEnv().EKSFLOW_CONFIG;
      const { added, total } = addSuppression(path, {
        id,
        reason: opts.reason,
        until: opts.until,
        ...(opts.resource ? { resource: opts.resource } : {}),
      });
      process.stdout.write(
        `${path}: suppressed ${added.id}${added.resource ? ` on ${added.resource}` : ''} until ${added.until} (${total} suppression(s)); workers pick it up at their next start or config reload\n`,
      );
    });
}
