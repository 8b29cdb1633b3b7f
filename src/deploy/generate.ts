import { eventsTemplate } from './cloudformation';
import { helmValuesSchema } from './helm-schema';
import { actionUses, buildPolicy } from '../iam/policies';
import { scanCommands } from '../iam/scan';

/**
 * Every file under deploy/ that is generated from the code, by path relative to the repository:
 * `npm run gen:deploy` writes them, test/unit/deploy/generated.test.ts fails when one differs
 * from what the code would generate now (so a merge that adds an AWS call, an event kind or a
 * config field cannot leave the policy, the template or the chart schema behind).
 */
export function generatedFiles(root: string): Record<string, string> {
  const uses = actionUses(scanCommands(root));
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  const worker = buildPolicy(uses, 'worker');
  const cluster = buildPolicy(uses, 'cluster');
  return {
    'deploy/iam/worker-policy.json': json(worker),
    'deploy/iam/cluster-role-policy.json': json(cluster),
    'deploy/cloudformation/eksflow-events.yaml': eventsTemplate(worker, cluster),
    'deploy/iam/actions.json': json(uses),
    'deploy/helm/eksflow/values.schema.json': json(helmValuesSchema()),
  };
}
