import {
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

/** IAM reads of a role's permissions (policy documents come URL-encoded from the API; returned decoded). */
export function iamGateway(aws: AwsClientFactory, target: AwsTarget) {
  const iam = aws.iam(target);
  const decode = (doc: string | undefined) => (doc ? decodeURIComponent(doc) : '');
  return {
    async attachedPolicies(roleName: string): Promise<{ name: string; arn: string }[]> {
      const out: { name: string; arn: string }[] = [];
      let Marker: string | undefined;
      do {
        const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker }));
        for (const p of page.AttachedPolicies ?? [])
          if (p.PolicyArn) out.push({ name: p.PolicyName ?? p.PolicyArn, arn: p.PolicyArn });
        Marker = page.IsTruncated ? page.Marker : undefined;
      } while (Marker);
      return out;
    },
    async inlinePolicies(roleName: string): Promise<{ name: string; document: string }[]> {
      const names: string[] = [];
      let Marker: string | undefined;
      do {
        const page = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker }));
        names.push(...(page.PolicyNames ?? []));
        Marker = page.IsTruncated ? page.Marker : undefined;
      } while (Marker);
      const out: { name: string; document: string }[] = [];
      for (const name of names)
        out.push({
          name,
          document: decode(
            (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }))).PolicyDocument,
          ),
        });
      return out;
    },
    /** The default version's document of a managed policy. */
    async policyDocument(arn: string): Promise<string> {
      const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
      if (!policy?.DefaultVersionId) return '';
      return decode(
        (await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.DefaultVersionId })))
          .PolicyVersion?.Document,
      );
    },
  };
}

/** Roles of an instance profile (self-managed nodes carry their role through one). */
export async function instanceProfileRoles(
  aws: AwsClientFactory,
  target: AwsTarget,
  profileArn: string,
): Promise<string[]> {
  const name = profileArn.split('/').pop()!;
  const out = await aws.iam(target).send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
  return (out.InstanceProfile?.Roles ?? []).map((r) => r.Arn!).filter(Boolean);
}
