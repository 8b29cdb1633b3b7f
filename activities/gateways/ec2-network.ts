import {
  DeleteLaunchTemplateCommand,
  DeleteNetworkInterfaceCommand,
  DescribeAddressesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTagsCommand,
  ReleaseAddressCommand,
  type Filter,
} from '@aws-sdk/client-ec2';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { ElasticIpFact, LaunchTemplateFact, NetworkInterfaceFact } from '../../src/domain/cleanup/candidates';
import { absentIfNotFound, tagsOf } from './ebs';

/**
 * Elastic IPs, network interfaces and launch templates of one account/region: the only code that
 * calls those EC2 APIs. Facts come back in the cleanup domain's shapes (plain JSON).
 */
/** Tags eksflow adds to existing templates (or an operator adds to protect one). */
const laterTagKeys = ['eksflow:cleanup-after', 'eksflow:protect'];

export function ec2NetworkGateway(aws: AwsClientFactory, target: AwsTarget) {
  const ec2 = aws.ec2(target);
  const where = `${target.accountId}/${target.region}`;
  return {
    async elasticIps(allocationIds?: string[]): Promise<ElasticIpFact[]> {
      const out = await awsCall(`DescribeAddresses ${where}`, () =>
        ec2.send(
          new DescribeAddressesCommand(
            allocationIds ? { Filters: [{ Name: 'allocation-id', Values: allocationIds }] } : {},
          ),
        ),
      );
      return (out.Addresses ?? [])
        .filter((a) => a.AllocationId)
        .map((a) => ({
          kind: 'elasticIps' as const,
          id: a.AllocationId!,
          tags: tagsOf(a.Tags),
          publicIp: a.PublicIp ?? '',
          // moto returns '' rather than omitting the field for an unassociated address.
          ...(a.AssociationId ? { associationId: a.AssociationId } : {}),
          ...(a.NetworkInterfaceId ? { networkInterfaceId: a.NetworkInterfaceId } : {}),
        }));
    },
    async releaseElasticIp(allocationId: string): Promise<'deleted' | 'absent'> {
      return awsCall(`ReleaseAddress ${where}/${allocationId}`, () =>
        absentIfNotFound(ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId }))),
      );
    },
    async networkInterfaces(filters: Filter[]): Promise<NetworkInterfaceFact[]> {
      const out: NetworkInterfaceFact[] = [];
      let NextToken: string | undefined;
      do {
        const page = await awsCall(`DescribeNetworkInterfaces ${where}`, () =>
          ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filters, NextToken, MaxResults: 1000 })),
        );
        out.push(
          ...(page.NetworkInterfaces ?? []).map((n) => ({
            kind: 'networkInterfaces' as const,
            id: n.NetworkInterfaceId ?? '',
            tags: tagsOf(n.TagSet),
            status: n.Status ?? 'unknown',
            interfaceType: n.InterfaceType ?? 'interface',
            requesterManaged: n.RequesterManaged ?? false,
            description: n.Description ?? '',
          })),
        );
        NextToken = page.NextToken;
      } while (NextToken);
      return out;
    },
    async deleteNetworkInterface(id: string): Promise<'deleted' | 'absent'> {
      return awsCall(`DeleteNetworkInterface ${where}/${id}`, () =>
        absentIfNotFound(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id }))),
      );
    },
    /** Templates tagged with a node group (EKS tags the ones it creates; eksflow's sandbox does too). */
    async nodegroupLaunchTemplates(): Promise<Omit<LaunchTemplateFact, 'nodegroupExists' | 'usedBy'>[]> {
      const filters: Filter[] = [{ Name: 'tag-key', Values: ['eks:nodegroup-name'] }];
      const out: Omit<LaunchTemplateFact, 'nodegroupExists' | 'usedBy'>[] = [];
      let NextToken: string | undefined;
      do {
        const page = await awsCall(`DescribeLaunchTemplates ${where}`, () =>
          ec2.send(new DescribeLaunchTemplatesCommand({ Filters: filters, NextToken })),
        );
        for (const lt of page.LaunchTemplates ?? []) {
          const tags = tagsOf(lt.Tags);
          out.push({
            kind: 'launchTemplates',
            id: lt.LaunchTemplateId ?? '',
            tags,
            name: lt.LaunchTemplateName ?? '',
            createTime: (lt.CreateTime ?? new Date(0)).toISOString(),
            cluster: tags['eks:cluster-name'],
            nodegroup: tags['eks:nodegroup-name'],
          });
        }
        NextToken = page.NextToken;
      } while (NextToken);
      // Tags added after creation come from DescribeTags: moto's DescribeLaunchTemplates returns only
      // the tags a template was created with (AWS returns all; reading both is right on either).
      if (out.length > 0) {
        let TagToken: string | undefined;
        do {
          const page = await awsCall(`DescribeTags launch-template ${where}`, () =>
            ec2.send(
              new DescribeTagsCommand({
                Filters: [
                  { Name: 'resource-type', Values: ['launch-template'] },
                  { Name: 'key', Values: laterTagKeys },
                ],
                NextToken: TagToken,
              }),
            ),
          );
          for (const t of page.Tags ?? []) {
            const lt = out.find((x) => x.id === t.ResourceId);
            if (lt && t.Key) lt.tags[t.Key] = t.Value ?? '';
          }
          TagToken = page.NextToken;
        } while (TagToken);
      }
      return out;
    },
    async deleteLaunchTemplate(id: string): Promise<'deleted' | 'absent'> {
      return awsCall(`DeleteLaunchTemplate ${where}/${id}`, () =>
        absentIfNotFound(ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id }))),
      );
    },
  };
}
