/**
 * `npm run bench:cli`: start-up of the compiled CLI (`node dist/src/cli/main.js --help`, built by
 * `npm run build` first), against a bare `node -e 0` on this machine (the ceiling nothing beats).
 * Prints one JSON line: cold (first run), warm median (of the next runs), and the ceiling's median.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);

function timeOnce(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${String(r.stderr)}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!existsSync(cli)) {
  process.stderr.write('bench:cli: dist/src/cli/main.js is missing: run `npm run build` first\n');
  process.exit(2);
}
const cold = timeOnce([cli, '--help']);
const warm = Array.from({ length: RUNS }, () => timeOnce([cli, '--help']));
const ceiling = Array.from({ length: RUNS }, () => timeOnce(['-e', '0']));
process.stdout.write(
  `${JSON.stringify({
    bench: 'cli',
    help_ms: Math.round(median(warm)),
    cold_ms: Math.round(cold),
    ceiling_ms: Math.round(median(ceiling)),
    runs: RUNS,
  })}\n`,
);
