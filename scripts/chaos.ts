/**
 * `npm run chaos`: the production stack (src/sandbox/stack.ts) under the 1,000-event spot burst,
 * 200 alerts and the scale-up of 50 clusters, while workers are SIGKILLed every few seconds and the
 * Temporal server and PostgreSQL are restarted once each (src/sandbox/chaos.ts). Prints one JSON
 * line on stdout; progress and, for any non-zero, its evidence go to stderr.
 *   CHAOS_EVENTS, CHAOS_ALERTS, CHAOS_CLUSTERS, CHAOS_KILL_EVERY_MS override the sizes;
 *   workers load one workflow bundle built before they start, as the production image does
 *   (CHAOS_SOURCE_BUNDLE=1: each worker bundles the workflow sources at start, as in development).
 */
import { runChaos } from '../src/sandbox/chaos';

const n = (name: string, dflt: number) => Number(process.env[name] ?? dflt);

async function main(): Promise<void> {
  const events = n('CHAOS_EVENTS', 1000);
  const result = await runChaos({
    events,
    raiseEvents: Math.max(1, Math.round(events / 20)),
    alerts: n('CHAOS_ALERTS', 200),
    clusters: n('CHAOS_CLUSTERS', 50),
    workers: 3,
    killEveryMs: n('CHAOS_KILL_EVERY_MS', 8_000),
    prebuiltBundle: process.env.CHAOS_SOURCE_BUNDLE !== '1',
    serverRestartAtMs: 30_000,
    dbRestartAtMs: 70_000,
    timeoutMs: n('CHAOS_TIMEOUT_MS', 20 * 60_000),
    say: (m) => process.stderr.write(`[chaos] ${m}\n`),
  });
  const { evidence, ...line } = result;
  process.stderr.write(`[chaos] evidence: ${JSON.stringify(evidence, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`chaos failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
