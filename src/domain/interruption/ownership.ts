/**
 * Who owns an instance eksflow launched, and how its life ends. Every launch (EC2 Fleet spot
 * replacement, on-demand fallback, return to spot) carries its purpose and the workflow that
 * launched it; a spot replacement joins its Auto Scaling group where there is one (`attached-to`);
 * anything else is tracked by its interruption workflow until it is terminated or handed to the
 * cleanup job (`handoff`).
 */
export const PURPOSE_TAG = 'eksflow:purpose';
export const OWNER_TAG = 'eksflow:owner';
export const ATTACHED_TAG = 'eksflow:attached-to';
export const HANDOFF_TAG = 'eksflow:handoff';

export type LaunchPurpose = 'spot-replacement' | 'on-demand-fallback' | 'return-to-spot';

/**
 * Whether an on-demand fallback may go: the group it stands in for is back at capacity (every
 * desired unit InService, counting no fallback) and the capacity it was launched for is there.
 */
export function backAtCapacity(group: { desired: number; inService: number }): boolean {
  return group.desired > 0 && group.inService >= group.desired;
}
