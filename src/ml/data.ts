/**
 * Loaders for the evaluation data formats (NAB series and labels, NAB reference results, EC2 spot
 * price history). Pure parsing over `fs` reads; no network. Where the shared data folder is (and
 * the error when it is absent) is src/data/shared.ts's business.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Splits CSV text into rows of cells. The formats here have no quoted fields, so a plain split is exact. */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) return { header: [], rows: [] };
  const header = lines[0].split(',').map((cell) => cell.trim());
  const rows = lines.slice(1).map((line) => line.split(',').map((cell) => cell.trim()));
  return { header, rows };
}

function columnIndex(header: string[], name: string, file: string): number {
  const index = header.indexOf(name);
  if (index < 0) throw new Error(`${file}: missing column "${name}" (columns: ${header.join(', ')})`);
  return index;
}

/**
 * NAB timestamps carry no zone (`YYYY-MM-DD HH:MM:SS[.ffffff]`); they are read as UTC so that the
 * same text always maps to the same instant regardless of the machine's zone.
 */
export function parseNabTimestamp(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z?$/.exec(text.trim());
  if (!match) throw new Error(`not a NAB timestamp: "${text}"`);
  const [, y, mo, d, h, mi, s, frac] = match;
  const millis = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), millis);
}

export interface TimeSeries {
  name: string;
  /** epoch milliseconds, ascending */
  timestamps: number[];
  values: number[];
}

export function loadNabSeries(file: string): TimeSeries {
  const { header, rows } = parseCsv(fs.readFileSync(file, 'utf8'));
  const ti = columnIndex(header, 'timestamp', file);
  const vi = columnIndex(header, 'value', file);
  const timestamps: number[] = [];
  const values: number[] = [];
  for (const row of rows) {
    const value = Number(row[vi]);
    if (!Number.isFinite(value)) throw new Error(`${file}: non-numeric value "${row[vi]}"`);
    timestamps.push(parseNabTimestamp(row[ti]));
    values.push(value);
  }
  return { name: path.basename(file), timestamps, values };
}

/**
 * The series files of a NAB data folder: every *.csv whose header is `timestamp,value` (other
 * CSVs beside them are not series), sorted by name for a stable order.
 */
export function listNabSeriesFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.toLowerCase().endsWith('.csv'))
    .sort()
    .map((name) => path.join(dir, name))
    .filter((file) => hasNabHeader(file));
}

function hasNabHeader(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(256);
    const length = fs.readSync(fd, buffer, 0, buffer.length, 0);
    const header = buffer
      .toString('utf8', 0, length)
      .split(/\r?\n/)[0]
      .split(',')
      .map((cell) => cell.trim());
    return header.includes('timestamp') && header.includes('value');
  } finally {
    fs.closeSync(fd);
  }
}

/** Label windows as epoch-ms pairs, both ends inclusive. */
export type TimeWindow = [number, number];

/**
 * Reads a NAB windows file (`labels_windows.json` or NAB's `combined_windows.json`) into a lookup
 * by file base name, since the keys carry the corpus folder (`realAWSCloudwatch/<name>.csv`).
 */
export function loadNabWindows(file: string): Record<string, TimeWindow[]> {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, [string, string][]>;
  const byName: Record<string, TimeWindow[]> = {};
  for (const [key, windows] of Object.entries(raw)) {
    byName[path.basename(key)] = windows.map(([start, end]) => [parseNabTimestamp(start), parseNabTimestamp(end)]);
  }
  return byName;
}

/** NAB's HTM per-row output (`reference-results/numenta_<name>.csv`). */
export interface NabDetectorRows {
  timestamps: number[];
  anomalyScores: number[];
  /** the pre-2019 scorer's per-row contributions, keyed by profile */
  contributions: Record<string, number[]>;
}

export function loadNabDetectorRows(file: string): NabDetectorRows {
  const { header, rows } = parseCsv(fs.readFileSync(file, 'utf8'));
  const ti = columnIndex(header, 'timestamp', file);
  const si = columnIndex(header, 'anomaly_score', file);
  const contributionColumns = header.filter((name) => name.startsWith('S(t)_'));
  const contributions: Record<string, number[]> = {};
  for (const name of contributionColumns) contributions[name.slice('S(t)_'.length)] = [];
  const timestamps: number[] = [];
  const anomalyScores: number[] = [];
  for (const row of rows) {
    timestamps.push(parseNabTimestamp(row[ti]));
    anomalyScores.push(Number(row[si]));
    for (const name of contributionColumns) {
      contributions[name.slice('S(t)_'.length)].push(Number(row[header.indexOf(name)]));
    }
  }
  return { timestamps, anomalyScores, contributions };
}

export interface NabPerFileScore {
  detector: string;
  profile: string;
  file: string;
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  totalCount: number;
}

export function loadNabPerFileScores(file: string): NabPerFileScore[] {
  const { header, rows } = parseCsv(fs.readFileSync(file, 'utf8'));
  const col = (name: string) => columnIndex(header, name, file);
  const [d, p, f, th, s, tp, tn, fp, fn, tc] = [
    'Detector',
    'Profile',
    'File',
    'Threshold',
    'Score',
    'TP',
    'TN',
    'FP',
    'FN',
    'Total_Count',
  ].map(col);
  return rows.map((row) => ({
    detector: row[d],
    profile: row[p],
    file: path.basename(row[f]),
    threshold: Number(row[th]),
    score: Number(row[s]),
    tp: Number(row[tp]),
    tn: Number(row[tn]),
    fp: Number(row[fp]),
    fn: Number(row[fn]),
    totalCount: Number(row[tc]),
  }));
}

/** `thresholds.json`: detector → profile → { threshold, score }. */
export function loadNabThresholds(file: string): Record<string, Record<string, { threshold: number; score: number }>> {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export interface SpotPriceRow {
  /** epoch ms */
  t: number;
  availabilityZone: string;
  instanceType: string;
  price: number;
}

/** Reads `describe-spot-price-history` rows flattened to CSV (one row per price change). */
export function loadSpotPrices(file: string): SpotPriceRow[] {
  const { header, rows } = parseCsv(fs.readFileSync(file, 'utf8'));
  const ti = columnIndex(header, 'timestamp', file);
  const ai = columnIndex(header, 'availability_zone', file);
  const ii = columnIndex(header, 'instance_type', file);
  const pi = columnIndex(header, 'spot_price_usd', file);
  return rows.map((row, line) => {
    const t = Date.parse(row[ti]);
    const price = Number(row[pi]);
    if (!Number.isFinite(t) || !Number.isFinite(price)) {
      throw new Error(`${file}: row ${line + 2} has a bad timestamp or price`);
    }
    return { t, availabilityZone: row[ai], instanceType: row[ii], price };
  });
}

/** Groups price changes into one time-ordered history per (instance type, AZ), keyed `type/az`. */
export function groupSpotHistories(rows: SpotPriceRow[]): Record<string, { t: number; price: number }[]> {
  const groups: Record<string, { t: number; price: number }[]> = {};
  for (const row of rows) {
    const key = `${row.instanceType}/${row.availabilityZone}`;
    (groups[key] ??= []).push({ t: row.t, price: row.price });
  }
  for (const history of Object.values(groups)) history.sort((a, b) => a.t - b.t);
  return groups;
}
