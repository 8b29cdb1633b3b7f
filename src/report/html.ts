import { riskRank, type InterruptionRisk } from '../domain/pricing/spot-advisor';
import type { OpportunityAnalysis } from '../domain/spot/opportunities';
import type { PlacementResult } from '../domain/spot/placement';
import { esc, istText, pct, usd } from './escape';
import { categoricalScatter, stackedBarChart } from './svg';
import type { CostReport, ReportBase, SpotReport } from './types';

const STYLE = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#111827;background:#f8fafc}
main{max-width:1100px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#4b5563}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px}.card .v{font-size:20px;font-weight:600}.card .k{color:#6b7280;font-size:12px}
.notice{border-left:4px solid #2563eb;background:#eff6ff;padding:8px 12px;margin:12px 0}.notice.warn{border-color:#d97706;background:#fffbeb}
.notice.bad{border-color:#dc2626;background:#fef2f2}table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e5e7eb;padding:5px 8px;text-align:left;vertical-align:top}th{background:#f3f4f6;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.chart{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px;margin:8px 0}
.chart-title{font-size:13px;font-weight:600;fill:#111827}.grid{stroke:#e5e7eb}.tick{font-size:11px;fill:#4b5563}.axis-label{font-size:12px;fill:#374151}
.legend{font-size:12px;fill:#111827}.pt{fill:#94a3b8;fill-opacity:.75;stroke:#475569}.pt-hi{fill:#16a34a;fill-opacity:.8;stroke:#14532d}
.tag{display:inline-block;padding:0 6px;border-radius:9px;font-size:12px;background:#e5e7eb}.tag.yes{background:#dcfce7}.tag.low{background:#dcfce7}
.tag.medium{background:#fef9c3}.tag.high,.tag.very_high{background:#fee2e2}ul{margin:4px 0 4px 18px;padding:0}small{color:#6b7280}
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>
`;
}

export function card(label: string, value: string): string {
  return `<div class="card"><div class="v">${value}</div><div class="k">${esc(label)}</div></div>`;
}

export function list(items: string[]): string {
  return `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
}

function header(title: string, r: ReportBase): string {
  const priceClass = r.prices.apiReachable === false ? 'notice warn' : 'notice';
  return (
    `<h1>${esc(title)}</h1><div class="meta">Generated ${esc(istText(r.generatedAt))} · spot window ${esc(r.window.hours)} h ` +
    `(${esc(istText(r.window.start))} – ${esc(istText(r.window.end))}) · price trend: ${esc(r.prices.priceModel)}</div>` +
    `<div class="${priceClass}" id="price-source"><strong>Prices:</strong> ${esc(r.prices.summary)}</div>` +
    (r.problems.length > 0
      ? `<div class="notice bad" id="problems"><strong>Could not price or fetch everything:</strong>${list(r.problems)}</div>`
      : '')
  );
}

const RISK_ORDER: InterruptionRisk[] = ['low', 'medium', 'high', 'unknown', 'very_high'];

function riskTag(risk: string): string {
  return `<span class="tag ${esc(risk)}">${esc(risk.replace('_', ' '))}</span>`;
}

export function opportunityScatter(analysis: OpportunityAnalysis): string {
  if (analysis.all.length === 0) return '<p><small>No scored spot pools to chart.</small></p>';
  const sorted = [...analysis.all].sort((a, b) => riskRank(a.interruptionRisk) - riskRank(b.interruptionRisk));
  return `<div class="chart" id="chart-opportunities">${categoricalScatter({
    title: 'Spot opportunities: savings vs interruption risk (green = recommended)',
    categories: RISK_ORDER.map((r) => r.replace('_', ' ')),
    xLabel: 'interruption risk (AWS Spot Advisor bucket)',
    yLabel: 'savings vs On-Demand, %',
    yMin: 0,
    yMax: 100,
    points: sorted.map((o) => ({
      x: RISK_ORDER.indexOf(o.interruptionRisk),
      y: Math.max(0, o.savingsPercent),
      highlight: o.recommended,
      label: `${o.instanceType} ${o.availabilityZone}: ${o.savingsPercent.toFixed(1)}% off, $${o.currentPrice.toFixed(4)}/h, ${o.interruptionLabel}, ${o.priceTrend}, score ${o.opportunityScore.toFixed(0)}`,
    })),
  })}</div>`;
}

function opportunityTable(analysis: OpportunityAnalysis): string {
  const rows = analysis.top
    .map(
      (o) =>
        `<tr><td>${esc(o.instanceType)}</td><td>${esc(o.availabilityZone)}</td><td class="n">${usd(o.currentPrice, 4)}</td><td class="n">${usd(o.onDemandPrice, 4)}</td>` +
        `<td class="n">${pct(o.savingsPercent)}</td><td>${riskTag(o.interruptionRisk)} <small>${esc(o.interruptionLabel)}</small></td><td>${esc(o.priceTrend)}</td>` +
        `<td class="n">${o.volatility.toFixed(3)}</td><td class="n">${usd(o.forecastPrice, 4)} <small>${usd(o.forecastLower, 4)}–${usd(o.forecastUpper, 4)}</small></td><td class="n">${o.opportunityScore.toFixed(1)}</td>` +
        `<td>${o.recommended ? '<span class="tag yes">yes</span>' : 'no'}</td></tr>`,
    )
    .join('');
  return (
    `<table id="opportunities"><thead><tr><th>type</th><th>AZ</th><th class="n">spot $/h</th><th class="n">On-Demand $/h</th><th class="n">savings</th>` +
    `<th>interruption risk</th><th>trend</th><th class="n">volatility</th><th class="n">forecast 24 h <small>(90% interval)</small></th><th class="n">score</th><th>recommended</th></tr></thead><tbody>${rows || '<tr><td colspan="11">No scored pools.</td></tr>'}</tbody></table>`
  );
}

function placementSection(region: string, example: boolean, r: PlacementResult): string {
  const rows = r.allocations
    .map(
      (a) =>
        `<tr><td>${esc(a.instanceType)}</td><td>${esc(a.availabilityZone)}</td><td class="n">${a.count}</td><td class="n">${usd(a.spotPrice, 4)}</td>` +
        `<td class="n">${usd(a.expectedPricePerNode, 4)}</td><td>${riskTag(a.risk)}</td></tr>`,
    )
    .join('');
  return (
    `<h3>${esc(region)}${example ? ' <small>(example request)</small>' : ''}${r.feasible ? '' : ' <span class="tag high">incomplete</span>'}</h3>` +
    list(r.explanation) +
    `<table class="placement"><thead><tr><th>type</th><th>AZ</th><th class="n">nodes</th><th class="n">spot $/h</th><th class="n">expected $/h</th><th>risk</th></tr></thead>` +
    `<tbody>${rows || '<tr><td colspan="6">No pool qualifies.</td></tr>'}</tbody></table>`
  );
}

export function renderSpotReportHtml(r: SpotReport): string {
  const a = r.opportunities;
  const body =
    header('eksflow spot optimization', r) +
    `<div class="cards">${card('pools scored', String(a.totalOpportunities))}${card('recommended (score > 75)', String(a.summary.recommendedCount))}` +
    `${card('high value (score > 80)', String(a.highValueOpportunities))}${card('average savings', pct(a.summary.avgSavingsPercent))}${card('best savings', pct(a.summary.bestSavingsPercent))}</div>` +
    opportunityScatter(a) +
    `<h2>Top ${a.top.length} opportunities</h2>${opportunityTable(a)}` +
    `<p><small>Score = min(savings, 90) + (1 − volatility) × 20 + risk penalty (low 0, medium −10, high −25, very high −40, unknown −15) + trend (decreasing +15, increasing −10); recommended above 75.</small></p>` +
    `<h2>Placement</h2>${r.placements.map((p) => placementSection(p.region, p.example, p.result)).join('') || '<p>No placement requested.</p>'}`;
  return page('eksflow spot optimization', body);
}

const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));

export function renderCostReportHtml(r: CostReport): string {
  const c = r.cost;
  const groups = c.clusters.flatMap((cl) => cl.nodegroups.filter((n) => n.priced).map((n) => ({ cl, n })));
  const chart = stackedBarChart({
    title: 'Cost by node group over a business day (USD per hour, IST)',
    categories: HOURS,
    yLabel: 'USD / hour',
    series: groups.map(({ cl, n }) => ({ name: `${cl.cluster}/${n.nodegroup}`, values: n.businessDayHourly })),
  });
  const clusterRows = c.clusters
    .map((cl) => {
      // A cluster none of whose node groups could be priced shows dashes, not a misleading $0.
      const m = (x: number) => (cl.unpricedNodegroups === cl.nodegroups.length ? '—' : usd(x));
      return (
        `<tr><td>${esc(cl.cluster)}</td><td>${esc(cl.region)}</td><td class="n">${m(cl.hourlyBusiness)}</td><td class="n">${m(cl.hourlyOff)}</td>` +
        `<td class="n">${m(cl.dailyBusinessDay)}</td><td class="n">${m(cl.monthly)}</td><td class="n">${m(cl.timetableSavingsMonthly)}</td>` +
        `<td class="n">${m(cl.spotSavingsMonthly)}</td><td>${cl.unpricedNodegroups > 0 ? `<span class="tag high">${cl.unpricedNodegroups} unpriced</span>` : ''}</td></tr>`
      );
    })
    .join('');
  const groupRows = c.clusters
    .flatMap((cl) =>
      cl.nodegroups.map(
        (n) =>
          `<tr><td>${esc(cl.cluster)}/${esc(n.nodegroup)}</td><td>${esc(n.capacityType)}</td><td>${esc(n.instanceTypes.join(', '))}</td>` +
          `<td class="n">${n.businessNodes} / ${n.offNodes}</td><td class="n">${n.priced ? usd(n.pricePerNodeHour, 4) : '—'}</td><td><small>${esc(n.priceNote)}</small></td>` +
          `<td class="n">${n.priced ? usd(n.monthly) : '—'}</td><td class="n">${n.priced ? usd(n.timetableSavingsMonthly) : '—'}</td><td class="n">${n.priced ? usd(n.spotSavingsMonthly) : '—'}</td></tr>`,
      ),
    )
    .join('');
  const nsRows = (r.namespaceCosts ?? [])
    .flatMap((g) =>
      g.split.map(
        (s) =>
          `<tr><td>${esc(g.cluster)}/${esc(g.nodegroup)}</td><td>${s.namespace === '__idle__' ? '<em>idle (unrequested)</em>' : esc(s.namespace)}</td>` +
          `<td class="n">${s.cpuMillis}m</td><td class="n">${Math.round(s.memoryBytes / 2 ** 20)}Mi</td><td class="n">${(s.share * 100).toFixed(1)}%</td><td class="n">${usd(s.monthly)}</td></tr>`,
      ),
    )
    .join('');
  const recRows = r.recommendations.recommendations
    .map(
      (rec) =>
        `<tr><td>${esc(rec.title)}<br><small>${esc(rec.cluster)} · ${esc(rec.region)}</small></td><td>${esc(rec.detail)}</td>` +
        `<td class="n">${rec.upperBound ? 'up to ' : ''}${usd(rec.estimatedMonthlySavings)}</td><td>${riskTag(rec.risk)}</td></tr>`,
    )
    .join('');
  const body =
    header('eksflow cost analysis', r) +
    `<div class="cards">${card('monthly cost (timetable + spot)', usd(c.monthly))}${card('always-on On-Demand would cost', usd(c.monthlyAlwaysOnOnDemand))}` +
    `${card('saved by the timetable / month', usd(c.timetableSavingsMonthly))}${card('saved by spot / month', usd(c.spotSavingsMonthly))}` +
    `${card('possible further savings / month', usd(r.recommendations.totalEstimatedMonthlySavings))}</div>` +
    `<div class="chart" id="chart-cost-by-hour">${chart}</div>` +
    `<h2>Clusters</h2><table id="clusters"><thead><tr><th>cluster</th><th>region</th><th class="n">$/h business</th><th class="n">$/h off</th><th class="n">$/business day</th>` +
    `<th class="n">$/month</th><th class="n">timetable saves</th><th class="n">spot saves</th><th></th></tr></thead><tbody>${clusterRows}</tbody></table>` +
    `<h2>Node groups</h2><table id="nodegroups"><thead><tr><th>node group</th><th>capacity</th><th>instance types</th><th class="n">nodes business / off</th>` +
    `<th class="n">$/node-hour</th><th>price</th><th class="n">$/month</th><th class="n">timetable saves</th><th class="n">spot saves</th></tr></thead><tbody>${groupRows}</tbody></table>` +
    (nsRows
      ? `<h2>Cost by namespace</h2><table id="namespaces"><thead><tr><th>node group</th><th>namespace</th><th class="n">CPU requested</th><th class="n">memory requested</th><th class="n">share</th><th class="n">$/month</th></tr></thead><tbody>${nsRows}</tbody></table>` +
        `<p><small>Each namespace pays for the share of its node group's allocatable CPU and memory its pods request (equal weight); what no pod requests is idle.</small></p>`
      : '') +
    `<h2>Recommendations</h2><table id="recommendations"><thead><tr><th>change</th><th>why and how</th><th class="n">est. savings / month</th><th>risk</th></tr></thead>` +
    `<tbody>${recRows || '<tr><td colspan="4">Nothing to recommend with the prices at hand.</td></tr>'}</tbody></table>` +
    `<p><small>Recommendations for the same node group are alternatives; the headline figure counts the best one per group.</small></p>` +
    (r.recommendations.notes.length ? `<div class="notice">${list(r.recommendations.notes)}</div>` : '') +
    `<h2>Spot market</h2>${opportunityScatter(r.opportunities)}` +
    `<h2>How this was computed</h2>${list(c.assumptions)}`;
  return page('eksflow cost analysis', body);
}
