import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  applyClearOverride,
  applyOverride,
  applyPause,
  applyResume,
  effectivePlan,
  emptyControlState,
  expire,
  nextExpiry,
  validateClearOverride,
  validateOverride,
  validatePause,
  withAction,
  resumeRequestSchema,
} from '../../src/domain/scaling/control';
import { activeOverride, planGroup, sizeToApply } from '../../src/domain/scaling/plan';
import { groupRefOf, type ControlState } from '../../src/domain/scaling/types';
import { phaseAt, type BusinessCalendar } from '../../src/domain/timetable/phase';
import { awsRead } from '../lib/presets';
import { awsFor } from '../lib/targets';
import {
  clearOverrideSignal,
  clearOverrideUpdate,
  configureSignal,
  controlStateQuery,
  effectivePlanQuery,
  overrideSignal,
  overrideUpdate,
  pauseSignal,
  pauseUpdate,
  recordActionSignal,
  resumeSignal,
  resumeUpdate,
  statusQuery,
  type ClusterControllerInput,
} from './messages';

const read = proxyActivities<Activities>(awsRead);

const DEFAULT_CALENDAR: BusinessCalendar = { businessDays: [1, 2, 3, 4, 5], holidays: [] };

interface PendingApply {
  nodegroup: string;
  why: 'override' | 'override-cleared' | 'override-expired' | 'resume' | 'pause-expired';
}

/**
 * The long-lived controller of one cluster (`cluster/<account>/<region>/<cluster>`): holds the
 * operators' control state — pause (with optional expiry) and per-node-group overrides (with
 * durable expiry timers) — that every scheduled run reads before acting. Setting an override
 * applies it at once ("wake up now"); when it is cleared or expires, the group returns to the
 * timetable size of the current phase (unless the cluster is paused). State is plain JSON and
 * survives continue-as-new.
 */
