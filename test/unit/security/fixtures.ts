import type { ClusterInventory } from '../../../src/domain/security/inventory';

export const AT = Date.parse('2026-11-30T21:30:00Z'); // 03:00 IST on 1 Dec 2026

/** A cluster with nothing wrong; each test breaks one thing. */
export function cleanInventory(): ClusterInventory {
  return {
    accountId: '111111111111',
    region: 'ap-south-1',
    cluster: {
      name: 'prod',
      arn: 'arn:aws:eks:ap-south-1:111111111111:cluster/prod',
      version: '1.35',
      endpointPublicAccess: true,
      publicAccessCidrs: ['203.0.113.0/24'],
      loggingEnabled: ['api', 'audit', 'authenticator', 'scheduler'],
      encryptedResources: ['secrets'],
      encryptionKeyArn: 'arn:aws:kms:ap-south-1:111111111111:key/abc',
    },
    nodegroups: [
      {
        name: 'web',
        arn: 'arn:ng/web',
        releaseVersion: '1.35.0-20261101',
        latestReleaseVersion: '1.35.0-20261101',
        amiType: 'AL2023_x86_64_STANDARD',
        nodeRoleArn: 'arn:aws:iam::111111111111:role/node',
      },
    ],
    instances: [
      {
        id: 'i-1',
        nodegroup: 'web',
        httpTokens: 'required',
        securityGroupIds: ['sg-node'],
        launchTemplate: { id: 'lt-1', version: '1' },
      },
    ],
    securityGroups: [
      {
        id: 'sg-node',
        name: 'nodes',
        ingress: [
          { protocol: 'tcp', fromPort: 443, toPort: 443, ipv4: ['0.0.0.0/0'], ipv6: ['::/0'] },
          { protocol: '-1', ipv4: ['10.0.0.0/16'], ipv6: [] },
        ],
      },
      { id: 'sg-other', name: 'not-a-node-group', ingress: [{ protocol: '-1', ipv4: ['0.0.0.0/0'], ipv6: [] }] },
    ],
    volumes: [
      { id: 'vol-1', encrypted: true, instanceIds: ['i-1'], sizeGiB: 20 },
      { id: 'vol-elsewhere', encrypted: false, instanceIds: ['i-not-a-node'] },
    ],
    launchTemplates: [{ id: 'lt-1', name: 'web', version: 1, httpTokens: 'required' }],
    nodeRoles: [
      {
        arn: 'arn:aws:iam::111111111111:role/node',
        name: 'node',
        attachedPolicies: [
          { name: 'AmazonEKSWorkerNodePolicy', arn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy' },
        ],
        inlinePolicies: [
          {
            name: 'logs',
            document: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }],
            }),
          },
        ],
      },
    ],
  };
}
