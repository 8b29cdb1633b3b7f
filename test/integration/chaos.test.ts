import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runChaos, type ChaosResult } from '../../src/sandbox/chaos';
import { REPO_ROOT } from '../../src/sandbox/processes';

/**
 * The short chaos run (`npm run chaos` is the long one): the production stack as processes —
 * PostgreSQL, the Temporal server on it, three worker processes, the ingress — under a spot burst,
 * alerts and a scale-up, while workers are SIGKILLed and the Temporal server and PostgreSQL are
 * restarted once each. Checked from moto's state and the receivers (src/sandbox/chaos.ts).
 */
const provisioned = ['temporal-server', 'temporal-sql-tool', 'postgres'].every((t) =>
  existsSync(join(REPO_ROOT, '.tools', 'bin', t)),
);

(provisioned ? describe : describe.skip)('chaos: the production stack under load and faults', () => {
  let result: ChaosResult;

  beforeAll(async () => {
    result = await runChaos({
      events: 60,
      raiseEvents: 4,
      alerts: 12,
      clusters: 4,
      workers: 3,
      killEveryMs: 6_000,
      serverRestartAtMs: 8_000,
      dbRestartAtMs: 20_000,
      timeoutMs: 240_000,
      say: (m) => process.stderr.write(`[chaos] ${m}\n`),
    });
    process.stderr.write(`[chaos] ${JSON.stringify(result)}\n`);
  }, 900_000);

  it('injected the faults: workers killed, the Temporal server and PostgreSQL restarted once', () => {
    expect(result.kills).toBeGreaterThan(0);
    expect(result.server_restarts).toBe(1);
    expect(result.db_restarts).toBe(1);
  });

  it('gave every spot event exactly one workflow and one replacement', () => {
    expect(result.evidence.lost ?? []).toEqual([]);
    expect(result.evidence.duplicated ?? []).toEqual([]);
    expect([result.events, result.lost, result.duplicated]).toEqual([60, 0, 0]);
  });

  it('left no Auto Scaling group a unit off, and every node group at its target', () => {
    expect(result.evidence.asg_drift ?? []).toEqual([]);
    expect(result.evidence.nodegroups_off_target ?? []).toEqual([]);
    expect([result.asg_drift, result.nodegroups, result.nodegroups_off_target]).toEqual([0, 16, 0]);
  });

  it('paged once per alert and escalation round', () => {
    expect(result.evidence.alerts_lost ?? []).toEqual([]);
    expect(result.evidence.alerts_duplicated ?? []).toEqual([]);
    expect([result.alerts_lost, result.alerts_duplicated]).toEqual([0, 0]);
  });
});
