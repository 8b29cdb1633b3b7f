import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SecurityScanReport } from '../domain/security/scan';
import type { Finding } from '../domain/security/types';
import { esc, istText } from './escape';
import { card, list, page } from './html';
import type { WrittenReport } from './types';
import { istStamp } from './write';

const SEVERITY_STYLE =
  '<style>.sev{display:inline-block;padding:0 6px;border-radius:9px;font-size:12px}.sev.critical{background:#fecaca}.sev.high{background:#fed7aa}.sev.medium{background:#fef9c3}.sev.low{background:#e0f2fe}.sev.informational{background:#e5e7eb}.st-new{font-weight:600;color:#b91c1c}</style>';

const sev = (s: string) => `<span class="sev ${esc(s)}">${esc(s)}</span>`;

function findingRows(findings: (Finding & { status?: string })[], withStatus: boolean): string {
  return findings
    .map(
      (f) =>
        `<tr id="${esc(f.id)}">${withStatus ? `<td class="st-${esc(f.status ?? '')}">${esc(f.status ?? '')}</td>` : ''}<td>${sev(f.severity)}</td>` +
        `<td><strong>${esc(f.title)}</strong><br><small>${esc(f.id)}</small></td><td>${esc(f.resource)}<br><small>${esc(f.scope)} · ${esc(f.source)}</small></td>` +
        `<td>${esc(f.evidence)}</td><td><small>${esc(f.remediation)}</small></td></tr>`,
    )
    .join('');
}

function table(id: string, findings: (Finding & { status?: string })[], withStatus: boolean, empty: string): string {
  const head = `${withStatus ? '<th>status</th>' : ''}<th>severity</th><th>finding</th><th>resource</th><th>evidence</th><th>remediation</th>`;
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>${findingRows(findings, withStatus) || `<tr><td colspan="${withStatus ? 6 : 5}">${esc(empty)}</td></tr>`}</tbody></table>`;
}

export function renderSecurityReportHtml(r: SecurityScanReport): string {
  const newCount = r.findings.filter((f) => f.status === 'new').length;
  const body =
    SEVERITY_STYLE +
    `<h1>eksflow security scan</h1><div class="meta">Scan ${esc(r.scanId)} · generated ${esc(istText(r.generatedAt))} · ${r.scopes.length} cluster(s): ${esc(r.scopes.join(', '))}` +
    ` · compared with ${r.previousScanId ? esc(r.previousScanId) : 'no previous scan'}</div>` +
    `<div class="notice" id="version-table">Kubernetes support dates: <a href="${esc(r.versionTable.source)}">${esc(r.versionTable.source)}</a>, table of ${esc(r.versionTable.date)} (${r.versionTable.ageDays} days old).</div>` +
    (r.problems.length > 0
      ? `<div class="notice bad" id="problems"><strong>Could not check everything:</strong>${list(r.problems)}</div>`
      : '') +
    `<div class="cards">${card('critical', String(r.counts.critical))}${card('high', String(r.counts.high))}${card('medium', String(r.counts.medium))}` +
    `${card('low', String(r.counts.low))}${card('new since last scan', String(newCount))}${card('resolved', String(r.resolved.length))}${card('suppressed', String(r.suppressed.length))}</div>` +
    `<h2>Open findings</h2>${table('findings', r.findings, true, 'No open findings.')}` +
    `<h2>Resolved since the previous scan</h2>${table('resolved', r.resolved, false, 'Nothing resolved.')}` +
    (r.notRescanned.length > 0
      ? `<h2>Not rescanned (the cluster could not be read this time)</h2>${table('not-rescanned', r.notRescanned, false, '')}`
      : '') +
    `<h2>Suppressed</h2><table id="suppressed"><thead><tr><th>finding</th><th>reason</th><th>until</th></tr></thead><tbody>` +
    (r.suppressed
      .map(
        (s) =>
          `<tr><td>${esc(s.finding.id)}</td><td>${esc(s.suppression.reason)}</td><td>${esc(s.suppression.until)}</td></tr>`,
      )
      .join('') || '<tr><td colspan="3">None.</td></tr>') +
    `</tbody></table>` +
    (r.expiredSuppressions.length > 0
      ? `<h2>Expired suppressions</h2>${list(r.expiredSuppressions.map((s) => `${s.id}${s.resource ? ` on ${s.resource}` : ''}: expired ${s.until} (${s.reason})`))}`
      : '') +
    (r.unusedSuppressions.length > 0
      ? `<h2>Suppressions that matched nothing</h2>${list(r.unusedSuppressions.map((s) => `${s.id}${s.resource ? ` on ${s.resource}` : ''} (until ${s.until})`))}`
      : '');
  return page('eksflow security scan', body);
}

/** Writes `security-<IST stamp>.json` and `.html` into `dir`; returns absolute paths. */
export async function writeSecurityReport(dir: string, report: SecurityScanReport): Promise<WrittenReport> {
  const folder = resolve(dir);
  await mkdir(folder, { recursive: true });
  const name = `security-${istStamp(report.generatedAt)}`;
  const jsonPath = join(folder, `${name}.json`);
  const htmlPath = join(folder, `${name}.html`);
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(htmlPath, renderSecurityReportHtml(report));
  return { htmlPath, jsonPath };
}
