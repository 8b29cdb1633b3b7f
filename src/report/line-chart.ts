import { esc } from './escape';

/** A self-contained SVG line chart of one series with marked points (the anomaly report's chart). */
export function lineChartSvg(opts: {
  points: { t: number; v: number }[];
  marks: { t: number; v: number }[];
  title: string;
  yLabel: string;
  width?: number;
  height?: number;
}): string {
  const w = opts.width ?? 720;
  const h = opts.height ?? 260;
  const pad = { l: 56, r: 16, t: 28, b: 36 };
  const pts = opts.points;
  if (pts.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><text x="10" y="20">${esc(opts.title)}: no data</text></svg>`;
  const t0 = pts[0].t;
  const t1 = Math.max(pts[pts.length - 1].t, t0 + 1);
  const step = pts.length > 1 ? (t1 - t0) / (pts.length - 1) : 60_000;
  const vs = pts.map((p) => p.v);
  let v0 = Math.min(...vs);
  let v1 = Math.max(...vs);
  if (v1 === v0) {
    v0 -= 1;
    v1 += 1;
  }
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (w - pad.l - pad.r);
  const y = (v: number) => h - pad.b - ((v - v0) / (v1 - v0)) * (h - pad.t - pad.b);
  const line = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const fmtT = (t: number) => new Date(t).toISOString().slice(11, 16);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => t0 + f * (t1 - t0));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(opts.title)}">`,
    `<text x="${pad.l}" y="18" font-family="sans-serif" font-size="13">${esc(opts.title)}</text>`,
    `<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#999"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" stroke="#999"/>`,
    `<text x="4" y="${pad.t + 4}" font-family="sans-serif" font-size="10">${esc(v1.toPrecision(4))}</text>`,
    `<text x="4" y="${h - pad.b}" font-family="sans-serif" font-size="10">${esc(v0.toPrecision(4))}</text>`,
    `<text x="4" y="${h / 2}" font-family="sans-serif" font-size="10">${esc(opts.yLabel)}</text>`,
    ...ticks.map(
      (t) => `<text x="${x(t) - 14}" y="${h - 18}" font-family="sans-serif" font-size="10">${fmtT(t)}</text>`,
    ),
    `<path d="${line}" fill="none" stroke="#2563eb" stroke-width="1.5"/>`,
    ...opts.marks
      // A mark may carry the raw sample time while the re-read series is period-aligned: allow one
      // step of slack on each side and clamp it onto the chart.
      .filter((m) => m.t >= t0 - step && m.t <= t1 + step)
      .map(
        (m) =>
          `<circle cx="${x(Math.min(t1, Math.max(t0, m.t))).toFixed(1)}" cy="${y(m.v).toFixed(1)}" r="4" fill="#dc2626"><title>${esc(`${new Date(m.t).toISOString()} ${m.v}`)}</title></circle>`,
      ),
    '</svg>',
  ].join('');
}
