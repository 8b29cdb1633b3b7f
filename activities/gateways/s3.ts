import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

export interface S3ObjectInfo {
  key: string;
  size: number;
}

/** S3 objects: put, get, list under a prefix (archives, markers, exports). */
export function s3Gateway(aws: AwsClientFactory, target: AwsTarget) {
  const s3 = aws.s3(target);
  const missing = (err: unknown) =>
    ['NoSuchKey', 'NotFound', 'NoSuchBucket'].includes((err as { name?: string }).name ?? '');
  return {
    async bucketExists(bucket: string): Promise<boolean> {
      try {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
        return true;
      } catch (err) {
        if (missing(err) || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
          return false;
        throw err;
      }
    },
    async put(
      bucket: string,
      key: string,
      body: string,
      contentType = 'application/json',
      metadata?: Record<string, string>,
    ): Promise<void> {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ...(metadata ? { Metadata: metadata } : {}),
        }),
      );
    },
    /** The object's text with its user metadata and ETag, or undefined when it does not exist. */
    async read(
      bucket: string,
      key: string,
    ): Promise<{ body: string; metadata: Record<string, string>; etag?: string; size: number } | undefined> {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body = (await out.Body?.transformToString()) ?? '';
        return { body, metadata: out.Metadata ?? {}, etag: out.ETag, size: out.ContentLength ?? body.length };
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    /** The object's text, or undefined when it does not exist. */
    async get(bucket: string, key: string): Promise<string | undefined> {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await out.Body?.transformToString();
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    async list(bucket: string, prefix: string): Promise<S3ObjectInfo[]> {
      const out: S3ObjectInfo[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
        for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return out;
    },
  };
}
