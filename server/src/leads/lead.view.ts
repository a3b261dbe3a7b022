import { onlyAsCoOwner } from './lead-scope';
import { LEAD_STATUS_LABELS, OVERDUE_HOURS, describeScore, scoreLevelOf } from '@lifeline/shared';
import type { Actor } from '../auth/actor';
import type { Customer } from '../customers/customer.entity';
import { customerView } from '../customers/customer.view';
import type { Lead } from './lead.entity';

/** Untouched 48 h after creation: the brief's "converts at ~0%" line. */
function isOverdue(lead: Pick<Lead, 'firstFollowupAt' | 'createdAt' | 'status'>, now: number): boolean {
  return lead.firstFollowupAt === null && (lead.status === 'pending' || lead.status === 'assigned') && now - lead.createdAt >= OVERDUE_HOURS * 3600_000;
}

export function leadView(actor: Actor, lead: Lead, customer: Customer | null, ownerName: string | null, now: number) {
  return {
    id: lead.id,
    customerId: lead.customerId,
    customer: customer ? customerView(actor, customer) : null,
    channel: lead.channel,
    campaign: lead.campaign,
    ownerId: lead.ownerId,
    ownerName,
    coOwnerId: lead.coOwnerId,
    /** The viewer sees this lead only as (or through) its co-owner: the sidebar marks it 协同. */
    asCoOwner: onlyAsCoOwner(actor, lead),
    orgUnitId: lead.orgUnitId,
    status: lead.status,
    statusLabel: LEAD_STATUS_LABELS[lead.status],
    journeyNode: lead.journeyNode,
    score: lead.score,
    scoreLevel: scoreLevelOf(lead.score, actor.settings.levelA),
    scoreBreakdown: lead.scoreBreakdown ?? [],
    scoreExplained: describeScore(lead.scoreBreakdown ?? [], now),
    lostReason: lead.lostReason,
    overdue: isOverdue(lead, now),
    createdAt: lead.createdAt,
    assignedAt: lead.assignedAt,
    claimedAt: lead.claimedAt,
    firstFollowupAt: lead.firstFollowupAt,
    lastFollowupAt: lead.lastFollowupAt,
    nextStepDueAt: lead.nextStepDueAt,
    nextStepAction: lead.nextStepAction,
    updatedAt: lead.updatedAt,
    deletedAt: lead.deletedAt,
  };
}
