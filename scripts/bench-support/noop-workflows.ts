import { defineSignal, setHandler } from '@temporalio/workflow';

/**
 * Ceilings of the benchmarks: workflows of the same shape as the real ones with empty logic, so
 * a benchmark can print what Temporal itself costs on this machine beside its result.
 */
export const noopEventSignal = defineSignal<[unknown]>('event');

/** An interruption run with nothing to do: started by signal-with-start, returns at once. */
export async function noopInterruption(_input: unknown): Promise<string> {
  setHandler(noopEventSignal, () => undefined);
  return 'ok';
}
