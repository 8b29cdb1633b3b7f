import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcessGroup, toolPath, waitForPort } from './processes';

/**
 * Real Prometheus for tests, the benchmark and the sandbox: Debian's `prometheus` (provisioned by scripts/provision.sh) scraping a
 * local exporter whose series the tests control over HTTP. The exporter serves kube-state-metrics /
 * apiserver metric families in the Prometheus text format; a series is a gauge value or a counter
 * that grows at a rate (so `rate()` and `histogram_quantile()` see what the test set).
 */

export interface SeriesSpec {
  name: string;
  labels?: Record<string, string>;
  /** Gauge value, or the counter's value at the moment it is set. */
  value?: number;
  /** Counter growth per second from now on (the value keeps growing monotonically). */
  ratePerSec?: number;
}

interface StoredSeries {
  name: string;
  labels: Record<string, string>;
  base: number;
  ratePerSec: number;
  since: number;
}

const seriesKey = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(',')}}`;

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export interface MetricsExporter {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The exporter: `GET /metrics` (text format), `POST /series` with a SeriesSpec or an array of them
 * (sets / re-bases), `DELETE /series` with `{labels}` (drops every series carrying those labels).
 */
export async function startMetricsExporter(port?: number): Promise<MetricsExporter> {
  const series = new Map<string, StoredSeries>();
  const valueOf = (s: StoredSeries, at: number) => s.base + (s.ratePerSec * (at - s.since)) / 1000;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        if (req.method === 'GET' && req.url === '/metrics') {
          const now = Date.now();
          const byName = new Map<string, string[]>();
          for (const s of series.values()) {
            const labels = Object.entries(s.labels)
              .map(([k, v]) => `${k}="${esc(v)}"`)
              .join(',');
            const line = `${s.name}${labels ? `{${labels}}` : ''} ${valueOf(s, now)}`;
            byName.set(s.name, [...(byName.get(s.name) ?? []), line]);
          }
          const out: string[] = [];
          for (const [name, lines] of byName) {
            const family = name.replace(/_(bucket|sum|count)$/, '');
            out.push(
              `# TYPE ${family} ${/_(bucket|sum|count)$/.test(name) ? 'histogram' : /_total$/.test(name) ? 'counter' : 'gauge'}`,
              ...lines,
            );
          }
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(out.join('\n') + '\n');
          return;
        }
        if (req.url === '/series' && req.method === 'POST') {
          const now = Date.now();
          const specs = JSON.parse(body) as SeriesSpec | SeriesSpec[];
          for (const spec of Array.isArray(specs) ? specs : [specs]) {
            const labels = spec.labels ?? {};
            const key = seriesKey(spec.name, labels);
            const prev = series.get(key);
            const base = spec.value ?? (prev ? valueOf(prev, now) : 0);
            series.set(key, { name: spec.name, labels, base, ratePerSec: spec.ratePerSec ?? 0, since: now });
          }
          res.writeHead(204).end();
          return;
        }
        if (req.url === '/series' && req.method === 'DELETE') {
          const { labels } = JSON.parse(body) as { labels: Record<string, string> };
          for (const [k, s] of series)
            if (Object.entries(labels).every(([l, v]) => s.labels[l] === v)) series.delete(k);
          res.writeHead(204).end();
          return;
        }
        res.writeHead(404).end();
      } catch (err) {
        res.writeHead(400).end((err as Error).message);
      }
    });
  });
  const p = port ?? (await freePort());
  await new Promise<void>((r) => server.listen(p, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${p}`,
    port: p,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Client side of the exporter's control API (tests run in other processes than global setup). */
export function exporterClient(url: string) {
  const call = async (method: string, body: unknown) => {
    const r = await fetch(`${url}/series`, {
      method,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    if (!r.ok) throw new Error(`exporter ${method} /series: ${r.status} ${await r.text()}`);
  };
  return {
    set: (specs: SeriesSpec | SeriesSpec[]) => call('POST', specs),
    drop: (labels: Record<string, string>) => call('DELETE', { labels }),
  };
}

export interface PrometheusServer {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on a free port (or the given one, for a restart on the same data dir), scraping
 * the given targets every `scrapeIntervalSec`. Resolves once the first scrape of every target has
 * landed (5–7 s after start on this machine), polled through the HTTP API.
 */
export async function startPrometheus(opts: {
  targets: string[];
  port?: number;
  dataDir?: string;
  scrapeIntervalSec?: number;
  logFile?: string;
}): Promise<PrometheusServer> {
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'eksflow-prom-'));
  mkdirSync(dataDir, { recursive: true });
  const interval = opts.scrapeIntervalSec ?? 1;
  const configFile = join(dataDir, 'prometheus.yml');
  writeFileSync(
    configFile,
    [
      'global:',
      `  scrape_interval: ${interval}s`,
      `  evaluation_interval: ${interval}s`,
      'scrape_configs:',
      '  - job_name: eksflow-test-exporter',
      '    honor_labels: true',
      '    static_configs:',
      `      - targets: [${opts.targets.map((t) => `'${t.replace(/^https?:\/\//, '')}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(
    toolPath('prometheus'),
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    { stdio: ['ignore', out, out], detached: true },
  );
  const stop = () => stopProcessGroup(child);
  try {
    await waitForPort(port, 30_000, 'prometheus', child);
    const url = `http://127.0.0.1:${port}`;
    await waitForFirstScrape(url, opts.targets.length, 30_000);
    return { url, port, dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls `up` until every target has been scraped once. */
export async function waitForFirstScrape(url: string, targets: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('count(up == 1)')}`);
      const j = (await r.json()) as { data?: { result?: { value: [number, string] }[] } };
      const n = Number(j.data?.result?.[0]?.value[1] ?? 0);
      if (n >= targets) return;
      last = `up==1 for ${n}/${targets} targets`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`prometheus at ${url} did not scrape its targets within ${timeoutMs} ms (${last})`);
}
