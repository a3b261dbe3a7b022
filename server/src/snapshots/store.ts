import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * Where snapshot files live. A file is written as `<key>.part` and only `commit` makes `<key>` exist: fsync, then an
 * atomic rename, so a reader never sees half a file under the final name.
 */
export interface SnapshotStore {
  /** A writable for `<key>.part`; `commit` after it has finished. */
  open(key: string): Promise<Writable>;
  commit(key: string): Promise<number>;
  read(key: string): Readable;
  exists(key: string): Promise<boolean>;
  /** Removes `<key>` and `<key>.part` if present. */
  remove(key: string): Promise<void>;
}

/** A folder on local disk (SNAPSHOT_DIR, default DATA_DIR/snapshots). */
export class DiskStore implements SnapshotStore {
  constructor(readonly dir: string) {}

  /** The final file's path on disk. */
  pathOf(key: string): string {
    return this.at(key);
  }

  private at(key: string): string {
    const p = path.resolve(this.dir, key);
    if (!p.startsWith(path.resolve(this.dir) + path.sep)) throw new Error(`snapshot key outside the store: ${key}`);
    return p;
  }

  async open(key: string): Promise<Writable> {
    await fs.mkdir(path.dirname(this.at(key)), { recursive: true });
    return createWriteStream(`${this.at(key)}.part`);
  }

  async commit(key: string): Promise<number> {
    const part = `${this.at(key)}.part`;
    const fh = await fs.open(part, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(part, this.at(key));
    const dir = await fs.open(path.dirname(this.at(key)), 'r');
    try {
      await dir.sync(); // the rename itself survives a power cut
    } finally {
      await dir.close();
    }
    return (await fs.stat(this.at(key))).size;
  }

  read(key: string): Readable {
    return createReadStream(this.at(key));
  }

  async exists(key: string): Promise<boolean> {
    return fs.access(this.at(key)).then(
      () => true,
      () => false,
    );
  }

  async remove(key: string): Promise<void> {
    await fs.rm(this.at(key), { force: true });
    await fs.rm(`${this.at(key)}.part`, { force: true });
  }
}
