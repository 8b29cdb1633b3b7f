import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/sandbox/processes';

/**
 * The real entry points as separate processes (they live here, not in test/unit, because unit
 * tests start no process): bad input gives exit code 2, a clear message and starts nothing.
 */
const dir = mkdtempSync(join(tmpdir(), 'eksflow-entry-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const validCluster = `
clusters:
  - name: prod
    accountId: "123456789012"
    region: ap-south-1
    nodegroups:
      - name: general
        instanceTypes: [m5.large]
        businessHours: { min: 2, desired: 4, max: 8 }
        offHours: { min: 1, desired: 1, max: 8 }
`;

describe('entry points refuse bad input', () => {
  it('the worker refuses a bad config with exit code 2 and starts nothing', () => {
    const path = file('worker-bad.yaml', validCluster.replace('"123456789012"', '"x"'));
    const res = spawnSync(process.execPath, [require.resolve('tsx/cli'), join(REPO_ROOT, 'src', 'worker.ts')], {
      env: { ...process.env, EKSFLOW_CONFIG: path, TEMPORAL_ADDRESS: '127.0.0.1:1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/clusters\[0\]\.accountId: a 12-digit AWS account id/);
    expect(res.stderr).not.toMatch(/worker polling/);
  });

  it('`eksflow config validate` exits 2 on a bad file and 0 on a good one', () => {
    const cli = (f: string) =>
      spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'eksflow.js'), 'config', 'validate', '--file', f], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const good = cli(file('cli-ok.yaml', validCluster));
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/OK — 1 clusters, 1 node groups/);
    const badRes = cli(file('cli-bad.yaml', validCluster.replace('ap-south-1', 'nowhere')));
    expect(badRes.status).toBe(2);
    expect(badRes.stderr).toMatch(/clusters\[0\]\.region/);
  });

  it('`npm run eval:ml` exits with status 2 and the usage on bad arguments', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/eval-ml.ts'), '--bogus'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown option --bogus/);
    expect(result.stderr).toMatch(/usage: eval-ml/);
    expect(result.stdout).toBe('');
  });
});
