import { In, type EntityManager } from 'typeorm';
import { AuditLog } from '../audit/audit-log.entity';
import { Followup } from '../followups/followup.entity';
import { JourneyEvent } from '../journey/journey-event.entity';
import { Script } from '../scripts/script.entities';
import { User } from '../users/user.entity';
import type { Lead } from './lead.entity';
import { externalTimelineEntries } from '../integrations/timeline-entries';
import { LEAD_STATUS_LABELS, type LeadStatus } from '@lifeline/shared';

const statusLabel = (s: string) => LEAD_STATUS_LABELS[s as LeadStatus] ?? s;

export interface TimelineEntry {
  at: number;
  kind: 'intake' | 'assigned' | 'followup' | 'journey' | 'status' | 'deleted' | 'restored' | 'revenue' | 'service' | 'event';
  text: string;
  actorId: number | null;
  actorName: string | null;
  followupId?: number;
  scriptId?: number | null;
  /** The script used, by title (from the follow-up or the journey step). */
  scriptTitle?: string | null;
  /** What kind of step a follow-up was: contact, material, booking, signing. */
  step?: 'contact' | 'material' | 'booking' | 'signing';
  /** "1月12日 14:23" in China time, ready to show. */
  when: string;
}

const STEP_OF: Record<string, TimelineEntry['step']> = { 已发送资料: 'material', 已预约试听: 'booking', 已签约: 'signing' };

/**
 * A lead's story in order: intake, assignment, each contact, node changes, status changes.
 * Built from the rows that already record those facts (audit, follow-ups, journey), so it cannot drift.
 */
export async function buildTimeline(em: EntityManager, lead: Lead): Promise<TimelineEntry[]> {
  const [audits, followups, journey, external] = await Promise.all([
    em.getRepository(AuditLog).find({
      where: { companyId: lead.companyId, entity: 'lead', entityId: lead.id, field: In(['*', 'ownerId', 'status', 'deletedAt', 'moveReason']) },
      order: { at: 'ASC', id: 'ASC' },
    }),
    em.getRepository(Followup).find({ where: { companyId: lead.companyId, leadId: lead.id }, order: { createdAt: 'ASC', id: 'ASC' } }),
    em.getRepository(JourneyEvent).find({ where: { companyId: lead.companyId, leadId: lead.id }, order: { at: 'ASC', id: 'ASC' } }),
    externalTimelineEntries(em, lead),
  ]);

  const userIds = new Set<number>();
  for (const a of audits) {
    if (a.actorId) userIds.add(a.actorId);
    if (a.field === 'ownerId' && a.after && a.after !== 'null') userIds.add(Number(a.after));
    if (a.field === '*') {
      const snap = JSON.parse(a.after ?? '{}') as { ownerId?: number | null };
      if (snap.ownerId) userIds.add(snap.ownerId);
    }
  }
  followups.forEach((f) => userIds.add(f.authorId));
  journey.forEach((j) => j.actorId && userIds.add(j.actorId));
  const users = userIds.size
    ? await em.getRepository(User).find({ select: { id: true, name: true }, where: { companyId: lead.companyId, id: In([...userIds]) } })
    : [];
  const scriptIds = [...new Set([...followups.map((f) => f.scriptId), ...journey.map((j) => j.scriptId)].filter((x): x is number => x !== null))];
  const scripts = scriptIds.length
    ? await em.getRepository(Script).find({ select: { id: true, title: true }, where: { companyId: lead.companyId, id: In(scriptIds) } })
    : [];
  const scriptTitle = (id: number | null) => (id === null ? null : (scripts.find((x) => x.id === id)?.title ?? `#${id}`));
  const name = (id: number | null | undefined) => (id ? (users.find((u) => u.id === id)?.name ?? `#${id}`) : null);

  // Why an owner changed (a leaver's hand-over, 在职转接): written beside the ownerId row by users/lead-moves.ts.
  const reasons = new Map(audits.filter((a) => a.field === 'moveReason').map((a) => [`${a.at}/${a.requestId}`, JSON.parse(a.after ?? 'null') as string]));
  const out: Omit<TimelineEntry, 'when'>[] = [];
  for (const a of audits) {
    const base = { at: a.at, actorId: a.actorId, actorName: name(a.actorId) };
    if (a.field === 'moveReason') continue;
    if (a.field === '*') {
      const snap = JSON.parse(a.after ?? '{}') as { channel?: string; ownerId?: number | null };
      out.push({ ...base, kind: 'intake', text: `${snap.channel ?? ''} 留资`.trim() });
      if (snap.ownerId) out.push({ ...base, kind: 'assigned', text: `分配给 ${name(snap.ownerId)}` });
    } else if (a.field === 'ownerId') {
      const to = a.after && a.after !== 'null' ? Number(a.after) : null;
      const why = reasons.get(`${a.at}/${a.requestId}`);
      const text = to ? `分配给 ${name(to)}` : why ? '进入轮转队列，待主管分配' : '退回待分配';
      out.push({ ...base, kind: 'assigned', text: why ? `${text}（${why}）` : text });
    } else if (a.field === 'status') {
      out.push({ ...base, kind: 'status', text: `状态改为 ${statusLabel(JSON.parse(a.after ?? 'null'))}` });
    } else if (a.field === 'deletedAt') {
      const deleted = a.action === 'delete';
      out.push({ ...base, kind: deleted ? 'deleted' : 'restored', text: deleted ? '移入回收站' : '从回收站恢复' });
    }
  }
  for (const f of followups) {
    if (f.deletedAt) continue;
    const next = f.nextStepAt ? `（下一步：${formatShanghai(f.nextStepAt)} ${f.nextStepAction ?? ''}）` : '';
    out.push({
      at: f.createdAt,
      kind: 'followup',
      actorId: f.authorId,
      actorName: name(f.authorId),
      text: `${f.action}${f.signedCourse ? `（${f.signedCourse}）` : ''}${f.conclusion ? `：${f.conclusion}` : ''}${next}`,
      followupId: f.id,
      scriptId: f.scriptId,
      scriptTitle: scriptTitle(f.scriptId),
      step: STEP_OF[f.action] ?? 'contact',
    });
  }
  for (const j of journey) {
    if (j.fromNode === null) continue; // entering 线索获取 is the intake itself
    out.push({
      at: j.at,
      kind: 'journey',
      actorId: j.actorId,
      actorName: name(j.actorId),
      text: `进入「${j.toNode}」`,
      followupId: j.followupId ?? undefined,
      scriptId: j.scriptId,
      scriptTitle: scriptTitle(j.scriptId),
    });
  }
  for (const x of external) out.push({ ...x, actorId: null, actorName: null });
  const order: Record<TimelineEntry['kind'], number> = {
    intake: 0,
    assigned: 1,
    followup: 2,
    revenue: 3,
    journey: 4,
    status: 5,
    service: 6,
    event: 7,
    deleted: 8,
    restored: 9,
  };
  return out.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind]).map((e) => ({ ...e, when: formatShanghai(e.at) }));
}

const fmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/** "1月20日 15:00" in China time, whatever the server's TZ. */
function formatShanghai(ms: number): string {
  const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
}
