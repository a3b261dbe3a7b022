import type { Logger } from '../logger';

/** A decrypted WeCom callback event (XML fields as strings) or DingTalk event (JSON), first delivery only. */
export type WecomEventFields = Record<string, string>;
export type DingtalkEventBody = Record<string, unknown>;

/** `dedupeKey` names the signed request (platform + signature): the same key again is a replay or a platform retry. */
export interface EventDelivery {
  dedupeKey: string;
  log?: Logger;
}

type Handler<E> = (event: E, delivery: EventDelivery) => Promise<void>;

/**
 * Platform callback events other than alarm taps, handed to the capability that registered for them (directory
 * sync for contact changes, customer transfers for external-contact changes). The callback routes call `wecom` /
 * `dingtalk` before they answer the platform and before they write the request's replay receipt, so a handler must
 * record the event durably, idempotently on `dedupeKey` (a retry or replay may hand it over again), and return
 * quickly (WeCom waits 5 s); the work happens afterwards. A handler that throws makes the callback answer 5xx and
 * the platform retries: that is how nothing is lost.
 */
export class PlatformEvents {
  private readonly wecomHandlers = new Map<string, Handler<WecomEventFields>[]>();
  private readonly dingtalkHandlers = new Map<string, Handler<DingtalkEventBody>[]>();

  /** `event` is the WeCom `Event` (e.g. `change_contact`, `change_external_contact`). */
  onWecom(event: string, handler: Handler<WecomEventFields>): void {
    this.wecomHandlers.set(event, [...(this.wecomHandlers.get(event) ?? []), handler]);
  }

  /** `eventType` is DingTalk's `EventType` (e.g. `user_leave_org`, `org_dept_modify`). */
  onDingtalk(eventType: string, handler: Handler<DingtalkEventBody>): void {
    this.dingtalkHandlers.set(eventType, [...(this.dingtalkHandlers.get(eventType) ?? []), handler]);
  }

  /** True when some capability took the event. */
  async wecom(ev: WecomEventFields, delivery: EventDelivery): Promise<boolean> {
    const handlers = ev.MsgType === 'event' ? (this.wecomHandlers.get(ev.Event ?? '') ?? []) : [];
    for (const h of handlers) await h(ev, delivery);
    return handlers.length > 0;
  }

  async dingtalk(ev: DingtalkEventBody, delivery: EventDelivery): Promise<boolean> {
    const handlers = this.dingtalkHandlers.get(String(ev.EventType ?? '')) ?? [];
    for (const h of handlers) await h(ev, delivery);
    return handlers.length > 0;
  }
}
