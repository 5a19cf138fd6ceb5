// The S3 emulator (fauxqs) in-process on 127.0.0.1 with a fresh bucket, reached through the
// real AWS SDK v3 client.
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { createS3Client, S3LakeStore } from '../../shared/stores/s3/s3-lake-store.js';

export interface S3Emulator {
  readonly endpoint: string;
  readonly bucket: string;
  readonly s3: S3Client;
  readonly store: S3LakeStore;
  getObjectBytes(key: string): Promise<Uint8Array>;
  stop(): Promise<void>;
}

// Dummy credentials: the emulator accepts any, and tests must never pick up real ones.
process.env['AWS_ACCESS_KEY_ID'] ??= 'test';
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'test';

/** Starts the emulator on a free port and creates `bucket`. */
export async function startS3Emulator(bucket = 'lake-test'): Promise<S3Emulator> {
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  const s3 = createS3Client({ region: 'us-east-1', endpoint });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    s3,
    store: new S3LakeStore(s3, bucket),
    async getObjectBytes(key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return object.Body!.transformToByteArray();
    },
    async stop() {
      s3.destroy();
      await app.close();
    },
  };
}
