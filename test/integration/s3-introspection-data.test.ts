/**
 * The S3 introspection data store as s3rver sees it: objects named as upstream's Swift store names
 * them, JSON, one per node and kind.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { introspectionDataKey, s3IntrospectionDataStore } from '#lib/adapters/s3/introspection-data-store.ts';

const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: inject('s3Endpoint'),
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const bucket = inject('introspectionDataBucket');
afterAll(() => s3.destroy());

describe('introspection data in s3rver', () => {
  it("names objects as upstream's Swift store does", () => {
    expect(introspectionDataKey('1a2b', true)).toBe('inspector_data-1a2b');
    expect(introspectionDataKey('1a2b', false)).toBe('inspector_data-1a2b-UNPROCESSED');
  });

  it('stores each document as one JSON object under its name', async () => {
    const data = s3IntrospectionDataStore({ s3, bucket });
    const uuid = randomUUID();
    await data.put(uuid, false, { inventory: { cpu: { count: 2 } } });
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `inspector_data-${uuid}-UNPROCESSED` }),
    );
    expect(object.ContentType).toBe('application/json');
    expect(JSON.parse((await object.Body?.transformToString('utf-8')) ?? '')).toEqual({
      inventory: { cpu: { count: 2 } },
    });
    await data.deleteAll(uuid);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `inspector_data-${uuid}-UNPROCESSED` })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });
});
