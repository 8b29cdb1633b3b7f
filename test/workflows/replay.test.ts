import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/sandbox/processes';

/**
 * Replays histories recorded from real runs (test/fixtures/histories: scaling and interruption runs
 * exported from the sandbox with `temporal workflow show --output json`; alert and controller runs
 * recorded on a dev server with `npx tsx scripts/replay-histories.ts record`) against today's
 * workflow code. A change that would break running workflows — a reordered activity, a removed
 * timer — fails here; guard such changes with `patched()` and keep the old history.
 */
const fixtures = join(REPO_ROOT, 'test', 'fixtures', 'histories');

function replay(dir: string) {
  const res = spawnSync(
    process.execPath,
    [require.resolve('tsx/cli'), join(REPO_ROOT, 'scripts', 'replay-histories.ts'), dir],
    { encoding: 'utf8', timeout: 120_000 },
  );
  // Only the script's JSON lines; the SDK core logs its own warnings to stdout too.
  const lines = res.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { history: string; replay: string; error?: string });
  return { status: res.status, lines, stderr: res.stderr };
}

describe('replay of recorded histories', () => {
  it('replays every recorded history deterministically with the current workflow code', () => {
    const files = readdirSync(fixtures).filter((f) => f.endsWith('.json') && f !== 'workflow-ids.json');
    expect(files.length).toBeGreaterThanOrEqual(9);
    const { status, lines, stderr } = replay(fixtures);
    expect(lines.filter((l) => l.replay !== 'ok')).toEqual([]);
    expect(lines.map((l) => l.history).sort()).toEqual(files.sort());
    expect(status).toBe(0);
    void stderr;
  });

  it('covers every long-lived workflow and each short one with a recorded history', () => {
    const typeOf = (f: string) =>
      (
        JSON.parse(readFileSync(join(fixtures, f), 'utf8')) as {
          events: { workflowExecutionStartedEventAttributes?: { workflowType?: { name: string } } }[];
        }
      ).events[0]!.workflowExecutionStartedEventAttributes!.workflowType!.name;
    const types = new Set(
      readdirSync(fixtures)
        .filter((f) => f.endsWith('.json') && f !== 'workflow-ids.json')
        .map(typeOf),
    );
    // The long-lived ones (a replay break there hurts most: they run for days) and the scaling/interruption runs.
    for (const t of [
      'alertEscalation',
      'clusterController',
      'spotInterruption',
      'scaleUpFleet',
      'scaleUpCluster',
      'scaleNodegroupTo',
      'scaleSelfManagedGroupTo',
    ]) {
      expect(types).toContain(t);
    }
  });

  it('detects a history that no longer matches the code', () => {
    // Drop the first scheduled activity's events from a copy: the code schedules it, the
    // history says otherwise — the replayer must call that non-deterministic.
    const dir = mkdtempSync(join(tmpdir(), 'eksflow-replay-'));
    cpSync(join(fixtures, 'scaleNodegroupTo.json'), join(dir, 'scaleNodegroupTo.json'));
    cpSync(join(fixtures, 'workflow-ids.json'), join(dir, 'workflow-ids.json'));
    const h = JSON.parse(readFileSync(join(dir, 'scaleNodegroupTo.json'), 'utf8')) as {
      events: { eventType: string; activityTaskScheduledEventAttributes?: { activityType?: { name: string } } }[];
    };
    const scheduled = h.events.find((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')!;
    scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'someOtherActivity';
    writeFileSync(join(dir, 'scaleNodegroupTo.json'), JSON.stringify(h));
    const { status, lines } = replay(dir);
    expect(status).toBe(1);
    expect(lines[0]).toMatchObject({ history: 'scaleNodegroupTo.json', replay: 'failed' });
    expect(lines[0]!.error).toMatch(/nondetermin|mismatch|someOtherActivity/i);
  });
});
