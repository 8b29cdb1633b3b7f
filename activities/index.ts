import type { ActivityDeps } from './deps';
import { withErrorClassification } from './classify';
import { createEksActivities } from './eks';
import { createFleetActivities } from './fleet';
import { createAlertActivities } from './alerts';
import { createCostActivities } from './cost';
import { createInterruptionActivities } from './interruption';
import { createMlActivities } from './ml';
import { createSecurityActivities } from './security';
import { createLogActivities } from './logs';
import { createConfigSyncActivities } from './config-sync';
import { createHealthActivities } from './health';
import { createBackupActivities } from './backups';
import { createClusterStateActivities } from './cluster-state';
import { createCleanupActivities } from './cleanup';
import { createKubernetesActivities } from './kubernetes';
import { createTuningActivities } from './tuning';

export type { ActivityDeps } from './deps';

/**
 * All activities of eksflow, built from one set of dependencies. Workflows only ever see the
 * type of this object (`import type`), never the implementation.
 */
export function createActivities(deps: ActivityDeps) {
  return withErrorClassification({
    ...createEksActivities(deps),
    ...createFleetActivities(deps),
    ...createAlertActivities(deps),
    ...createCostActivities(deps),
    ...createInterruptionActivities(deps),
    ...createSecurityActivities(deps),
    ...createLogActivities(deps),
    ...createConfigSyncActivities(deps),
    ...createHealthActivities(deps),
    ...createBackupActivities(deps),
    ...createClusterStateActivities(deps),
    ...createCleanupActivities(deps),
    ...createKubernetesActivities(deps),
    ...createTuningActivities(deps),
    ...createMlActivities({ cloudwatch: (t) => deps.aws.cloudwatch(t), now: deps.now }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
