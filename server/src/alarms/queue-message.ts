import type { EntityManager } from 'typeorm';
import { AlarmMessage } from './alarm.entities';

/**
 * One outbox row for the dispatcher to deliver (retries, backoff, fencing), unless its dedupe key is already queued.
 * False when it was: the message is on its way already.
 */
export async function queueMessage(
  em: EntityManager,
  now: number,
  m: Pick<AlarmMessage, 'companyId' | 'alarmId' | 'recipientId' | 'kind' | 'channel' | 'payload' | 'dedupeKey'>,
): Promise<boolean> {
  const exists = await em.getRepository(AlarmMessage).findOneBy({ companyId: m.companyId, dedupeKey: m.dedupeKey });
  if (exists) return false;
  await em.getRepository(AlarmMessage).insert({
    ...m,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    sentAt: null,
    actedAt: null,
    platformRef: null,
    digestId: null,
    leaseOwner: null,
    leaseUntil: null,
    createdAt: now,
    updatedAt: now,
  });
  return true;
}
