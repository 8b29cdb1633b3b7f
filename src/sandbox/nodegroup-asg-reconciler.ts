/**
 * SANDBOX ONLY. moto does not back an EKS managed node group with an Auto Scaling group, so
 * scaling a node group would change a number and nothing else. This reconciler plays the part
 * of EKS: it creates the node group's ASG (the `eks-<uuid>` name moto reports) and keeps its
 * min/max/desired equal to the node group's scaling config, so instances really come and go.
 * It never runs against real AWS (the sandbox start-up and tests are its only callers).
 */
import { DescribeNodegroupCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import type { AwsClientFactory } from '../aws/clients';
import type { ClusterConfig } from '../config/clusters';
import { ensureAsg } from './seed';

export interface ReconcileResult {
  created: number;
  resized: number;
}

export async function reconcileNodegroupAsgs(
  aws: AwsClientFactory,
  clusters: ClusterConfig[],
): Promise<ReconcileResult> {
  const result: ReconcileResult = { created: 0, resized: 0 };
  for (const cluster of clusters) {
    const eks = aws.eks(cluster);
    const asgClient = aws.autoScaling(cluster);
    const list = await eks.send(new ListNodegroupsCommand({ clusterName: cluster.name })).catch(() => undefined);
    for (const name of list?.nodegroups ?? []) {
      const ng = (await eks.send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: name })))
        .nodegroup;
      const asgName = ng?.resources?.autoScalingGroups?.[0]?.name;
      const sc = ng?.scalingConfig;
      if (!ng || !asgName || !sc) continue;
      const size = { min: sc.minSize ?? 0, desired: sc.desiredSize ?? 0, max: sc.maxSize ?? 1 };
      const found = await asgClient.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
      const group = found.AutoScalingGroups?.[0];
      if (!group) {
        const cfg = cluster.nodegroups.find((n) => n.name === name) ?? {
          name,
          kind: 'eks-managed' as const,
          capacityType: (ng.capacityType ?? 'ON_DEMAND') as 'ON_DEMAND' | 'SPOT',
          instanceTypes: ng.instanceTypes ?? ['m5.large'],
          scalingMode: 'desired' as const,
          businessHours: size,
          offHours: size,
          floor: 0,
          workload: 'stateless' as const,
          interruption: { strategy: 'raise-capacity' as const, onRebalance: 'notify' as const },
        };
        await ensureAsg(aws, cluster, cfg, asgName, ng.subnets ?? [], size);
        result.created++;
      } else if (group.MinSize !== size.min || group.MaxSize !== size.max || group.DesiredCapacity !== size.desired) {
        await asgClient.send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: asgName,
            MinSize: size.min,
            MaxSize: size.max,
            DesiredCapacity: size.desired,
          }),
        );
        result.resized++;
      }
    }
  }
  return result;
}

/** Runs the reconciler every `intervalMs` until stopped; errors are logged, never fatal. */
export function startReconcilerLoop(
  aws: AwsClientFactory,
  clusters: ClusterConfig[],
  intervalMs = 2000,
  log: (msg: string) => void = () => {},
) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const r = await reconcileNodegroupAsgs(aws, clusters);
      if (r.created || r.resized) log(`sandbox reconciler: created ${r.created} ASG(s), resized ${r.resized}`);
    } catch (err) {
      log(`sandbox reconciler: ${(err as Error).message}`);
    }
    // tick never rejects (it logs every error), so the timer may drop its promise.
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
  };
  void tick();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
