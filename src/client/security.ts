import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatIssues, parseConfig } from '../config/load';
import { suppressionSchema } from '../config/security';
import type { SecurityScanReport } from '../domain/security/scan';
import { SEVERITY_ORDER, type FindingSeverity } from '../domain/security/types';
import type { SecurityScanInput, SecurityScanResult } from '../../workflows/security/messages';

export const SECURITY_SCAN_WORKFLOW = 'securityScans';

/** Workflow id of an on-demand scan: `security-scan/manual/<ISO time>` (the schedule uses its own ids). */
export function manualScanId(now: Date): string {
  return `security-scan/manual/${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

/** Starts a security scan and, unless `wait` is false, waits for its summary. */
export async function runSecurityScan(
  client: Client,
  opts: { taskQueue: string; input: SecurityScanInput; now?: Date; wait?: boolean },
): Promise<{ workflowId: string; result?: SecurityScanResult }> {
  const workflowId = manualScanId(opts.now ?? new Date());
  const handle = await client.workflow.start<(i: SecurityScanInput) => Promise<SecurityScanResult>>(
    SECURITY_SCAN_WORKFLOW,
    {
      taskQueue: opts.taskQueue,
      workflowId,
      args: [opts.input],
    },
  );
  if (opts.wait === false) return { workflowId };
  return { workflowId, result: await handle.result() };
}

/** The latest scan report in the reports folder (`security-latest.json`); undefined before the first scan. */
export function latestSecurityReport(dir: string): SecurityScanReport | undefined {
  const p = join(resolve(dir), 'security-latest.json');
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as SecurityScanReport;
}

/** Open findings at or above `severity`, optionally only the ones new in that scan. */
export function openFindings(
  report: SecurityScanReport,
  opts: { severity: FindingSeverity; onlyNew?: boolean },
): SecurityScanReport['findings'] {
  const floor = SEVERITY_ORDER[opts.severity];
  return report.findings.filter((f) => SEVERITY_ORDER[f.severity] <= floor && (!opts.onlyNew || f.status === 'new'));
}

/**
 * Adds a suppression to config text (YAML), keeping its comments; the whole config is validated
 * before and after, so an invalid result is never returned.
 */
export function addSuppressionToText(
  text: string,
  entry: unknown,
  source: string,
): { text: string; added: z.infer<typeof suppressionSchema>; total: number } {
  const parsed = suppressionSchema.safeParse(entry);
  if (!parsed.success)
    throw new ConfigError(
      `suppression is invalid:\n  ${formatIssues(parsed.error).join('\n  ')}`,
      formatIssues(parsed.error),
    );
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ConfigError(`${source}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  parseConfig(doc.toJS(), source); // the config must be valid before we touch it
  const list = (doc.getIn(['security', 'suppress']) as { toJSON(): unknown[] } | undefined)?.toJSON() ?? [];
  const next = [...(list as unknown[]), parsed.data];
  if (!doc.has('security')) doc.set('security', doc.createNode({}));
  doc.setIn(['security', 'suppress'], doc.createNode(next));
  parseConfig(doc.toJS(), source);
  return { text: doc.toString(), added: parsed.data, total: next.length };
}
