import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Row } from './tables';

/**
 * The file: gzip of JSON lines. A header, one line per row (`{"t": table, "r": row}`), and an end line with the row
 * counts and per-table checksums. A file without its end line is cut off and refused.
 */
export interface SnapshotHeader {
  format: 'lifeline-snapshot';
  version: 1;
  companyId: number;
  takenAt: number;
  tables: string[];
}

export interface SnapshotEnd {
  end: true;
  rowCounts: Record<string, number>;
  checksums: Record<string, string>;
}

export class SnapshotFileError extends Error {}

/** Reads a snapshot file: the header, then rows a table at a time in chunks; checks the end line and the file's SHA-256. */
export async function* readSnapshot(
  input: Readable,
  expectSha256: string | null,
  chunk = 2000,
): AsyncGenerator<{ header: SnapshotHeader } | { table: string; rows: Row[] } | { end: SnapshotEnd }> {
  const hash = createHash('sha256');
  input.on('data', (b: Buffer) => hash.update(b));
  const lines = createInterface({ input: input.pipe(createGunzip()), crlfDelay: Infinity });
  let header: SnapshotHeader | null = null;
  let end: SnapshotEnd | null = null;
  let table = '';
  let rows: Row[] = [];
  for await (const line of lines) {
    if (!line) continue;
    const rec = JSON.parse(line);
    if (!header) {
      if (rec.format !== 'lifeline-snapshot' || rec.version !== 1) throw new SnapshotFileError('不是 Lifeline 快照文件');
      header = rec as SnapshotHeader;
      yield { header };
      continue;
    }
    if (end) throw new SnapshotFileError('快照文件在结束标记之后还有内容');
    if (rec.end) {
      end = rec as SnapshotEnd;
      continue;
    }
    if (rec.t !== table || rows.length >= chunk) {
      if (rows.length) yield { table, rows };
      table = rec.t;
      rows = [];
    }
    rows.push(rec.r as Row);
  }
  if (rows.length) yield { table, rows };
  if (!header || !end) throw new SnapshotFileError('快照文件不完整（没有结束标记），不能使用');
  if (expectSha256 && hash.digest('hex') !== expectSha256) throw new SnapshotFileError('快照文件校验和不符，文件可能已损坏');
  yield { end };
}
