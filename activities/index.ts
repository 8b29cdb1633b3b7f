import type { ActivityDeps } from './deps';
import { withErrorClassification } from './classify';
import { createEksActivities } from './eks';

export type { ActivityDeps } from './deps';

/**
 * All activities of eksflow, built from one set of dependencies. Workflows only ever see the
 * type of this object (`import type`), never the implementation.
 */
export function createActivities(deps: ActivityDeps) {
  return withErrorClassification({
    ...createEksActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
