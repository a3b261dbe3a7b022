import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeEachDb, Harness } from '../support/harness';
import { FakeS3 } from '../fakes/s3-server';
import { S3Store } from '../../server/src/snapshots';
import { claimSnapshot, writeSnapshot } from '../../server/src/snapshots/writer';
import { restoreSnapshot } from '../../server/src/snapshots/restore';
import { Snapshot } from '../../server/src/snapshots/snapshot.entity';
import type { Actor } from '../../server/src/auth/actor';
import { effectiveSettings } from '../../server/src/companies/settings';

/**
 * Snapshot files in S3-compatible storage (docs/data-safety.md), against a fake object store on loopback that checks
 * every request's Signature V4 and body hash: the file lands in the bucket only whole, the staging folder is emptied,
 * a restore reads it back; a refused upload or a wrong key leaves a failed, never usable, snapshot.
 */
describeEachDb('snapshots in S3-compatible storage', (kind) => {
  const h = new Harness(kind, 0);
  const s3 = new FakeS3();
  let staging: string;
  beforeAll(async () => {
    await h.start();
    await s3.start();
    staging = mkdtempSync(path.join(os.tmpdir(), 'lifeline-s3-staging-'));
  });
  afterAll(async () => {
    await s3.stop();
    await h.stop();
  });
  const store = (secret = s3.secretAccessKey) =>
    new S3Store({ endpoint: s3.base, bucket: s3.bucket, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: secret }, staging);
  const admin = async (): Promise<Actor> => {
    const u = await h.user('系统管理员');
    return { id: u.id, companyId: h.seed.companyId, role: 'admin', name: u.name, orgUnitId: null, settings: effectiveSettings({}), scope: null };
  };
  const stagedFiles = () => readdirSync(staging, { recursive: true }).filter((f) => String(f).includes('.jsonl.gz'));

  it('uploads the whole file with a valid signature, keeps nothing staged, and a restore reads it back', async () => {
    const snap = await writeSnapshot(h.app, store(), (await claimSnapshot(h.app, h.seed.companyId, 'manual', 's3-ok', null))!);
    expect(snap.status).toBe('complete');
    expect(s3.objects.get(snap.file)?.length).toBe(Number(snap.sizeBytes));
    expect(stagedFiles()).toEqual([]);
    const preview = await restoreSnapshot(h.app, store(), await admin(), snap.id, { dryRun: true });
    expect(preview.tables.lead).toMatchObject({ changed: 0, missing: 0 });
    expect(preview.tables.lead.unchanged).toBeGreaterThan(0);
  });

  it('a refused upload (503) or a wrong secret (403) leaves a failed snapshot, nothing in the bucket under its key', async () => {
    s3.failNext(503);
    await expect(writeSnapshot(h.app, store(), (await claimSnapshot(h.app, h.seed.companyId, 'manual', 's3-503', null))!)).rejects.toThrow(/S3 503/);
    await expect(writeSnapshot(h.app, store('wrong-secret'), (await claimSnapshot(h.app, h.seed.companyId, 'manual', 's3-403', null))!)).rejects.toThrow(
      /S3 403/,
    );
    for (const slot of ['s3-503', 's3-403']) {
      const row = await h.ds.getRepository(Snapshot).findOneByOrFail({ slot });
      expect(row.status).toBe('failed');
      expect(s3.objects.has(row.file)).toBe(false);
    }
    expect(stagedFiles()).toEqual([]);
  });

  it('a restore of a snapshot whose object is gone is refused with a clear 409', async () => {
    const snap = await writeSnapshot(h.app, store(), (await claimSnapshot(h.app, h.seed.companyId, 'manual', 's3-gone', null))!);
    s3.objects.delete(snap.file);
    await expect(restoreSnapshot(h.app, store(), await admin(), snap.id, { dryRun: true })).rejects.toMatchObject({ status: 409 });
  });
});
