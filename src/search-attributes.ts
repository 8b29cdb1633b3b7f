import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Client } from '@temporalio/client';

/** Custom search attributes that make eksflow runs findable in the Temporal UI. */
export const SA_CLUSTER = defineSearchAttributeKey('EksflowCluster', SearchAttributeType.KEYWORD);
export const SA_ACTION = defineSearchAttributeKey('EksflowAction', SearchAttributeType.KEYWORD);
export const SA_SEVERITY = defineSearchAttributeKey('EksflowSeverity', SearchAttributeType.KEYWORD);
export const SA_INSTANCE = defineSearchAttributeKey('EksflowInstanceId', SearchAttributeType.KEYWORD);

/** `--search-attribute` arguments for `temporal server start-dev`. */
export const DEV_SERVER_SEARCH_ATTRIBUTES = [SA_CLUSTER, SA_ACTION, SA_SEVERITY, SA_INSTANCE].map(
  (k) => `${k.name}=Keyword`,
);

const support = new WeakMap<Client, Promise<boolean>>();

/**
 * Whether the server has eksflow's search attributes registered (the dev server and production
 * do; the time-skipping test server does not, and there a start or upsert that names them fails
 * — leaving a broken execution behind — so a failed start cannot be the probe). Asked once per
 * client through the Operator API.
 */
export function serverHasSearchAttributes(client: Client): Promise<boolean> {
  let known = support.get(client);
  if (!known) {
    known = client.connection.operatorService
      .listSearchAttributes({ namespace: client.options.namespace })
      .then((res) =>
        [SA_CLUSTER, SA_ACTION, SA_SEVERITY, SA_INSTANCE].every((k) => k.name in (res.customAttributes ?? {})),
      )
      .catch(() => false);
    support.set(client, known);
  }
  return known;
}
