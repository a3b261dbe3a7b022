import { ALARM_RECIPIENTS, type AlarmRecipient, type AlarmRule } from '@lifeline/shared';
import type { Lead } from '../leads/lead.entity';
import type { User } from '../users/user.entity';
import type { Directory } from './tick-cache';

/** copy: a KA co-owner's copy of the rep's reminder: read-only (已知悉), the rep's buttons stay with the rep. */
type RecipientRole = 'rep' | 'supervisor' | 'ops' | 'copy';
export interface Recipient {
  user: User;
  role: RecipientRole;
}

function active(d: Directory, id: number | null | undefined): User | null {
  const u = id ? d.users.get(id) : undefined;
  return u && u.active && u.deletedAt === null ? u : null;
}

/** The rep's direct supervisor: their manager, else their team's supervisor. */
function directSupervisor(d: Directory, rep: User | null, lead: Lead): User | null {
  const byManager = active(d, rep?.managerId);
  if (byManager) return byManager;
  const unitId = rep?.orgUnitId ?? lead.orgUnitId;
  return active(d, unitId ? d.units.get(unitId)?.supervisorId : null);
}

/** The supervisor of the centre (中心) the lead sits in: the first ancestor of kind centre with a supervisor. */
function centreSupervisor(d: Directory, lead: Lead, rep: User | null): User | null {
  const unitId = lead.orgUnitId ?? rep?.orgUnitId;
  const unit = unitId ? d.units.get(unitId) : undefined;
  for (const id of unit ? unit.path.split('/').filter(Boolean).map(Number) : []) {
    const u = d.units.get(id);
    const sup = u?.kind === 'centre' ? active(d, u.supervisorId) : null;
    if (sup) return sup;
  }
  return directSupervisor(d, rep, lead);
}

/** Who gets which rule's alarm (brief "Alarms"); one entry per person, the first role wins. */
export function recipientsFor(d: Directory, rule: AlarmRule, lead: Lead): Recipient[] {
  const rep = active(d, lead.ownerId);
  const as = (user: User | null, role: RecipientRole) => (user ? { user, role } : null);
  const who: Record<AlarmRecipient, () => Recipient | null> = {
    rep: () => as(rep, 'rep'),
    directSupervisor: () => as(directSupervisor(d, rep, lead), 'supervisor'),
    centreSupervisor: () => as(centreSupervisor(d, lead, rep), 'supervisor'),
    opsHead: () => as(d.opsHead, 'ops'),
  };
  const list = ALARM_RECIPIENTS[rule].map((r) => who[r]());
  // 双人协同: the co-owner gets the rep's reminders as a copy.
  if (ALARM_RECIPIENTS[rule].includes('rep')) list.push(as(active(d, lead.coOwnerId), 'copy'));
  const seen = new Set<number>();
  return list.filter((r): r is Recipient => !!r && !seen.has(r.user.id) && !!seen.add(r.user.id));
}
