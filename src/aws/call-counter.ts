import { writeFileSync } from 'node:fs';
import type { InitializeHandler, InitializeHandlerArguments, InitializeMiddleware, Pluggable } from '@aws-sdk/types';

/**
 * Counts every AWS SDK call this process makes, by `Service:Operation` (e.g. `EC2:DescribeInstances`).
 * The AwsClientFactory adds the middleware to every client it builds, so nothing can call AWS
 * without being counted. One call is one `client.send()`; the SDK's own retries are not extra calls.
 */
const counts = new Map<string, number>();

/** `EC2Client` + `DescribeInstancesCommand` → `EC2:DescribeInstances`. */
export function callKey(clientName: string | undefined, commandName: string | undefined): string {
  const service = (clientName ?? 'Unknown').replace(/Client$/, '');
  const operation = (commandName ?? 'Unknown').replace(/Command$/, '');
  return `${service}:${operation}`;
}

export function countAwsCall(key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Calls so far in this process, keyed `Service:Operation`. */
export function awsCallCounts(): Record<string, number> {
  return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

/** The total of `awsCallCounts()` (or of a snapshot/difference). */
export function totalAwsCalls(c: Record<string, number> = awsCallCounts()): number {
  return Object.values(c).reduce((a, b) => a + b, 0);
}

/** A copy of the counts now, to subtract later with `awsCallsSince`. */
export function snapshotAwsCalls(): Record<string, number> {
  return awsCallCounts();
}

/** Calls made since `snapshot` (keys with no new calls are left out). */
export function awsCallsSince(snapshot: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of counts) {
    const d = v - (snapshot[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

export function resetAwsCalls(): void {
  counts.clear();
}

const countingMiddleware: InitializeMiddleware<object, object> =
  (next: InitializeHandler<object, object>, context) => (args: InitializeHandlerArguments<object>) => {
    countAwsCall(callKey(context.clientName, context.commandName));
    return next(args);
  };

/** The SDK plugin the AwsClientFactory adds to every client. */
export const awsCallCounterPlugin: Pluggable<object, object> = {
  applyToStack(stack) {
    stack.add(countingMiddleware, { step: 'initialize', name: 'eksflowAwsCallCounter', override: true });
  },
};

/**
 * Writes the counts (JSON) to `path` when the process exits: benchmarks read a worker child
 * process's calls this way. Nothing is written when `path` is unset.
 */
export function dumpAwsCallsOnExit(path: string | undefined): void {
  if (!path) return;
  const write = () => writeFileSync(path, JSON.stringify(awsCallCounts()));
  // On SIGTERM too: a worker that does not exit in time gets SIGKILLed, which runs no exit hook.
  process.once('SIGTERM', write);
  process.once('exit', write);
}
