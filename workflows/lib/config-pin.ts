import { defaultPayloadConverter } from '@temporalio/common';
import {
  patched,
  proxyActivities,
  type Next,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { CONFIG_VERSION_HEADER } from '../../src/domain/config-sync/pin';
import { awsRead } from './presets';

/**
 * A run's config version (config sync, ssm mode). Pinned at the start of a night run, it travels
 * in a header on every activity and child workflow the run schedules; the worker's activity
 * interceptor (src/config-sync/pin.ts) runs each activity with that version's config, so a
 * version applied mid-run reaches new runs only. Module state is per workflow execution.
 */
let pinned: number | undefined;

const { configVersionInForce } = proxyActivities<Activities>(awsRead);

/**
 * Pins the run's config version: the one in its input (a continued or child run), else the version
 * the worker runs with now (undefined with a config file). Returns it for the run's input/result.
 */
export async function pinRunConfig(requested?: number): Promise<number | undefined> {
  if (requested !== undefined) {
    pinned = requested;
    return pinned;
  }
  if (pinned !== undefined) return pinned;
  if (!patched('pin-config-version')) return undefined;
  pinned = (await configVersionInForce()) ?? undefined;
  return pinned;
}

export function pinnedConfigVersion(): number | undefined {
  return pinned;
}

const withHeader = <T extends { headers: Record<string, unknown> }>(input: T): T =>
  pinned === undefined
    ? input
    : { ...input, headers: { ...input.headers, [CONFIG_VERSION_HEADER]: defaultPayloadConverter.toPayload(pinned) } };

class PinOutbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(
    input: Parameters<Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>>[0],
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ) {
    return next(withHeader(input));
  }
  scheduleLocalActivity(
    input: Parameters<Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>>[0],
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ) {
    return next(withHeader(input));
  }
  startChildWorkflowExecution(
    input: Parameters<Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>>[0],
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ) {
    return next(withHeader(input));
  }
}

/** A child workflow started by a pinned run inherits its version. */
class PinInbound implements WorkflowInboundCallsInterceptor {
  execute(
    input: Parameters<Next<WorkflowInboundCallsInterceptor, 'execute'>>[0],
    next: Next<WorkflowInboundCallsInterceptor, 'execute'>,
  ) {
    const h = input.headers[CONFIG_VERSION_HEADER];
    if (h) pinned = defaultPayloadConverter.fromPayload<number>(h);
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new PinInbound()],
  outbound: [new PinOutbound()],
});
