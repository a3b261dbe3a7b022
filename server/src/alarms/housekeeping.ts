import { In, LessThan } from 'typeorm';
import type { AppContext } from '../context';
import { CallbackReceipt } from './alarm.entities';

/** Platforms retry a callback within seconds; a week of receipts is far more than de-duplication needs. */
const RECEIPT_RETENTION_MS = 7 * 24 * 3600_000;

/** Deletes callback receipts past retention, in small batches so it never holds long locks. Returns how many. */
export async function pruneCallbackReceipts(app: AppContext, batch = 1000): Promise<number> {
  const cutoff = app.clock.now() - RECEIPT_RETENTION_MS;
  let removed = 0;
  for (;;) {
    const rows = await app.ds
      .getRepository(CallbackReceipt)
      .find({ select: { id: true }, where: { receivedAt: LessThan(cutoff) }, order: { id: 'ASC' }, take: batch });
    if (!rows.length) return removed;
    await app.ds.getRepository(CallbackReceipt).delete({ id: In(rows.map((r) => r.id)) });
    removed += rows.length;
  }
}
