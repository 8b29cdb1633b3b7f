/**
 * What a scan reads about one cluster, gathered by the security activity through the gateways
 * and handed to the rules as plain data (so the rules are pure and testable without AWS).
 */
export interface ClusterInventory {
  accountId: string;
  region: string;
  cluster: {
    name: string;
    arn: string;
    version?: string;
    endpointPublicAccess: boolean;
    /** As EKS reports it; EKS's default when public access is on is ["0.0.0.0/0"]. */
    publicAccessCidrs: string[];
    /** Control-plane log types enabled (api, audit, authenticator, controllerManager, scheduler). */
    loggingEnabled: string[];
    /** Resources encrypted with a customer KMS key (`secrets` when secrets encryption is on). */
    encryptedResources: string[];
    encryptionKeyArn?: string;
  };
  nodegroups: {
    name: string;
    arn?: string;
    /** `1.31.2-20241109`: Kubernetes version and AMI build date. */
    releaseVersion?: string;
    kubernetesVersion?: string;
    amiType?: string;
    /** Latest release from the SSM public parameter; undefined when it could not be read. */
    latestReleaseVersion?: string;
    latestReleaseParameter?: string;
    nodeRoleArn?: string;
  }[];
  instances: {
    id: string;
    nodegroup?: string;
    /** IMDS: `required` = IMDSv2 only; `optional` = IMDSv1 allowed. */
    httpTokens?: string;
    httpEndpoint?: string;
    publicIp?: string;
    securityGroupIds: string[];
    launchTemplate?: { id: string; version?: string };
  }[];
  securityGroups: {
    id: string;
    name?: string;
    ingress: { protocol: string; fromPort?: number; toPort?: number; ipv4: string[]; ipv6: string[] }[];
  }[];
  volumes: { id: string; encrypted: boolean; instanceIds: string[]; sizeGiB?: number }[];
  launchTemplates: { id: string; name?: string; version: number; httpTokens?: string; httpEndpoint?: string }[];
  nodeRoles: {
    arn: string;
    name: string;
    attachedPolicies: { name: string; arn: string; document?: string }[];
    inlinePolicies: { name: string; document: string }[];
  }[];
}
