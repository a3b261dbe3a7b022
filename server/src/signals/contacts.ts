import type { AppContext } from '../context';
import { ChatContact } from './entities';
import { isUniqueViolation } from '../db/tx';

/**
 * The sidebar opened a chat whose contact's remark phones name exactly one of our customers: the chat's external userid
 * is that customer from now on, so the archive sidecar's messages find their lead. A contact linked to another customer
 * is re-linked (the rep corrected the remark).
 */
export async function linkChatContact(app: AppContext, companyId: number, externalUserId: string, phones: string[]): Promise<number | null> {
  if (!phones.length) return null;
  const found: { id: number }[] = await app.ds.query(
    `SELECT id FROM customer WHERE companyId = ? AND deletedAt IS NULL AND phone IN (${phones.map(() => '?').join(',')})`,
    [companyId, ...phones],
  );
  if (found.length !== 1) return null;
  const customerId = Number(found[0].id);
  const now = app.clock.now();
  const repo = app.ds.getRepository(ChatContact);
  const row = await repo.findOneBy({ companyId, externalUserId });
  if (row?.customerId === customerId) return customerId;
  try {
    if (row) await repo.update({ id: row.id }, { customerId, updatedAt: now });
    else await repo.insert({ companyId, externalUserId, customerId, consent: null, consentAt: null, createdAt: now, updatedAt: now });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err; // the sidecar's consent message created it a moment ago
    await repo.update({ companyId, externalUserId }, { customerId, updatedAt: now });
  }
  return customerId;
}
