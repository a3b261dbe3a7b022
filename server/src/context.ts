import type { DataSource } from 'typeorm';
import type { AppConfig } from './config';
import type { Clock } from './clock';
import type { Tx } from './db/tx';
import type { TokenService } from './auth/token';
import type { AttributionSource } from './customers/attribution';
import type { DomainEvents } from './events/domain-events';
import type { ActorCache } from './auth/actor-cache';
import type { Channels } from './channels/port';
import type { Checkpoints } from './checkpoints';
import type { PlatformEvents } from './platforms/platform-events';
import type { DirectorySource } from './directory/source';
import type { CustomerTransferClient } from './users/customer-transfers';

/** What every capability's service needs, built once in app.ts and passed down explicitly. */
export interface AppContext {
  config: AppConfig;
  ds: DataSource;
  tx: Tx;
  clock: Clock;
  tokens: TokenService;
  attribution: AttributionSource;
  events: DomainEvents;
  /** Signed-in actors for AUTH_CACHE_MS; clear it after changing users, companies or org units. */
  actors: ActorCache;
  /** The chat channels alarms go out through, composed from the current config in app.ts (composeChannels). */
  channels: () => Channels;
  /** Platform callback events (contact changes, external-contact changes) → the capability that registered for them. */
  platformEvents: PlatformEvents;
  /** Tests and benches: the directory and customer-transfer clients to use instead of the configured platforms. */
  platformOverrides?: { directory?: (companyId: number) => DirectorySource | null; transfers?: (companyId: number) => CustomerTransferClient | null };
  /** Where race tests hold a transaction (no-op in production). */
  checkpoints: Checkpoints;
}
