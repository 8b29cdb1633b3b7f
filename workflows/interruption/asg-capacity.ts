import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { EMPTY_LEDGER, type GroupLedger } from '../../src/domain/interruption/group-ledger';
import { ErrorType } from '../../src/errors';
import { failureMessage } from '../lib/failures';
import { groupCapacity } from '../lib/presets';
import {
  capacityStateQuery,
  capacityUpdate,
  type AsgCapacityInput,
  type CapacityAnswer,
  type CapacityRequest,
} from './asg-messages';

const acts = proxyActivities<Activities>(groupCapacity);

interface Queued {
  seq: number;
  req: CapacityRequest;
}

/**
 * `asg/<account>/<region>/<name>`: the one writer of an Auto Scaling group's capacity for
 * interruption responses, whichever worker runs the callers. Requests arriving while a batch is
 * being applied wait for the next one, so N concurrent raises become one size change (read the
 * group once, set desired once); the ledger owns the temporary max raise and gives it back with
 * the last release. Ends after `idleMs` holding nothing; the next request starts a new run.
 */
export async function asgCapacity(input: AsgCapacityInput): Promise<void> {
  const idleMs = input.idleMs ?? 10 * 60_000;
  let ledger: GroupLedger = input.ledger ?? EMPTY_LEDGER;
  const holders: Record<string, number> = { ...input.holders };
  const queue: Queued[] = [];
  const answers: Record<number, CapacityAnswer | { error: string }> = {};
  let seq = 0;
  let batches = 0;

  setHandler(capacityStateQuery, () => ({ ledger, holders, batches, queued: queue.length }));
  setHandler(
    capacityUpdate,
    async (req) => {
      const mine = ++seq;
      queue.push({ seq: mine, req });
      await condition(() => answers[mine] !== undefined);
      const a = answers[mine]!;
      delete answers[mine];
      if ('error' in a) throw ApplicationFailure.create({ type: ErrorType.Unavailable, message: a.error });
      return a;
    },
    {
      validator: (req) => {
        if (req.op === 'attach' && !req.instanceIds?.length) throw new Error('attach needs instanceIds');
        if (req.op === 'attach' && req.group.kind === 'eks-managed')
          throw new Error('instances cannot be attached to an EKS managed node group');
      },
    },
  );

  for (;;) {
    const busy = await condition(() => queue.length > 0, idleMs);
    if (!busy) {
      if (Object.keys(holders).length > 0) continue;
      // A request may arrive while the last answers are handed out: it is served, not dropped.
      await condition(() => allHandlersFinished() || queue.length > 0);
      if (queue.length === 0) return;
      continue;
    }
    const batch = queue.splice(0);
    // Decide each request against the holders as they stand, in arrival order.
    const units = new Map<number, number>();
    const held = { ...holders };
    const attach: string[] = [];
    for (const { seq: s, req } of batch) {
      if (req.op === 'release') {
        units.set(s, -(held[req.owner] ?? 0));
        delete held[req.owner];
      } else if (held[req.owner] !== undefined) {
        units.set(s, 0);
      } else {
        const n = req.op === 'attach' ? req.instanceIds!.length : 1;
        if (req.op === 'attach') attach.push(...req.instanceIds!);
        units.set(s, n);
        held[req.owner] = n;
      }
    }
    const up = [...units.values()].filter((u) => u > 0).reduce((a, b) => a + b, 0);
    const down = -[...units.values()].filter((u) => u < 0).reduce((a, b) => a + b, 0);
    batches++;
    const batchId = `${workflowInfo().runId.slice(0, 8)}-${batches}`;
    try {
      const applied =
        up === 0 && down === 0
          ? undefined
          : await acts.applyCapacityBatch({
              group: input.group,
              batchId,
              ledger,
              up,
              down,
              attach,
              owners: batch.filter(({ seq: s }) => units.get(s) !== 0).map(({ req }) => `${req.op}:${req.owner}`),
            });
      if (applied) ledger = applied.ledger;
      for (const k of Object.keys(holders)) if (!(k in held)) delete holders[k];
      Object.assign(holders, held);
      for (const { seq: s } of batch) {
        const u = units.get(s)!;
        answers[s] = applied
          ? {
              changed: u !== 0,
              units: u,
              batchId,
              batchSize: batch.length,
              before: applied.before,
              target: applied.target,
              appliedAt: applied.appliedAt,
            }
          : { changed: false, units: 0 };
      }
    } catch (err) {
      // The callers' activities retry; the group's marker makes the retried batch plan from the same size.
      for (const { seq: s } of batch) answers[s] = { error: `batch ${batchId} failed: ${failureMessage(err)}` };
    }
    if (workflowInfo().continueAsNewSuggested && queue.length === 0) {
      await condition(() => allHandlersFinished() || queue.length > 0);
      if (queue.length === 0)
        return continueAsNew<typeof asgCapacity>({ group: input.group, ledger, holders, idleMs: input.idleMs });
    }
  }
}
