import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import aws4 from 'aws4';
import { DiskStore, type SnapshotStore } from './store';
import { doneOutside } from '../db/tx';

export interface S3Config {
  /** The service's base URL, e.g. http://minio:9000 or https://cos.ap-shanghai.myqcloud.com (path-style addressing). */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export class S3Error extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Snapshot files in S3-compatible object storage (MinIO, Ceph, COS, OSS's S3 API…), signed with AWS Signature V4.
 * A file is written to the local staging folder as `<key>.part`, and `commit` uploads it whole with one PUT (the row
 * turns complete only after the PUT succeeded) and removes the local copy: a crash before that leaves nothing in the
 * bucket under the key.
 */
export class S3Store implements SnapshotStore {
  private readonly staging: DiskStore;

  constructor(
    private readonly cfg: S3Config,
    stagingDir: string,
  ) {
    this.staging = new DiskStore(stagingDir);
  }

  private async call(method: string, key: string, body?: { file: string; size: number; sha256: string }): Promise<Response> {
    const url = new URL(`${this.cfg.endpoint.replace(/\/$/, '')}/${this.cfg.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
    const headers: Record<string, string> = { 'x-amz-content-sha256': body?.sha256 ?? createHash('sha256').update('').digest('hex') };
    if (body) headers['content-length'] = String(body.size);
    const signed = aws4.sign(
      { host: url.host, path: url.pathname, method, service: 's3', region: this.cfg.region, headers },
      { accessKeyId: this.cfg.accessKeyId, secretAccessKey: this.cfg.secretAccessKey },
    );
    const init: RequestInit & { duplex?: 'half' } = { method, headers: signed.headers as Record<string, string> };
    if (body) {
      init.body = Readable.toWeb(createReadStream(body.file)) as ReadableStream;
      init.duplex = 'half';
    }
    doneOutside();
    return fetch(url, init);
  }

  async open(key: string): Promise<Writable> {
    return this.staging.open(key);
  }

  async commit(key: string): Promise<number> {
    const local = await this.staging.commit(key); // whole and synced locally first
    const file = this.staging.pathOf(key);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const res = await this.call('PUT', key, { file, size: local, sha256: hash.digest('hex') });
    if (!res.ok) throw new S3Error(res.status, `快照上传失败（S3 ${res.status}）：${(await res.text()).slice(0, 200)}`);
    await fs.rm(file, { force: true });
    return local;
  }

  read(key: string): Readable {
    const call = () => this.call('GET', key);
    return Readable.from(
      (async function* () {
        const res = await call();
        if (!res.ok || !res.body) throw new S3Error(res.status, `快照下载失败（S3 ${res.status}）`);
        yield* Readable.fromWeb(res.body as WebReadableStream);
      })(),
      { objectMode: false },
    );
  }

  async exists(key: string): Promise<boolean> {
    const res = await this.call('HEAD', key);
    if (res.status === 404) return false;
    if (!res.ok) throw new S3Error(res.status, `快照存储不可用（S3 ${res.status}）`);
    return true;
  }

  async remove(key: string): Promise<void> {
    await this.staging.remove(key);
    const res = await this.call('DELETE', key);
    if (!res.ok && res.status !== 404) throw new S3Error(res.status, `快照删除失败（S3 ${res.status}）`);
  }
}
