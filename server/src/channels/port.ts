import type { User } from '../users/user.entity';

/**
 * The chat-channel port: what the alarm engine hands to a channel and what a channel may answer. Neutral ground:
 * the adapters in platforms/ implement it without importing the alarm engine, the engine uses it without knowing
 * a platform, and app.ts composes the adapters (composeChannels).
 */

/** Where a copy goes: the local console, a person on WeCom / DingTalk, or a group robot. */
export type ChannelKind = 'local' | 'wecom' | 'dingtalk' | 'wecom_grp' | 'ding_grp';

/** What a card shows; a snapshot taken when the alarm fired. */
export interface AlarmCard {
  leadName: string;
  maskedPhone: string;
  channel: string;
  age: string;
  ruleLabel: string;
  repName: string | null;
  grade: string | null;
  nextStepAction: string | null;
}

export interface SuggestedScript {
  scriptId: number;
  title: string;
  text: string;
}

/** What goes out, already decided per recipient; each adapter renders it in its platform's format. */
export type Outgoing =
  | {
      kind: 'card';
      messageId?: number;
      taskId: string;
      title: string;
      card: AlarmCard;
      buttons: { key: string; text: string; url?: string }[];
      openUrl: string;
      scripts: SuggestedScript[];
    }
  | { kind: 'digest'; title: string; lines: string[]; openUrl: string }
  | { kind: 'script'; leadName: string; text: string; link: string }
  | { kind: 'update'; responseCode: string | null; replaceName: string; taskId: string };

/** A failed delivery: `retry` for throttling / system busy / timeouts, otherwise recorded as failed with the reason. */
export class DeliveryError extends Error {
  constructor(
    readonly reason: string,
    readonly retry: boolean,
  ) {
    super(reason);
  }
}

/** The platform already has this message (a retry after a lost reply): record it as sent. */
export class AlreadyDelivered extends Error {
  /** The copy's platform handle when it is known without the lost reply (DingTalk: our own outTrackId). */
  constructor(readonly ref: string | null = null) {
    super('already delivered');
  }
}

export interface AlarmChannel {
  /** Returns the platform's handle for this copy (e.g. WeCom response_code), if any. `attempt` starts at 1. */
  send(to: User | null, out: Outgoing, attempt: number): Promise<{ ref: string | null }>;
}

/** One channel per kind, composed in app.ts. */
export type Channels = Record<ChannelKind, AlarmChannel>;
