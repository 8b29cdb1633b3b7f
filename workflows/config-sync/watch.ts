import { condition, continueAsNew, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { raiseAlert } from '../lib/alerts';
import { watcherRead } from '../lib/presets';
import { configCheckSignal, configWatchStateQuery, type ConfigWatchInput, type ConfigWatchState } from './messages';

const { readConfigVersion } = proxyActivities<Activities>(watcherRead);

/**
 * Watches the config parameter's version (`config-watch/<env>`). A new valid version becomes the
 * applied one, which workers in ssm mode load for new runs; an invalid one is never applied: the
 * previous version stays in force and a warning alert names the fields.
 */
export async function configWatch(input: ConfigWatchInput): Promise<never> {
  const state: ConfigWatchState = input.state ?? { rejected: [] };
  const pollMs = (input.pollSeconds ?? 60) * 1000;
  let checkRequested = true;
  setHandler(configWatchStateQuery, () => state);
  setHandler(configCheckSignal, () => {
    checkRequested = true;
  });
  for (;;) {
    if (checkRequested) {
      checkRequested = false;
      const r = await readConfigVersion();
      if (r.version > 0 && r.version !== state.lastSeen) {
        state.lastSeen = r.version;
        const at = new Date(Date.now()).toISOString();
        if (r.valid) {
          state.applied = r.version;
          state.appliedAt = at;
        } else {
          state.rejected = [...state.rejected, { version: r.version, issues: r.issues, at }].slice(-20);
          await raiseAlert({
            severity: 'warning',
            type: 'config_invalid',
            dedupKey: `config-invalid/${input.env}/${r.version}`,
            summary: `Config ${r.name} version ${r.version} is invalid and was not applied (version ${state.applied ?? 'none'} stays in force): ${r.issues[0] ?? ''}`,
            details: { issues: r.issues.join('\n'), rejectedVersion: r.version, inForce: state.applied ?? 0 },
          }).catch((err: unknown) => log.warn('config_invalid alert failed', { error: String(err) }));
        }
      }
    }
    // Poll timer and signal both wake the loop; the history is renewed before it grows large.
    if (!(await condition(() => checkRequested, pollMs))) checkRequested = true;
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof configWatch>({ ...input, state });
  }
}
