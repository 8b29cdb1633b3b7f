import { esc } from './escape';

/** Colours that stay distinguishable for the first ten series; later ones cycle. */
export const PALETTE = [
  '#2563eb',
  '#f97316',
  '#16a34a',
  '#dc2626',
  '#9333ea',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
  '#65a30d',
];

export interface StackedSeries {
  name: string;
  values: number[];
}

function niceMax(x: number): number {
  if (x <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(x));
  const n = x / magnitude;
  const step = n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10;
  return step * magnitude;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  if (v >= 100) return v.toFixed(0);
  if (v >= 1) return v.toFixed(2).replace(/\.?0+$/, '');
  if (v >= 0.001) return v.toFixed(4).replace(/\.?0+$/, '');
  return v.toPrecision(2);
}

/**
 * Stacked bars, one per category (e.g. the 24 IST hours), one colour per series (e.g. node group).
 * Pure SVG with <title> tooltips, so the report needs no script.
 */
export function stackedBarChart(opts: {
  categories: string[];
  series: StackedSeries[];
  yLabel: string;
  title: string;
  width?: number;
  height?: number;
}): string {
  const width = opts.width ?? 860;
  // Legend entries get room for their longest name (about 7 px a character at 12 px).
  const longest = Math.max(8, ...opts.series.map((se) => se.name.length));
  const perRow = Math.max(1, Math.min(4, Math.floor((width - 80) / (longest * 7 + 28))));
  const legendRows = Math.ceil(opts.series.length / perRow);
  const height = (opts.height ?? 320) + legendRows * 18;
  const m = { left: 64, right: 16, top: 28, bottom: 40 + legendRows * 18 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const totals = opts.categories.map((_, i) => opts.series.reduce((s, se) => s + (se.values[i] ?? 0), 0));
  const yMax = niceMax(Math.max(0, ...totals));
  const y = (v: number) => m.top + plotH - (v / yMax) * plotH;
  const band = plotW / Math.max(1, opts.categories.length);
  const parts: string[] = [];
  parts.push(`<text x="${m.left}" y="16" class="chart-title">${esc(opts.title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(fmtTick(v))}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${esc(opts.yLabel)}</text>`,
  );
  opts.categories.forEach((cat, i) => {
    let acc = 0;
    const x = m.left + i * band + band * 0.12;
    const w = band * 0.76;
    opts.series.forEach((se, s) => {
      const v = se.values[i] ?? 0;
      if (v <= 0) return;
      const top = y(acc + v);
      const h = y(acc) - top;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}" fill="${PALETTE[s % PALETTE.length]}"><title>${esc(`${se.name} @ ${cat}: ${fmtTick(v)}`)}</title></rect>`,
      );
      acc += v;
    });
    if (opts.categories.length <= 24 || i % 2 === 0) {
      parts.push(
        `<text x="${(m.left + i * band + band / 2).toFixed(1)}" y="${m.top + plotH + 14}" text-anchor="middle" class="tick">${esc(cat)}</text>`,
      );
    }
  });
  opts.series.forEach((se, s) => {
    const lx = m.left + (s % perRow) * (plotW / perRow);
    const ly = m.top + plotH + 32 + Math.floor(s / perRow) * 18;
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${PALETTE[s % PALETTE.length]}"/>`);
    parts.push(`<text x="${lx + 14}" y="${ly}" class="legend">${esc(se.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(opts.title)}">${parts.join('')}</svg>`;
}

export interface ScatterPoint {
  /** Index of the x category. */
  x: number;
  y: number;
  label: string;
  highlight: boolean;
}

/**
 * A scatter over categorical x (e.g. interruption risk) and numeric y (e.g. savings %); points of
 * the same category are spread sideways in a fixed pattern so they do not hide each other.
 */
export function categoricalScatter(opts: {
  categories: string[];
  points: ScatterPoint[];
  yLabel: string;
  xLabel: string;
  title: string;
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
}): string {
  const width = opts.width ?? 860;
  const height = opts.height ?? 340;
  const m = { left: 64, right: 16, top: 28, bottom: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const ys = opts.points.map((p) => p.y);
  const yMin = opts.yMin ?? Math.min(0, ...ys);
  const yMax = opts.yMax ?? niceMax(Math.max(1, ...ys));
  const y = (v: number) => m.top + plotH - ((v - yMin) / (yMax - yMin || 1)) * plotH;
  const band = plotW / Math.max(1, opts.categories.length);
  const parts: string[] = [];
  parts.push(`<text x="${m.left}" y="16" class="chart-title">${esc(opts.title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = yMin + ((yMax - yMin) * k) / 4;
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(fmtTick(v))}</text>`,
    );
  }
  opts.categories.forEach((cat, i) => {
    parts.push(
      `<text x="${(m.left + i * band + band / 2).toFixed(1)}" y="${m.top + plotH + 16}" text-anchor="middle" class="tick">${esc(cat)}</text>`,
    );
  });
  parts.push(
    `<text x="${m.left + plotW / 2}" y="${height - 8}" text-anchor="middle" class="axis-label">${esc(opts.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${esc(opts.yLabel)}</text>`,
  );
  const seen = new Map<number, number>();
  for (const p of opts.points) {
    const k = seen.get(p.x) ?? 0;
    seen.set(p.x, k + 1);
    // Golden-ratio spread inside the middle 70% of the band: deterministic and even.
    const offset = (((k * 0.618034) % 1) - 0.5) * band * 0.7;
    const cx = m.left + p.x * band + band / 2 + offset;
    parts.push(
      `<circle cx="${cx.toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="4.5" class="${p.highlight ? 'pt-hi' : 'pt'}"><title>${esc(p.label)}</title></circle>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(opts.title)}">${parts.join('')}</svg>`;
}
