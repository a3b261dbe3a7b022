import type { User } from '../users/user.entity';
import type { AlarmCard, SuggestedScript } from './alarm.entities';

/** What goes out, already decided per recipient; each adapter renders it in its platform's format. */
export type Outgoing =
  | { kind: 'card'; messageId?: number; taskId: string; title: string; card: AlarmCard; buttons: { key: string; text: string; url?: string }[]; openUrl: string;
      scripts: SuggestedScript[] }
  | { kind: 'digest'; title: string; lines: string[]; openUrl: string }
  | { kind: 'script'; leadName: string; text: string; link: string }
  | { kind: 'update'; responseCode: string | null; replaceName: string; taskId: string };

/** A failed delivery: `retry` for throttling / system busy / timeouts, otherwise recorded as failed with the reason. */
export class DeliveryError extends Error {
  constructor(readonly reason: string, readonly retry: boolean) {
    super(reason);
  }
}

export interface AlarmChannel {
  /** Returns the platform's handle for this copy (e.g. WeCom response_code), if any. `attempt` starts at 1. */
  send(to: User | null, out: Outgoing, attempt: number): Promise<{ ref: string | null }>;
}
