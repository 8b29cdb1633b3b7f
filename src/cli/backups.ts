import type { Command } from 'commander';
import { readEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import { connectClient } from '../client';
import { listBackups, runBackups, runRestoreDrill } from '../client/backups';
import { UsageError } from './usage-error';
import { findCluster } from './scaling';

const collect = (v: string, prev: string[] = []) => [...prev, v];

async function starter(clusters: string[] | undefined) {
  const env = readEnv();
  const config = loadConfigFile(env.EKSFLOW_CONFIG);
  // Unknown names are a usage error here, before anything starts.
  const keys = clusters?.map((c) => findCluster(config, c).key);
  return { s: { client: await connectClient(env), taskQueue: env.TEMPORAL_TASK_QUEUE }, keys };
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ')).join('\n') + '\n';
}

export function registerBackupCommands(program: Command): void {
  const cmd = program.command('backups').description('Nightly EBS backups (02:00 IST): list, run now, restore drill');

  cmd
    .command('list')
    .description("eksflow's snapshots, newest first")
    .option('--cluster <name>', 'only this cluster (repeatable)', collect)
    .option('--limit <n>', 'at most this many', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new UsageError('--limit must be a positive integer');
      return n;
    })
    .action(async (opts: { cluster?: string[]; limit?: number }) => {
      const { s, keys } = await starter(opts.cluster);
      const snaps = await listBackups(s, { clusters: keys, limit: opts.limit });
      const rows = [['SNAPSHOT', 'CLUSTER', 'REGION', 'VOLUME', 'TAKEN AT', 'STATE', 'GiB', 'POLICY']];
      for (const x of snaps)
        rows.push([
          x.snapshotId,
          x.cluster,
          x.region,
          x.volumeId || x.tags['eksflow:backup-of'] || '',
          x.tags['eksflow:taken-at'] ?? x.startTime,
          x.state,
          String(x.sizeGiB),
          x.tags['eksflow:backup-policy'] ?? '',
        ]);
      process.stdout.write(table(rows));
      process.stdout.write(`${snaps.length} snapshot(s)\n`);
    });

  cmd
    .command('run')
    .description('Run the backup now (as the 02:00 schedule does)')
    .option('--cluster <name>', 'only this cluster (repeatable)', collect)
    .option('--dry-run', 'select volumes and report; take, copy and delete nothing')
    .action(async (opts: { cluster?: string[]; dryRun?: boolean }) => {
      const { s, keys } = await starter(opts.cluster);
      const r = await runBackups(s, { clusters: keys, dryRun: opts.dryRun ?? false, restoreDrill: 'never' });
      const rows = [['CLUSTER', 'VOLUMES', 'COMPLETED', 'DR COPIES', 'PRUNED', 'KEPT', 'SKIPPED']];
      for (const c of r.clusters) {
        rows.push([
          c.cluster,
          String(c.volumes.length),
          String(c.volumes.filter((v) => v.state === 'completed').length),
          String(c.volumes.filter((v) => v.copyState === 'completed').length),
          String(c.pruned.length + c.prunedDr.length),
          String(c.kept),
          String(c.skipped.length),
        ]);
      }
      process.stdout.write(table(rows));
      process.stdout.write(
        `${r.dryRun ? 'dry run: nothing changed; ' : ''}run ${r.runKey}, policy ${r.policy}, ${r.failures.length} problem(s)\n`,
      );
      for (const f of r.failures) process.stdout.write(`  ${f}\n`);
      if (r.failures.length > 0) throw new Error(`${r.failures.length} backup problem(s)`);
    });

  cmd
    .command('verify')
    .description('Restore drill: a volume from the newest snapshot becomes available, then is deleted')
    .option('--latest', 'use the newest completed eksflow snapshot (the only mode)')
    .option('--cluster <name>', 'newest snapshot of this cluster', collect)
    .option('--az <zone>', 'availability zone for the test volume')
    .action(async (opts: { latest?: boolean; cluster?: string[]; az?: string }) => {
      if (!opts.latest)
        throw new UsageError('verify: give --latest (the newest completed eksflow snapshot is restored)');
      if (opts.az !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(opts.az))
        throw new UsageError(`--az: "${opts.az}" is not an availability zone such as ap-south-1a`);
      const { s, keys } = await starter(opts.cluster);
      const r = await runRestoreDrill(s, { clusters: keys, ...(opts.az ? { availabilityZone: opts.az } : {}) });
      process.stdout.write(`${r.ok ? 'OK' : 'FAILED'}: ${r.detail}\n`);
      if (r.volumeId)
        process.stdout.write(
          `  snapshot ${r.snapshotId} (${r.cluster}) → volume ${r.volumeId} in ${r.availabilityZone}, available after ${Math.round((r.availableAfterMs ?? 0) / 1000)} s, deleted: ${r.deleted ? 'yes' : 'no'}\n`,
        );
      if (!r.ok) throw new Error(`restore drill failed: ${r.detail}`);
    });
}
