import type { Command } from 'commander';
import { readEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import { connectClient } from '../client';
import { runCleanup } from '../client/cleanup';
import type { ResourceCleanupResult } from '../../workflows/cleanup/cleanup';
import { findCluster } from './scaling';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function print(r: ResourceCleanupResult): void {
  const deleted = new Set(Object.values(r.applied).flatMap((a) => a.deleted));
  const rows = [['ACCOUNT/REGION', 'KIND', 'ID', 'ACTION', '$/MONTH', 'CLEANUP AFTER', 'WHY']];
  for (const p of r.plans) {
    for (const a of p.plan.actions) {
      const action =
        a.type === 'delete'
          ? deleted.has(`${a.kind}/${a.id}`)
            ? 'deleted'
            : r.dryRun
              ? 'would delete'
              : 'not deleted'
          : r.dryRun && a.type === 'tag'
            ? 'would tag'
            : a.type;
      rows.push([p.key, a.kind, a.id, action, a.monthlyUsd.toFixed(2), a.cleanupAfter ?? '', a.reason]);
    }
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
  process.stdout.write(
    rows.map((x) => x.map((c, i) => (i === x.length - 1 ? c : c.padEnd(w[i]!))).join('  ')).join('\n') + '\n',
  );
  const t = r.report.totals;
  process.stdout.write(
    `${r.dryRun ? 'plan (nothing changed): ' : ''}${t.candidates} candidate(s), $${t.candidateUsdMonth.toFixed(2)}/month; ${t.tagged} tagged; ${t.deleted} deleted, $${t.reclaimedUsdMonth.toFixed(2)}/month reclaimed\n`,
  );
  const prot = r.plans.flatMap((p) => p.plan.protectedCandidates);
  if (prot.length) process.stdout.write(`protected (eksflow:protect), left alone: ${prot.join(', ')}\n`);
  process.stdout.write(`report: ${r.report.htmlPath}\n`);
}

export function registerCleanupCommands(program: Command): void {
  const cmd = program
    .command('cleanup')
    .description('Resource cleanup (19:00 IST): two phases, tag then delete (cleanup.mode per kind)');
  const run = async (opts: { cluster?: string[] }, dryRun: boolean) => {
    const env = readEnv();
    const config = loadConfigFile(env.EKSFLOW_CONFIG);
    const keys = opts.cluster?.map((c) => findCluster(config, c).key);
    print(
      await runCleanup(
        { client: await connectClient(env), taskQueue: env.TEMPORAL_TASK_QUEUE },
        { clusters: keys, dryRun },
      ),
    );
  };
  cmd
    .command('plan')
    .description('What a run would tag and delete, with $/month; changes nothing')
    .option('--cluster <name>', "only this cluster's account/region (repeatable)", collect)
    .action((opts: { cluster?: string[] }) => run(opts, true));
  cmd
    .command('run')
    .description('Tag candidates and delete expired ones, as cleanup.mode allows per kind')
    .option('--cluster <name>', "only this cluster's account/region (repeatable)", collect)
    .action((opts: { cluster?: string[] }) => run(opts, false));
}
