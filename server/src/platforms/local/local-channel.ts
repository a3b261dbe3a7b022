import type { AlarmChannel } from '../../channels/port';

/**
 * The local channel: the outbox row is the message. The /console/ page shows each person's messages and
 * its buttons post to the same tap handling as the platform callbacks; card updates show from the alarm row.
 */
export class LocalChannel implements AlarmChannel {
  async send(): Promise<{ ref: string | null }> {
    return { ref: null };
  }
}
