import { uniqueName } from './stack';

/**
 * Test fleets for the scaling suites: clusters with every kind of node group eksflow handles
 * (EKS managed in desired mode, EKS managed in bounds mode, a self-managed ASG), in two
 * accounts and regions, with unique names so suites never collide on the shared moto server.
 */
export function scalingCluster(
  prefix: string,
  opts: {
    accountId?: string;
    region?: string;
    role?: boolean;
    kubernetes?: { apiServer: string; tokenEnv: string };
  } = {},
) {
  const name = uniqueName(prefix);
  const accountId = opts.accountId ?? '111111111111';
  return {
    name,
    accountId,
    region: opts.region ?? 'ap-south-1',
    ...(opts.role ? { roleArn: `arn:aws:iam::${accountId}:role/eksflow-automation` } : {}),
    ...(opts.kubernetes ? { kubernetes: opts.kubernetes } : {}),
    nodegroups: [
      {
        name: 'general',
        instanceTypes: ['m5.large'],
        floor: 1,
        businessHours: { min: 2, desired: 3, max: 6 },
        offHours: { min: 1, desired: 1, max: 6 },
      },
      {
        name: 'workers',
        capacityType: 'SPOT',
        scalingMode: 'bounds',
        instanceTypes: ['c5.xlarge'],
        businessHours: { min: 2, desired: 2, max: 6 },
        offHours: { min: 0, desired: 0, max: 3 },
      },
      {
        name: 'batch',
        kind: 'self-managed',
        asgName: `${name}-batch`,
        capacityType: 'SPOT',
        instanceTypes: ['m5.large'],
        businessHours: { min: 1, desired: 2, max: 4 },
        offHours: { min: 0, desired: 1, max: 4 },
      },
    ],
  };
}
