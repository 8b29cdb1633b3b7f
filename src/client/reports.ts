import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { NotFoundError } from '../errors';
import type { CostAnalysisInput, SpotOptimizationInput } from '../../activities/cost';

/**
 * Client-side helpers of the cost and spot reports: start a report run (the `costAnalysis` /
 * `spotOptimization` workflows, as the 10:00 and 11:00 schedules do) and read the reports folder
 * the workers write into. Shared by the operator API, the status page and SNS manual triggers.
 */

export type ReportKind = 'cost' | 'spot';

export interface ReportFile {
  /** `<kind>-<YYYYMMDD-HHMMSS>IST`, the name without extension. */
  id: string;
  kind: ReportKind;
  generatedAt: string;
  json: string;
  html: string;
}

const REPORT_NAME = /^(cost|spot)-(\d{8}-\d{6}IST)\.json$/;

/** Report ids are file names the workers chose: only this shape is ever read, so no path escapes the folder. */
export const REPORT_ID = /^(cost|spot)-\d{8}-\d{6}IST$/;

/** The reports in the folder, newest first. */
export async function listReports(dir: string, kind?: ReportKind): Promise<ReportFile[]> {
  const folder = resolve(dir);
  const names = await readdir(folder).catch(() => [] as string[]);
  const out: ReportFile[] = [];
  for (const name of names) {
    const m = REPORT_NAME.exec(name);
    if (!m || (kind && m[1] !== kind)) continue;
    const id = name.slice(0, -'.json'.length);
    const info = await stat(join(folder, name));
    out.push({
      id,
      kind: m[1] as ReportKind,
      generatedAt: info.mtime.toISOString(),
      json: join(folder, name),
      html: join(folder, `${id}.html`),
    });
  }
  return out.sort((a, b) => b.id.slice(5).localeCompare(a.id.slice(5)));
}

/** One report's JSON (NotFoundError for an unknown id). */
export async function readReport(dir: string, id: string): Promise<unknown> {
  if (!REPORT_ID.test(id)) throw new NotFoundError(`no report "${id}"`);
  try {
    return JSON.parse(await readFile(join(resolve(dir), `${id}.json`), 'utf8')) as unknown;
  } catch {
    throw new NotFoundError(`no report "${id}"`);
  }
}

/** One report's HTML page (NotFoundError for an unknown id). */
export async function readReportHtml(dir: string, id: string): Promise<string> {
  if (!REPORT_ID.test(id)) throw new NotFoundError(`no report "${id}"`);
  try {
    return await readFile(join(resolve(dir), `${id}.html`), 'utf8');
  } catch {
    throw new NotFoundError(`no report "${id}"`);
  }
}

/** Starts a cost or spot report run now; the workflow writes the report and announces it. */
export function startReportRun(
  client: Client,
  opts: { taskQueue: string; kind: ReportKind; input: CostAnalysisInput | SpotOptimizationInput; by: string },
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const workflowType = opts.kind === 'cost' ? 'costAnalysis' : 'spotOptimization';
  return client.workflow.start(workflowType, {
    taskQueue: opts.taskQueue,
    workflowId: `${opts.kind}-report/manual-${Date.now()}`,
    args: [opts.input],
    memo: { requestedBy: opts.by },
  });
}
