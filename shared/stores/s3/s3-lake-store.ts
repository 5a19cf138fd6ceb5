// The lake bucket over the AWS SDK v3: writes for ingest, listings for the orphan check.
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LakeObjectWriter } from '../../ingest/ports.js';

/** A listed object. */
export interface LakeObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

/**
 * Creates an S3 client; with an endpoint (local emulator) it uses path-style addressing.
 *
 * @example const s3 = createS3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' });
 */
export function createS3Client(options: {
  region: string;
  endpoint?: string | undefined;
  /** Credentials to use instead of the default chain (e.g. dummy ones for an emulator). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}

/** @example await new S3LakeStore(s3, 'my-lake').putObject('events/...', bytes, 'application/vnd.apache.parquet'); */
export class S3LakeStore implements LakeObjectWriter {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async putObject(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  /** Every object under a prefix, following continuation tokens. */
  async listObjects(prefix: string): Promise<LakeObjectInfo[]> {
    const objects: LakeObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        objects.push({ key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }
}