export async function clusterController(input: ClusterControllerInput): Promise<void> {
  let config = input.config;
  let state: ControlState = input.state ?? emptyControlState();
  let version = 0;
  let seq = input.applySeq ?? 0;
  const pending: PendingApply[] = [];
  /** A pause ended (resume or expiry) since the main loop last looked: every group goes to the size wanted now. */
  let unpaused: 'resume' | 'pause-expired' | undefined;
  const now = () => Date.now();
  const nodegroups = () => config?.cluster.nodegroups ?? [];
  const plan = () => effectivePlan(nodegroups(), state, config?.calendar ?? DEFAULT_CALENDAR, now());
  const change = (next: ControlState, apply?: PendingApply) => {
    state = next;
    if (apply) pending.push(apply);
    version++;
  };
  /** Signals cannot be rejected: an invalid one is logged and changes nothing. */
  const fromSignal = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.warn(`ignored invalid ${what} signal`, { error: (err as Error).message });
    }
  };

  const doPause = (req: unknown) => change(applyPause(state, validatePause(req, now()), now()));
  const doResume = (req: unknown) => {
    const wasPaused = state.paused !== undefined;
    change(applyResume(state, resumeRequestSchema.parse(req ?? {}).by, now()));
    if (wasPaused) unpaused = 'resume';
  };
  const doOverride = (req: unknown) => {
    const o = validateOverride(req, nodegroups(), now());
    change(applyOverride(state, o, now()), { nodegroup: o.nodegroup, why: 'override' });
  };
  const doClear = (req: unknown) => {
    const c = validateClearOverride(req, state);
    change(applyClearOverride(state, c.nodegroup, c.by, now()), { nodegroup: c.nodegroup, why: 'override-cleared' });
  };

  setHandler(configureSignal, (c) => {
    config = c;
    version++;
  });
  setHandler(pauseSignal, (req) => fromSignal('pause', () => doPause(req)));
  setHandler(resumeSignal, (req) => fromSignal('resume', () => doResume(req)));
  setHandler(overrideSignal, (req) => fromSignal('override', () => doOverride(req)));
  setHandler(clearOverrideSignal, (req) => fromSignal('clear-override', () => doClear(req)));
  setHandler(recordActionSignal, (a) => change(withAction(state, { ...a, atMs: now() })));

  setHandler(
    pauseUpdate,
    (req) => {
      doPause(req);
      return plan();
    },
    {
      validator: (req) => {
        validatePause(req, now());
      },
    },
  );
  setHandler(
    resumeUpdate,
    (req) => {
      doResume(req);
      return plan();
    },
    {
      validator: (req) => {
        resumeRequestSchema.parse(req ?? {});
      },
    },
  );
  setHandler(
    overrideUpdate,
    (req) => {
      doOverride(req);
      return plan();
    },
    {
      validator: (req) => {
        validateOverride(req, nodegroups(), now());
      },
    },
  );
  setHandler(
    clearOverrideUpdate,
    (req) => {
      doClear(req);
      return plan();
    },
    {
      validator: (req) => {
        validateClearOverride(req, state);
      },
    },
  );

  setHandler(statusQuery, () => ({
    clusterKey: input.clusterKey,
    ...(state.paused ? { paused: state.paused } : {}),
    overrides: Object.values(state.overrides),
    lastActions: state.lastActions,
    ...(nextExpiry(state) !== undefined ? { nextExpiryMs: nextExpiry(state) } : {}),
    configured: config !== undefined,
  }));
  setHandler(effectivePlanQuery, plan);
  setHandler(controlStateQuery, () => state);

  const shouldContinue = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.maxHistoryEvents !== undefined && workflowInfo().historyLength >= input.maxHistoryEvents);

  for (;;) {
    const seen = version;
    const expiry = nextExpiry(state);
    const wake = () => version !== seen || pending.length > 0 || unpaused !== undefined || shouldContinue();
    if (expiry === undefined) await condition(wake);
    else if (expiry > now()) await condition(wake, expiry - now());

    const expired = expire(state, now());
    if (state.paused && !expired.state.paused) unpaused = 'pause-expired';
    if (expired.state !== state) change(expired.state);
    for (const ng of expired.expiredOverrides) pending.push({ nodegroup: ng, why: 'override-expired' });
    // The scheduled runs skipped while paused: the timetable's size for now (a pause through
    // 08:00 resumes at business size, not at 18:00). Runs recorded before this did nothing here.
    if (unpaused !== undefined && patched('resume-applies-timetable')) {
      for (const ng of nodegroups())
        if (!pending.some((p) => p.nodegroup === ng.name)) pending.push({ nodegroup: ng.name, why: unpaused });
    }
    unpaused = undefined;

    while (pending.length > 0) await applyNow(pending.shift()!);

    if (shouldContinue()) {
      await condition(allHandlersFinished);
      if (pending.length === 0) {
        return continueAsNew<typeof clusterController>({
          clusterKey: input.clusterKey,
          config,
          state,
          maxHistoryEvents: input.maxHistoryEvents,
          applySeq: seq,
        });
      }
    }
  }

  /** Brings one node group to what the control state says now. Runs in the main loop only (one at a time). */
  async function applyNow(p: PendingApply): Promise<void> {
    const ng = nodegroups().find((n) => n.name === p.nodegroup);
    if (!config || !ng) return;
    if (p.why !== 'override' && state.paused) {
      change(
        withAction(state, {
          atMs: now(),
          action: 'restore-skipped',
          summary: `${ng.name}: timetable size not restored, cluster is paused`,
        }),
      );
      return;
    }
    const ref = groupRefOf(config.cluster, ng);
    try {
      const current = (await read.readGroup(ref)).size;
      const planned = planGroup({
        ng,
        phase: phaseAt(now(), config.calendar),
        current,
        override: activeOverride(state.overrides, ng.name, now()),
      });
      if (!planned.change) {
        change(
          withAction(state, {
            atMs: now(),
            action: p.why,
            summary: `${ng.name}: already at ${planned.target.min}/${planned.target.desired}/${planned.target.max}`,
          }),
        );
        return;
      }
      const size = sizeToApply(planned);
      const r = await awsFor(ref.target).mutate.applyGroupSize({
        ref,
        size,
        requestToken: `${workflowInfo().runId}-${++seq}`,
      });
      change(
        withAction(state, {
          atMs: now(),
          action: p.why,
          summary: `${ng.name}: ${r.before.min}/${r.before.desired}/${r.before.max} → ${r.after.min}/${r.after.desired}/${r.after.max} (${planned.source})`,
        }),
      );
    } catch (err) {
      change(
        withAction(state, { atMs: now(), action: `${p.why}-failed`, summary: `${ng.name}: ${(err as Error).message}` }),
      );
    }
  }
}
