/**
 * Whether an EC2 instance became a node of the cluster: a Node whose `spec.providerID` is
 * `aws:///<az>/<instance id>` (the AWS cloud provider's form), or whose name is the instance's
 * private DNS name (the kubelet's default node name on EKS).
 */
export interface NodeRef {
  name: string;
  providerID?: string;
}

export function joinedCluster(
  instance: { instanceId: string; privateDnsName?: string },
  nodes: readonly NodeRef[],
): boolean {
  const dns = instance.privateDnsName?.toLowerCase();
  return nodes.some(
    (n) =>
      (n.providerID !== undefined && n.providerID.split('/').pop() === instance.instanceId) ||
      (!!dns && n.name.toLowerCase() === dns),
  );
}
