import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { MetricsRegistry } from './registry';

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /metrics` on one port: eksflow's registry followed by the exposition of the Temporal SDK
 * runtime's own Prometheus exporter when one is given (the worker binds that exporter to a
 * loopback port and this server concatenates, so Prometheus scrapes one target per process). The
 * two never share a metric name (`eksflow_`/Node.js process metrics here, `temporal_` there).
 */
export async function startMetricsServer(opts: {
  registry: MetricsRegistry;
  port: number;
  host?: string;
  /** The SDK runtime's exporter, e.g. `http://127.0.0.1:40123/metrics`. */
  temporalMetricsUrl?: string;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void exposition(opts.registry, opts.temporalMetricsUrl).then(
      (body) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** eksflow's registry, then the Temporal exporter's text (left out, with a comment, when it does not answer). */
export async function exposition(registry: MetricsRegistry, temporalMetricsUrl?: string): Promise<string> {
  const own = await registry.text();
  if (!temporalMetricsUrl) return own;
  try {
    const res = await fetch(temporalMetricsUrl, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return `${own}\n# temporal exporter: HTTP ${res.status}\n`;
    return `${own}\n${await res.text()}`;
  } catch (err) {
    return `${own}\n# temporal exporter unreachable: ${(err as Error).message.replace(/\n/g, ' ')}\n`;
  }
}

/** A free loopback port for the SDK runtime's exporter (which takes an address, not port 0). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
