/** Reading back what a pipeline run left in a bucket. */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

export interface StoredObject {
  readonly key: string;
  readonly body: Buffer;
}

/** Every object under `prefix`, with its body (for the modest volumes of a local run). */
export async function objectsUnder(s3: S3Client, bucket: string, prefix: string): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const entry of page.Contents ?? []) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: entry.Key }));
      objects.push({ key: entry.Key!, body: Buffer.from(await object.Body!.transformToByteArray()) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}
