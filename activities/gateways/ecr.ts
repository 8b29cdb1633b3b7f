import { DescribeImageScanFindingsCommand, type ImageIdentifier, type ImageScanFinding } from '@aws-sdk/client-ecr';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

export interface EcrImageScan {
  repository: string;
  digest: string;
  status: string;
  findings: ImageScanFinding[];
}

/** ECR image scan results (basic scanning); undefined when the image or its scan does not exist. */
export function ecrGateway(aws: AwsClientFactory, target: AwsTarget) {
  const client = aws.ecr(target);
  return {
    async scanFindings(
      repository: string,
      imageId: ImageIdentifier,
      registryId?: string,
    ): Promise<EcrImageScan | undefined> {
      const findings: ImageScanFinding[] = [];
      let nextToken: string | undefined;
      let digest = imageId.imageDigest ?? '';
      let status = 'UNKNOWN';
      try {
        do {
          const page = await client.send(
            new DescribeImageScanFindingsCommand({
              repositoryName: repository,
              imageId,
              registryId,
              nextToken,
              maxResults: 1000,
            }),
          );
          digest = page.imageId?.imageDigest ?? digest;
          status = page.imageScanStatus?.status ?? status;
          findings.push(...(page.imageScanFindings?.findings ?? []));
          nextToken = page.nextToken;
        } while (nextToken);
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (
          name === 'ScanNotFoundException' ||
          name === 'ImageNotFoundException' ||
          name === 'RepositoryNotFoundException'
        )
          return undefined;
        throw err;
      }
      return { repository, digest, status, findings };
    },
  };
}
