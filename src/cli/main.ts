#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { join } from 'node:path';
import { UsageError } from './usage-error';
type Register = (program: Command) => void;

/**
 * Every area of the CLI: its top-level commands (name → description, so the top-level help needs
 * no area module) and how to load its module. Loading is lazy: an area's module pulls in the AWS
 * SDK and the Temporal client, so `eksflow --help` loads none and `eksflow scaling …` only its own
 * (test/unit/cli/lazy-areas.test.ts keeps the descriptions equal to the modules').
 */
export const AREAS: { commands: Record<string, string>; load: () => Register }[] = [
  {
    commands: { config: 'Configuration commands' },
    load: () => (require('./config-commands') as Record<'registerConfigCommands', Register>).registerConfigCommands,
  },
  {
    commands: { alerts: 'Open alerts: list, acknowledge, resolve, send a test alert' },
    load: () => (require('./alerts') as Record<'registerAlertCommands', Register>).registerAlertCommands,
  },
  {
    commands: { events: 'Send an EC2 event to the ingress, as EventBridge would (rehearse an interruption)' },
    load: () => (require('./events') as Record<'registerEventCommands', Register>).registerEventCommands,
  },
  {
    commands: { report: 'Compute a cost or spot report now (HTML + JSON in the reports folder)' },
    load: () => (require('./report') as Record<'registerReportCommands', Register>).registerReportCommands,
  },
  {
    commands: {
      scaling: 'Operator control of the timetable per cluster (pause, overrides, status)',
      scale: 'Run the timetable scale-up or scale-down for one cluster now',
    },
    load: () => (require('./scaling') as Record<'registerScalingCommands', Register>).registerScalingCommands,
  },
  {
    commands: { schedules: 'The IST timetable as Temporal Schedules' },
    load: () => (require('./schedules') as Record<'registerScheduleCommands', Register>).registerScheduleCommands,
  },
  {
    commands: { security: 'Nightly security scan (03:00 IST): findings, report, suppressions' },
    load: () => (require('./security') as Record<'registerSecurityCommands', Register>).registerSecurityCommands,
  },
  {
    commands: { logs: 'Log archival (04:00 IST): EKS log groups → S3, then retention' },
    load: () => (require('./logs') as Record<'registerLogCommands', Register>).registerLogCommands,
  },
  {
    commands: { health: 'PromQL health checks per cluster (status, pause, resume, one-off check)' },
    load: () => (require('./health') as Record<'registerHealthCommands', Register>).registerHealthCommands,
  },
  {
    commands: { backups: 'Nightly EBS backups (02:00 IST): list, run now, restore drill' },
    load: () => (require('./backups') as Record<'registerBackupCommands', Register>).registerBackupCommands,
  },
  {
    commands: { cleanup: 'Resource cleanup (19:00 IST): two phases, tag then delete (cleanup.mode per kind)' },
    load: () => (require('./cleanup') as Record<'registerCleanupCommands', Register>).registerCleanupCommands,
  },
  {
    commands: { tuning: 'Right-sizing proposals of the 14:00 performance tuning: list, approve, reject' },
    load: () => (require('./tuning') as Record<'registerTuningCommands', Register>).registerTuningCommands,
  },
];

/**
 * The operator CLI. Each area registers its own sub-commands from its own module, so this file
 * only wires them together and turns known errors into clear messages and exit codes. `only`: load
 * just the area owning that top-level command (the others appear in the help by name and
 * description); all areas when absent.
 */
export function buildProgram(only?: string): Command {
  const program = new Command('eksflow')
    .description('Durable automation for Amazon EKS fleets on Temporal')
    .version('0.1.0')
    .exitOverride();
  for (const area of AREAS) {
    if (only === undefined || only in area.commands) area.load()(program);
    else
      for (const [name, description] of Object.entries(area.commands)) program.command(name).description(description);
  }
  return program;
}

/** The top-level command an argument list runs (`help <command>` too); '' for none (`--help`, `--version`). */
export function commandOf(argv: string[]): string {
  const words = argv.filter((a) => !a.startsWith('-'));
  return (words[0] === 'help' ? words[1] : words[0]) ?? '';
}

export async function main(argv: string[]): Promise<number> {
  const command = commandOf(argv);
  // A second terminal beside `npm start` talks to the sandbox without exports (.data/sandbox.env).
  // Help needs no environment: config/env (zod, yaml) loads only for a command. Compiled, this
  // file sits one folder deeper (dist/src/cli).
  if (command) {
    const root = join(__dirname, '..', '..', ...(__filename.endsWith('.js') ? ['..'] : []));
    (require('../config/env') as { applySandboxEnv(root: string): void }).applySandboxEnv(root);
  }
  const program = buildProgram(command);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    // ConfigError (src/config/load.ts) by name: that module is not loaded for help.
    if ((err instanceof Error && err.name === 'ConfigError') || err instanceof UsageError) {
      process.stderr.write(`eksflow: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`eksflow: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  // main() turns every error into an exit code; it never rejects.
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
