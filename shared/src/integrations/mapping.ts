import { getPath, parsePath } from '../intake/json-path';
import { parsePhone } from '../phone';

/**
 * Inbound business events (finance 回款, after-sales 工单, anything else): what a source's JSON-path mapping reads
 * out of its payload, and the typed event it becomes. Pure, so the settings screen can try a sample payload with the
 * exact rules the server applies.
 */
/** chat_archive: the 会话存档 sidecar, which posts chat messages to /api/chat-messages (docs/signals.md), not events. */
export const SOURCE_KINDS = ['finance', 'after_sales', 'custom', 'chat_archive'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const SOURCE_KIND_LABELS: Record<SourceKind, string> = {
  finance: '财务回款',
  after_sales: '售后工单',
  custom: '其他业务事件',
  chat_archive: '会话存档',
};

/** The fields a mapping may name, per kind; `eventId` is always required (idempotency). */
export const EVENT_FIELDS: Record<SourceKind, readonly string[]> = {
  finance: ['eventId', 'customerId', 'phone', 'leadId', 'contractNo', 'amount', 'paidAt', 'customerName'],
  after_sales: ['eventId', 'customerId', 'phone', 'ticketId', 'category', 'status', 'fault', 'summary', 'occurredAt'],
  custom: ['eventId', 'customerId', 'phone', 'type', 'summary', 'occurredAt'],
  chat_archive: [],
};

export const EVENT_FIELD_LABELS: Record<string, string> = {
  eventId: '事件编号',
  customerId: '客户ID（本系统）',
  phone: '客户手机号',
  leadId: '线索ID（本系统）',
  contractNo: '合同编号',
  amount: '金额（元）',
  paidAt: '回款日期',
  customerName: '客户名称',
  ticketId: '工单编号',
  category: '工单类别',
  status: '工单状态',
  fault: '是否故障',
  summary: '摘要',
  occurredAt: '发生时间',
  type: '事件类型',
};

export type EventMapping = Record<string, string>;

const snake = (f: string) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** Defaults: `$.event_id` style snake-case keys at the top level. */
export function defaultEventMapping(kind: SourceKind): EventMapping {
  if (kind === 'chat_archive') return {};
  return Object.fromEntries(EVENT_FIELDS[kind].map((f) => [f, `$.${f === 'eventId' ? 'id' : snake(f)}`]));
}

/** Names a mapping may not use for its kind, and paths that do not parse. */
export function mappingProblems(kind: SourceKind, mapping: EventMapping): string[] {
  const out: string[] = [];
  if (kind === 'chat_archive') return Object.keys(mapping).length ? ['会话存档来源按固定格式推送，不使用字段映射'] : [];
  for (const [field, path] of Object.entries(mapping)) {
    if (!EVENT_FIELDS[kind].includes(field)) out.push(`「${field}」不是${SOURCE_KIND_LABELS[kind]}可映射的字段（可用：${EVENT_FIELDS[kind].join('、')}）`);
    else if (!parsePath(path)) out.push(`「${field}」的路径无效：${path}`);
  }
  if (!mapping.eventId) out.push('映射必须包含事件编号（eventId），用来识别重复推送');
  if (kind === 'after_sales' && !mapping.ticketId) out.push('售后工单映射必须包含工单编号（ticketId）');
  if (kind === 'finance' && !mapping.amount) out.push('回款映射必须包含金额（amount）');
  return out;
}

/** Who an event is about: our customer id, or a phone to look up. */
export interface EventSubject {
  customerId: number | null;
  phone: string | null;
}

export type TicketStatus = 'open' | 'closed';

export type MappedEvent =
  | ({
      kind: 'finance';
      eventId: string;
      leadId: number | null;
      contractNo: string | null;
      amountFen: number;
      paidAt: number;
      customerName: string | null;
    } & EventSubject)
  | ({
      kind: 'after_sales';
      eventId: string;
      ticketId: string;
      category: string;
      status: TicketStatus;
      fault: boolean | null;
      summary: string | null;
      occurredAt: number;
    } & EventSubject)
  | ({ kind: 'custom'; eventId: string; type: string; summary: string | null; occurredAt: number } & EventSubject);

const OPEN_WORDS = ['open', 'opened', 'new', 'created', 'processing', 'pending', 'in_progress', '新建', '待处理', '处理中', '已受理', '打开'];
const CLOSED_WORDS = ['closed', 'close', 'resolved', 'done', 'finished', 'cancelled', '已关闭', '已解决', '已完成', '关闭', '已取消', '完结'];

/** A payload through a mapping: the typed event, or the reason it cannot be one (a 400 for the sender). */
export function mapEvent(kind: SourceKind, payload: unknown, mapping: EventMapping, now: number): MappedEvent | { error: string } {
  if (kind === 'chat_archive') return { error: '会话存档来源请把消息推送到 /api/chat-messages（见 docs/signals.md）' };
  const get = (f: string) => (mapping[f] ? getPath(payload, mapping[f]) : undefined);
  const eventId = idText(get('eventId'));
  if (!eventId) return { error: `缺少事件编号（${mapping.eventId ?? 'eventId'}），或超过64个字符` };
  const subject = subjectOf(get('customerId'), get('phone'));
  if ('error' in subject) return subject;
  if (kind === 'finance') {
    const amountFen = fenOf(get('amount'));
    if (amountFen === null) return { error: `金额（${mapping.amount}）应为大于0的数字，单位元，最多两位小数` };
    const paidAt = timeOf(get('paidAt'), now);
    if (paidAt === null) return { error: `回款日期（${mapping.paidAt}）无法识别，请用 2026-03-15、2026-03-15T10:00:00+08:00 或毫秒时间戳` };
    const leadId = get('leadId');
    return {
      kind,
      eventId,
      ...subject,
      leadId: leadId === undefined || leadId === null || leadId === '' ? null : positiveInt(leadId),
      contractNo: shortText(get('contractNo'), 64),
      amountFen,
      paidAt,
      customerName: shortText(get('customerName'), 32),
    };
  }
  const occurredAt = timeOf(get('occurredAt'), now);
  if (occurredAt === null) return { error: `发生时间（${mapping.occurredAt}）无法识别，请用 ISO 时间或毫秒时间戳` };
  const summary = shortText(get('summary'), 200);
  if (kind === 'after_sales') {
    const ticketId = idText(get('ticketId'));
    if (!ticketId) return { error: `缺少工单编号（${mapping.ticketId}），或超过64个字符` };
    const status = ticketStatusOf(get('status'));
    if (!status) return { error: `工单状态（${mapping.status}）应为 open/closed 或 处理中/已关闭 等` };
    const fault = get('fault');
    return {
      kind,
      eventId,
      ...subject,
      ticketId,
      category: shortText(get('category'), 32) ?? '未分类',
      status,
      fault:
        typeof fault === 'boolean' ? fault : fault === 1 || fault === '1' || fault === 'true' || fault === '是' ? true : fault === undefined ? null : false,
      summary,
      occurredAt,
    };
  }
  return { kind, eventId, ...subject, type: shortText(get('type'), 32) ?? '业务事件', summary, occurredAt };
}

function subjectOf(customerId: unknown, phone: unknown): EventSubject | { error: string } {
  const id = customerId === undefined || customerId === null || customerId === '' ? null : positiveInt(customerId);
  if (customerId !== undefined && customerId !== null && customerId !== '' && id === null) return { error: '客户ID应为正整数（本系统的客户ID）' };
  let normalized: string | null = null;
  if (phone !== undefined && phone !== null && phone !== '') {
    const parsed = parsePhone(String(phone));
    if (!parsed.valid) return { error: `客户手机号无效：${parsed.error ?? ''}`.trim() };
    normalized = parsed.normalized;
  }
  if (id === null && normalized === null) return { error: '缺少客户：请映射客户ID（本系统）或客户手机号' };
  return { customerId: id, phone: normalized };
}

function ticketStatusOf(v: unknown): TicketStatus | null {
  const s = String(v ?? '')
    .trim()
    .toLowerCase();
  if (OPEN_WORDS.includes(s)) return 'open';
  if (CLOSED_WORDS.includes(s)) return 'closed';
  return null;
}

function idText(v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = String(v).trim();
  return s && s.length <= 64 ? s : null;
}

function shortText(v: unknown, max: number): string | null {
  if (v === undefined || v === null) return null;
  const s = String(v).trim();
  return s ? s.slice(0, max) : null;
}

function positiveInt(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,10}$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** Yuan (number or "12,800.00") → fen, exactly; null unless positive with at most two decimals and under 1e10 yuan. */
export function fenOf(v: unknown): number | null {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.replace(/[,，\s]/g, '').replace(/^[¥￥]/, '') : '';
  const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return fen > 0 ? fen : null;
}

/** ISO date (China time when no zone), ISO time, or epoch ms/s; absent = now. Null when unreadable. */
function timeOf(v: unknown, now: number): number | null {
  if (v === undefined || v === null || v === '') return now;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d{10,13}$/.test(v))) {
    const n = Number(v);
    return n < 1e12 ? n * 1000 : n;
  }
  if (typeof v !== 'string') return null;
  const s = v.trim();
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(s);
  const local = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/.test(s);
  const t = Date.parse(dateOnly ? `${s}T00:00:00+08:00` : local ? `${s.replace(' ', 'T')}+08:00` : s);
  return Number.isFinite(t) ? t : null;
}
