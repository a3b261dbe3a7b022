import { In, IsNull } from 'typeorm';
import { maskPhone, parsePhone } from '@lifeline/shared';
import { fenOf } from '@lifeline/shared/src/integrations';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Customer } from '../customers/customer.entity';
import { Lead } from '../leads/lead.entity';
import { User } from '../users/user.entity';
import { queueMessage } from '../alarms/queue-message';
import { channelFor } from '../alarms/fire';
import { badRequest, conflict, notFound, AppError } from '../http/errors';
import { insertRow } from '../db/rows';
import { parseImportFile } from '../intake/import-file';
import { ConsistencyRun, type Difference } from './consistency.entity';
import { EventSource, LeadRevenue, ServiceTicket } from './entities';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from './signing';
import { doneOutside } from '../db/tx';

/** The KPI's target: share of compared fields that agree between Lifeline and the other system. */
export const CONSISTENCY_TARGET = 0.999;
const KEEP = 1000;
const PULL_TIMEOUT_MS = 30_000;

/** One record as the other system has it; any field may be absent (then it is not compared). */
export interface TheirRecord {
  customerId?: number;
  phone?: string;
  name?: string;
  amountFen?: number;
  paid?: boolean;
  serviceOpen?: boolean;
}

const HEADERS: Record<string, keyof TheirRecord | 'amount' | 'service'> = {
  手机号: 'phone',
  客户手机号: 'phone',
  phone: 'phone',
  客户id: 'customerId',
  customer_id: 'customerId',
  客户名称: 'name',
  客户姓名: 'name',
  name: 'name',
  合同金额: 'amount',
  金额: 'amount',
  amount: 'amount',
  回款状态: 'paid',
  paid: 'paid',
  服务状态: 'service',
  工单状态: 'service',
  service_status: 'service',
};
const YES = ['true', '1', '是', 'paid', '已回款', '已付款', 'yes'];
const NO = ['false', '0', '否', 'unpaid', '未回款', '未付款', 'no'];
const OPEN = ['open', '处理中', '待处理', '未关闭', 'processing'];
const CLOSED = ['closed', '已关闭', '已解决', 'none', '无', '正常'];

/** A row of their export (header → value) as a record; unknown columns are ignored. */
export function theirRecord(fields: Record<string, unknown>): TheirRecord {
  const out: TheirRecord = {};
  for (const [k, v] of Object.entries(fields)) {
    const key = HEADERS[k.trim().toLowerCase()] ?? HEADERS[k.trim()];
    const text = v === undefined || v === null ? '' : String(v).trim();
    if (!key || text === '') continue;
    const low = text.toLowerCase();
    if (key === 'phone') out.phone = text;
    else if (key === 'customerId' && /^\d+$/.test(text)) out.customerId = Number(text);
    else if (key === 'name') out.name = text;
    else if (key === 'amount') out.amountFen = fenOf(text) ?? (text === '0' ? 0 : undefined);
    else if (key === 'paid' && (YES.includes(low) || NO.includes(low))) out.paid = YES.includes(low);
    else if (key === 'service' && (OPEN.includes(low) || CLOSED.includes(low))) out.serviceOpen = OPEN.includes(low);
  }
  return out;
}

/**
 * The consistency report (docs/integrations.md): key fields compared with a source's own records — customer name,
 * contract amount (money received), payment status (won), service status (open ticket) — pulled from the source's URL
 * (monthly, or on demand) or read from an uploaded export. Differences go to each record's owner as a bot message;
 * the share of agreeing fields is the cross-system consistency KPI.
 */
export class Consistency {
  constructor(private readonly app: AppContext) {}

