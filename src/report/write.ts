import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderCostReportHtml, renderSpotReportHtml } from './html';
import type { AnyReport, WrittenReport } from './types';

/** `2026-07-21T04:30:05Z` → `20260721-100005IST`: the IST wall clock, sortable, safe in a URL. */
export function istStamp(iso: string): string {
  const ist = new Date(new Date(iso).getTime() + 5.5 * 3_600_000).toISOString();
  return `${ist.slice(0, 10).replace(/-/g, '')}-${ist.slice(11, 19).replace(/:/g, '')}IST`;
}

export function renderReportHtml(report: AnyReport): string {
  return report.kind === 'cost' ? renderCostReportHtml(report) : renderSpotReportHtml(report);
}

/** Writes `<kind>-<IST stamp>.json` and `.html` into `dir` (created if needed); returns absolute paths. */
export async function writeReport(dir: string, report: AnyReport): Promise<WrittenReport> {
  const folder = resolve(dir);
  await mkdir(folder, { recursive: true });
  const name = `${report.kind}-${istStamp(report.generatedAt)}`;
  const jsonPath = join(folder, `${name}.json`);
  const htmlPath = join(folder, `${name}.html`);
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(htmlPath, renderReportHtml(report));
  return { htmlPath, jsonPath };
}
