import { InitialSchema1700000000000 } from './migrations/1700000000000-initial-schema';
import { Alarms1700000100000 } from './migrations/1700000100000-alarms';
import { IntakeRouting1700000200000 } from './migrations/1700000200000-intake-routing';
import { Metrics1700000300000 } from './migrations/1700000300000-metrics';
import { MetricsIndexes1700000400000 } from './migrations/1700000400000-metrics-indexes';
import { MetricsRollup1700000500000 } from './migrations/1700000500000-metrics-rollup';
import { AuthVersion1700000700000 } from './migrations/1700000700000-auth-version';
import { LeadChangeOutbox1700000800000 } from './migrations/1700000800000-lead-change-outbox';
import { ConversationCustomerIndex1700000900000 } from './migrations/1700000900000-conversation-customer-index';
import { CompanyPlatformIds1700001000000 } from './migrations/1700001000000-company-platform-ids';
import { DirectoryColumns1700001100000 } from './migrations/1700001100000-directory-columns';
import { SignInLink1700001200000 } from './migrations/1700001200000-sign-in-link';
import { DirectorySync1700001300000 } from './migrations/1700001300000-directory-sync';
import { CustomerTransfer1700001400000 } from './migrations/1700001400000-customer-transfer';
import { ScriptWording1700001500000 } from './migrations/1700001500000-script-wording';
import { Snapshot1700001600000 } from './migrations/1700001600000-snapshot';
import { OceanengineSpi1700001700000 } from './migrations/1700001700000-oceanengine-spi';
import { InboundEvents1700001800000 } from './migrations/1700001800000-inbound-events';
import { Webhooks1700001900000 } from './migrations/1700001900000-webhooks';
import { PartnersConsistency1700002000000 } from './migrations/1700002000000-partners-consistency';
import { IntentSignals1700002100000 } from './migrations/1700002100000-intent-signals';
import { RoutingExperiments1700002200000 } from './migrations/1700002200000-routing-experiments';
import { EntryPoints1700002300000 } from './migrations/1700002300000-entry-points';
import { MissModel1700002400000 } from './migrations/1700002400000-miss-model';
import { LeadCoOwner1700002500000 } from './migrations/1700002500000-lead-co-owner';
import { CommitMarker1700002600000 } from './migrations/1700002600000-commit-marker';

/** Ordered list; a new schema change is a new file here, never an edit of a shipped one. */
export const MIGRATIONS = [
  InitialSchema1700000000000,
  Alarms1700000100000,
  IntakeRouting1700000200000,
  Metrics1700000300000,
  MetricsIndexes1700000400000,
  MetricsRollup1700000500000,
  AuthVersion1700000700000,
  LeadChangeOutbox1700000800000,
  ConversationCustomerIndex1700000900000,
  CompanyPlatformIds1700001000000,
  DirectoryColumns1700001100000,
  SignInLink1700001200000,
  DirectorySync1700001300000,
  CustomerTransfer1700001400000,
  ScriptWording1700001500000,
  Snapshot1700001600000,
  OceanengineSpi1700001700000,
  InboundEvents1700001800000,
  Webhooks1700001900000,
  PartnersConsistency1700002000000,
  IntentSignals1700002100000,
  RoutingExperiments1700002200000,
  EntryPoints1700002300000,
  MissModel1700002400000,
  LeadCoOwner1700002500000,
  CommitMarker1700002600000,
];
