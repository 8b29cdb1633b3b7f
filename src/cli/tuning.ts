import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { readEnv } from '../config/env';
import { connectClient } from '../client';
import { approveProposal, checkProposalId, formatProposals, listProposals, rejectProposal } from '../client/tuning';
import { approveRequestSchema, rejectRequestSchema, type ProposalStatus } from '../domain/tuning/proposals';
import { NotFoundError, ValidationError } from '../errors';
import { UsageError } from './usage-error';
import { operatorName } from './operator';

async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ValidationError || err instanceof NotFoundError) throw new UsageError(err.message);
    throw err;
  }
}

function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
    throw new UsageError(
      issues ? issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message,
    );
  }
}

async function withClient<T>(fn: (client: Client, taskQueue: string) => Promise<T>): Promise<T> {
  const env = readEnv();
  return fn(await connectClient(env), env.TEMPORAL_TASK_QUEUE);
}

const print = (s: ProposalStatus | ProposalStatus[], json?: boolean) =>
  process.stdout.write(`${json ? JSON.stringify(s, null, 2) : formatProposals(Array.isArray(s) ? s : [s])}\n`);

export function registerTuningCommands(program: Command): void {
  const tuning = program
    .command('tuning')
    .description('Right-sizing proposals of the 14:00 performance tuning: list, approve, reject');

  tuning
    .command('list')
    .description('Pending proposals (with --all, decided and expired ones too)')
    .option('--all', 'include decided and expired proposals')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const list = await withClient((c, taskQueue) => listProposals(c, { taskQueue, all: Boolean(o.all) }));
      print(list, o.json);
    });

  tuning
    .command('approve <id>')
    .description('Approve a proposal: a size change is applied through the cluster controller, recorded with your name')
    .option('--note <text>', 'why (recorded with the approval)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { note?: string; json?: boolean }) => {
      parseOrUsage(() => checkProposalId(id));
      const req = parseOrUsage(() =>
        approveRequestSchema.parse({ by: operatorName(), ...(o.note ? { note: o.note } : {}) }),
      );
      print(await asUsage(() => withClient((c) => approveProposal(c, id, req))), o.json);
    });

  tuning
    .command('reject <id>')
    .description('Reject a proposal (recorded with your name and the reason)')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { reason: string; json?: boolean }) => {
      parseOrUsage(() => checkProposalId(id));
      const req = parseOrUsage(() => rejectRequestSchema.parse({ by: operatorName(), reason: o.reason }));
      print(await asUsage(() => withClient((c) => rejectProposal(c, id, req))), o.json);
    });
}
