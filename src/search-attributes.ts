import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that make eksflow runs findable in the Temporal UI. */
export const SA_CLUSTER = defineSearchAttributeKey('EksflowCluster', SearchAttributeType.KEYWORD);
export const SA_ACTION = defineSearchAttributeKey('EksflowAction', SearchAttributeType.KEYWORD);
export const SA_SEVERITY = defineSearchAttributeKey('EksflowSeverity', SearchAttributeType.KEYWORD);
export const SA_INSTANCE = defineSearchAttributeKey('EksflowInstanceId', SearchAttributeType.KEYWORD);

/** `--search-attribute` arguments for `temporal server start-dev`. */
export const DEV_SERVER_SEARCH_ATTRIBUTES = [SA_CLUSTER, SA_ACTION, SA_SEVERITY, SA_INSTANCE].map((k) => `${k.name}=Keyword`);
