import { defineQuery, defineSignal } from '@temporalio/workflow';

export interface ConfigWatchState {
  /** The version workers apply (the newest valid one seen). */
  applied?: number;
  appliedAt?: string;
  /** The newest version seen, valid or not. */
  lastSeen?: number;
  /** Versions that failed validation, newest last (at most 20 kept). */
  rejected: { version: number; issues: string[]; at: string }[];
}

export interface ConfigWatchInput {
  env: string;
  pollSeconds?: number;
  state?: ConfigWatchState;
}

export const configWatchStateQuery = defineQuery<ConfigWatchState>('configWatchState');
/** Check now (sent by `eksflow config push` and by workers at start), instead of at the next poll. */
export const configCheckSignal = defineSignal('configCheck');

export const configWatchWorkflowId = (env: string) => `config-watch/${env}`;
