import { Company } from './companies/company.entity';
import { OrgUnit } from './companies/org-unit.entity';
import { User } from './users/user.entity';
import { Customer } from './customers/customer.entity';
import { Lead } from './leads/lead.entity';
import { Followup } from './followups/followup.entity';
import { JourneyEvent } from './journey/journey-event.entity';
import { AuditLog } from './audit/audit-log.entity';
import { Alarm, AlarmMessage, AlarmTimer, CallbackReceipt } from './alarms/alarm.entities';
import { Script, ScriptPick } from './scripts/script.entities';
import { RoutingDecision, RoutingExperiment, RoutingPool, RoutingPoolMember, RoutingRuleSet } from './routing/routing.entities';
import { ImportJob, IntakeChannel, IntakeRecord } from './intake/intake.entities';
import { ContentItem, ContentQueueItem } from './content/content.entities';
import { JourneyStay } from './journey/journey-stay.entity';
import { DirectoryEvent, DirectorySyncItem, DirectorySyncRun } from './directory/directory.entities';
import { CustomerTransfer } from './users/customer-transfer.entity';
import { SignInLink } from './onboarding/sign-in-link.entity';
import { Snapshot } from './snapshots/snapshot.entity';
import { EventSource, InboundEvent, LeadRevenue, ServiceTicket } from './integrations/entities';
import { WebhookDelivery, WebhookSubscription } from './integrations/webhook.entities';
import { Partner, PartnerReferral } from './integrations/partner.entities';
import { ConsistencyRun } from './integrations/consistency.entity';
import { ChatContact, ChatMessage, LeadSignal } from './signals/entities';
import { EntryPoints } from './leaderboard/entities';
import { MissModel } from './alarms/miss-model.entity';
import { ChannelSpend, Conversation, LeadFact, LeadRollup, RepDay } from './metrics/metrics.entities';

export const ENTITIES = [
  Company,
  OrgUnit,
  User,
  Customer,
  Lead,
  Followup,
  JourneyEvent,
  AuditLog,
  AlarmTimer,
  Alarm,
  AlarmMessage,
  CallbackReceipt,
  Script,
  ScriptPick,
  RoutingPool,
  RoutingPoolMember,
  RoutingRuleSet,
  RoutingExperiment,
  RoutingDecision,
  IntakeChannel,
  IntakeRecord,
  ImportJob,
  ContentItem,
  ContentQueueItem,
  JourneyStay,
  LeadFact,
  LeadRollup,
  Conversation,
  ChannelSpend,
  RepDay,
  DirectorySyncRun,
  DirectorySyncItem,
  DirectoryEvent,
  CustomerTransfer,
  SignInLink,
  Snapshot,
  EventSource,
  InboundEvent,
  LeadRevenue,
  ServiceTicket,
  WebhookSubscription,
  WebhookDelivery,
  Partner,
  PartnerReferral,
  ConsistencyRun,
  ChatContact,
  ChatMessage,
  LeadSignal,
  EntryPoints,
  MissModel,
];
