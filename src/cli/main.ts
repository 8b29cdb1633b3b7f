#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { join } from 'node:path';
import { applySandboxEnv } from '../config/env';
import { ConfigError } from '../config/load';
import { UsageError } from './usage-error';
import { registerConfigCommands } from './config-commands';
import { registerAlertCommands } from './alerts';
import { registerEventCommands } from './events';
import { registerReportCommands } from './report';
import { registerScalingCommands } from './scaling';
import { registerScheduleCommands } from './schedules';
import { registerSecurityCommands } from './security';
import { registerLogCommands } from './logs';
import { registerHealthCommands } from './health';
import { registerBackupCommands } from './backups';
import { registerCleanupCommands } from './cleanup';
import { registerTuningCommands } from './tuning';

/**
 * The operator CLI. Each area registers its own sub-commands from its own module, so this file
 * only wires them together and turns known errors into clear messages and exit codes.
 */
export function buildProgram(): Command {
  const program = new Command('eksflow')
    .description('Durable automation for Amazon EKS fleets on Temporal')
    .version('0.1.0')
    .exitOverride();
  // Each area registers its own sub-commands from its own module.
  registerConfigCommands(program);
  registerAlertCommands(program);
  registerEventCommands(program);
  registerReportCommands(program);
  registerScalingCommands(program);
  registerScheduleCommands(program);
  registerSecurityCommands(program);
  registerLogCommands(program);
  registerHealthCommands(program);
  registerBackupCommands(program);
  registerCleanupCommands(program);
  registerTuningCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // A second terminal beside `npm start` talks to the sandbox without exports (.data/sandbox.env).
  applySandboxEnv(join(__dirname, '..', '..'));
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ConfigError || err instanceof UsageError) {
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