  async pull(actor: Actor | null, companyId: number, sourceId: number, origin: 'pull' | 'monthly' = 'pull') {
    const source = await this.source(companyId, sourceId);
    if (!source.pullUrl) throw conflict('该来源没有设置对账地址（pullUrl），请设置后再对账，或上传对方的导出文件');
    const ts = String(Math.floor(this.app.clock.now() / 1000));
    let res: Response;
    try {
      doneOutside();
      res = await fetch(source.pullUrl, {
        headers: { [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signBody(source.secret, ts, '') },
        signal: AbortSignal.timeout(PULL_TIMEOUT_MS),
      });
    } catch (err) {
      throw new AppError(502, 'source_unreachable', `对账地址无法访问：${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => null)) as unknown;
    const items = Array.isArray(body) ? body : Array.isArray((body as { items?: unknown })?.items) ? (body as { items: unknown[] }).items : null;
    if (!res.ok || !items) throw new AppError(502, 'source_bad_answer', `对账地址的回答无法使用（HTTP ${res.status}）：应为 JSON 数组或 {items:[…]}`);
    return this.compare(
      actor,
      source,
      origin,
      items.map((i) => theirRecord((i ?? {}) as Record<string, unknown>)),
    );
  }

  async upload(actor: Actor, sourceId: number, file: Buffer) {
    const source = await this.source(actor.companyId, sourceId);
    const { rows } = await parseImportFile(file);
    if (rows.length < 2) throw badRequest('文件没有数据行：第一行是表头（手机号、客户名称、合同金额、回款状态、服务状态），从第二行起每行一位客户');
    const header = rows[0].map((h) => String(h ?? ''));
    if (!header.some((h) => HEADERS[h.trim()] === 'phone' || HEADERS[h.trim().toLowerCase()] === 'phone' || HEADERS[h.trim()] === 'customerId')) {
      throw badRequest('表头需要有「手机号」或「客户ID」列，用来找到客户');
    }
    const records = rows.slice(1).map((r) => theirRecord(Object.fromEntries(header.map((h, i) => [h, r[i]]))));
    return this.compare(actor, source, 'upload', records);
  }

  /** Each source with a pull URL is compared once per China month. */
  async runMonthlyDue(): Promise<number> {
    const month = chinaMonth(this.app.clock.now());
    const sources = await this.app.ds.getRepository(EventSource).find({ where: { active: true } });
    let ran = 0;
    for (const s of sources.filter((x) => x.pullUrl)) {
      if (await this.app.ds.getRepository(ConsistencyRun).existsBy({ sourceId: s.id, month, origin: 'monthly' })) continue;
      await this.pull(null, s.companyId, s.id, 'monthly');
      ran++;
    }
    return ran;
  }

  private async source(companyId: number, id: number) {
    const source = await this.app.ds.getRepository(EventSource).findOneBy({ id, companyId });
    if (!source) throw notFound(`事件来源不存在（ID ${id}）`);
    return source;
  }

  private async compare(actor: Actor | null, source: EventSource, origin: ConsistencyRun['origin'], records: TheirRecord[]) {
    const companyId = source.companyId;
    const ours = await this.oursFor(companyId, records);
    const differences: Difference[] = [];
    let checks = 0;
    let matched = 0;
    const check = (d: Omit<Difference, 'ownerId' | 'customerId' | 'phone'>, c: Customer, same: boolean) => {
      checks++;
      if (same) matched++;
      else differences.push({ ...d, customerId: c.id, phone: maskPhone(c.phone), ownerId: ours.owner.get(c.id) ?? null });
    };
    for (const r of records) {
      const c = r.customerId ? ours.byId.get(r.customerId) : r.phone ? ours.byPhone.get(parsePhone(r.phone).normalized) : undefined;
      if (!c) {
        checks++;
        differences.push({
          customerId: r.customerId ?? null,
          phone: r.phone ? maskPhone(parsePhone(r.phone).normalized) : null,
          field: 'customer',
          ours: null,
          theirs: '存在',
          ownerId: null,
        });
        continue;
      }
      if (r.name !== undefined) check({ field: 'name', ours: c.name, theirs: r.name }, c, (c.name ?? '') === r.name);
      if (r.amountFen !== undefined)
        check({ field: 'amount', ours: (ours.paid.get(c.id) ?? 0) / 100, theirs: r.amountFen / 100 }, c, (ours.paid.get(c.id) ?? 0) === r.amountFen);
      if (r.paid !== undefined) check({ field: 'payment', ours: ours.won.has(c.id), theirs: r.paid }, c, ours.won.has(c.id) === r.paid);
      if (r.serviceOpen !== undefined) check({ field: 'service', ours: ours.open.has(c.id), theirs: r.serviceOpen }, c, ours.open.has(c.id) === r.serviceOpen);
    }
    const now = this.app.clock.now();
    const run = await this.app.tx.run(async (em) => {
      const row = await insertRow(
        em,
        ConsistencyRun,
        em.getRepository(ConsistencyRun).create({
          companyId,
          sourceId: source.id,
          origin,
          month: chinaMonth(now),
          rows: records.length,
          checks,
          matched,
          differences: differences.slice(0, KEEP),
          createdBy: actor?.id ?? null,
          createdAt: now,
        }),
      );
      await this.notifyOwners(em, source, row, differences, ours.leadOf, now);
      return row;
    });
    return runView(run, source.name, differences.length);
  }

  /** Our side of every customer the records name: name, money received, won, open tickets, owner and lead. */
  private async oursFor(companyId: number, records: TheirRecord[]) {
    const ids = [...new Set(records.map((r) => r.customerId).filter((x): x is number => x !== undefined))];
    const phones = [...new Set(records.map((r) => (r.phone ? parsePhone(r.phone).normalized : null)).filter((x): x is string => !!x))];
    const repo = this.app.ds.getRepository(Customer);
    const found = [
      ...(ids.length ? await repo.findBy({ companyId, id: In(ids), deletedAt: IsNull() }) : []),
      ...(phones.length ? await repo.findBy({ companyId, phone: In(phones), deletedAt: IsNull() }) : []),
    ];
    const cids = [...new Set(found.map((c) => c.id))];
    const [leads, revenue, open] = cids.length
      ? await Promise.all([
          this.app.ds.getRepository(Lead).find({ where: { companyId, customerId: In(cids), deletedAt: IsNull() }, order: { createdAt: 'ASC' } }),
          this.app.ds.getRepository(LeadRevenue).find({ where: { companyId, customerId: In(cids), deletedAt: IsNull() } }),
          this.app.ds.getRepository(ServiceTicket).find({ where: { companyId, customerId: In(cids), status: 'open' } }),
        ])
      : [[], [], []];
    const paid = new Map<number, number>();
    for (const r of revenue) paid.set(r.customerId, (paid.get(r.customerId) ?? 0) + r.amountFen);
    const owner = new Map<number, number | null>();
    const leadOf = new Map<number, number>();
    for (const l of leads) {
      owner.set(l.customerId, l.ownerId);
      leadOf.set(l.customerId, l.id);
    }
    return {
      byId: new Map(found.map((c) => [c.id, c])),
      byPhone: new Map(found.map((c) => [c.phone, c])),
      paid,
      won: new Set(leads.filter((l) => l.status === 'won').map((l) => l.customerId)),
      open: new Set(open.map((t) => t.customerId)),
      owner,
      leadOf,
    };
  }

  /** One bot message per owner with differences: how many of their customers disagree, opening their leads. */
  private async notifyOwners(
    em: import('typeorm').EntityManager,
    source: EventSource,
    run: ConsistencyRun,
    differences: Difference[],
    leadOf: Map<number, number>,
    now: number,
  ) {
    const byOwner = new Map<number, Difference[]>();
    for (const d of differences) if (d.ownerId) byOwner.set(d.ownerId, [...(byOwner.get(d.ownerId) ?? []), d]);
    if (!byOwner.size) return;
    const users = await em.getRepository(User).findBy({ id: In([...byOwner.keys()]) });
    for (const [ownerId, list] of byOwner) {
      const user = users.find((u) => u.id === ownerId);
      if (!user || !user.active) continue;
      const customers = [...new Set(list.map((d) => d.customerId))];
      await queueMessage(em, now, {
        companyId: source.companyId,
        alarmId: null,
        recipientId: ownerId,
        kind: 'digest',
        channel: channelFor(this.app, user),
        payload: {
          title: '对账差异',
          lines: [
            `${customers.length} 位客户的资料与「${source.name}」不一致（${[...new Set(list.map((d) => FIELD_LABELS[d.field]))].join('、')}），请核对并更正。`,
          ],
          leadIds: customers.map((c) => leadOf.get(c!)).filter((x): x is number => x !== undefined),
        },
        dedupeKey: `consistency:${run.id}:${ownerId}`,
      });
    }
  }

  async list(actor: Actor) {
    const runs = await this.app.ds
      .getRepository(ConsistencyRun)
      .find({ where: { companyId: actor.companyId }, order: { createdAt: 'DESC', id: 'DESC' }, take: 50 });
    const sources = await this.app.ds.getRepository(EventSource).findBy({ companyId: actor.companyId });
    return {
      target: CONSISTENCY_TARGET,
      items: runs.map((r) => ({ ...runView(r, sources.find((s) => s.id === r.sourceId)?.name ?? null, null), differences: undefined })),
    };
  }

  async get(actor: Actor, id: number) {
    const run = await this.app.ds.getRepository(ConsistencyRun).findOneBy({ id, companyId: actor.companyId });
    if (!run) throw notFound(`对账记录不存在（ID ${id}）`);
    const source = await this.app.ds.getRepository(EventSource).findOneBy({ id: run.sourceId });
    return runView(run, source?.name ?? null, null);
  }
}

export const FIELD_LABELS: Record<Difference['field'], string> = {
  customer: '客户不存在',
  name: '客户名称',
  amount: '合同金额',
  payment: '回款状态',
  service: '服务状态',
};

function runView(r: ConsistencyRun, source: string | null, total: number | null) {
  const rate = r.checks ? r.matched / r.checks : 1;
  return {
    id: r.id,
    source,
    origin: r.origin,
    month: r.month,
    rows: r.rows,
    checks: r.checks,
    matched: r.matched,
    rate,
    belowTarget: rate < CONSISTENCY_TARGET,
    differenceCount: total ?? r.checks - r.matched,
    differences: r.differences.map((d) => ({ ...d, label: FIELD_LABELS[d.field] })),
    createdAt: r.createdAt,
  };
}

function chinaMonth(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 7);
}
