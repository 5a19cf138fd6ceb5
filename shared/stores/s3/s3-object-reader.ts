// Reads objects of the lake bucket as text (quarantine objects, for replays).
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { QuarantineObjects } from '../../replay/ports.js';

/** @example const text = await new S3ObjectReader(s3, 'my-lake').readText('quarantine/stream=events/dt=2026-11-26/x.ndjson'); */
export class S3ObjectReader implements QuarantineObjects {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async readText(key: string): Promise<string | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await object.Body!.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }
}
