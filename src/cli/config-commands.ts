import type { Command } from 'commander';
import { readEnv } from '../config/env';
import { loadConfigFile } from '../config/load';

export function registerConfigCommands(program: Command): void {
  program
    .command('config')
    .description('Configuration commands')
    .command('validate')
    .description('Validate eksflow.yaml (path from EKSFLOW_CONFIG or --file) and print a summary')
    .option('-f, --file <path>', 'config file')
    .action((opts: { file?: string }) => {
      const path = opts.file ?? readEnv().EKSFLOW_CONFIG;
      const cfg = loadConfigFile(path);
      const groups = cfg.clusters.reduce((n, c) => n + c.nodegroups.length, 0);
      process.stdout.write(`${path}: OK — ${cfg.clusters.length} clusters, ${groups} node groups\n`);
    });
}
