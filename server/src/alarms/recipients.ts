import type { AlarmRule } from '@lifeline/shared';
import type { Lead } from '../leads/lead.entity';
import type { User } from '../users/user.entity';
import type { Directory } from './tick-cache';

type RecipientRole = 'rep' | 'supervisor' | 'ops';
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
  const list: (Recipient | null)[] = [];
  if (rule === 'unclaimed') list.push(as(centreSupervisor(d, lead, rep), 'supervisor'));
  if (rule === 'no_followup') list.push(as(rep, 'rep'), as(directSupervisor(d, rep, lead), 'supervisor'), as(d.opsHead, 'ops'));
  if (rule === 'high_risk') list.push(as(directSupervisor(d, rep, lead), 'supervisor'));
  if (rule === 'next_step') list.push(as(rep, 'rep'));
  const seen = new Set<number>();
  return list.filter((r): r is Recipient => !!r && !seen.has(r.user.id) && !!seen.add(r.user.id));
}
