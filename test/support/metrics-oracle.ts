// Independent recomputation of every dashboard figure from raw rows (lead, followup, customer, journey_event,
// conversation, channel_spend, script_pick, org_unit, app_user): never from lead_fact, journey_stay or rep_day.
import type { DataSource } from 'typeorm';
import {
  DEFAULT_COURSES,
  DEFAULT_LEVEL_A,
  DEFAULT_REQUIRED_PROFILE_FIELDS,
  JOURNEY_NODES,
  chinaDayOf,
  chinaRange,
  dayNumber,
  defaultRange,
  isoWeekStart,
  monthsCovering,
  rangeDays,
  type MetricsFilter,
} from '@lifeline/shared';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

interface RawLead {
  id: number;
  customerId: number;
  ownerId: number | null;
  orgUnitId: number | null;
  channel: string;
  status: string;
  journeyNode: string;
  score: number;
  createdAt: number;
  assignedAt: number | null;
  nextStepDueAt: number | null;
  signedAt: number | null;
  signedCourse: string | null;
  deletedAt: number | null;
}
export interface Raw {
  companyId: number;
  leads: RawLead[];
  followups: { id: number; leadId: number; customerId: number; authorId: number; scriptId: number | null; createdAt: number; deletedAt: number | null }[];
  customers: Map<number, { id: number; name: string | null; city: string | null; grade: string | null; concerns: string[] }>;
  events: { leadId: number; toNode: string; at: number; id: number }[];
  conversations: { repId: number; customerId: number; day: number }[];
  spend: { channel: string; month: string; amountFen: number }[];
  /** Fen finance reported per lead (回款 events). */
  paid: Map<number, number>;
  picks: { repId: number; pickedAt: number }[];
  units: { id: number; name: string; path: string }[];
  users: { id: number; name: string; role: string; orgUnitId: number | null; deletedAt: number | null; active: boolean }[];
}

export async function loadRaw(ds: DataSource, companyId: number): Promise<Raw> {
  const q = (sql: string) => ds.query(sql, [companyId]);
  const leads = (await q('SELECT * FROM `lead` WHERE companyId = ?')).map((l: any) => ({
    id: Number(l.id),
    customerId: Number(l.customerId),
    ownerId: n(l.ownerId),
    orgUnitId: n(l.orgUnitId),
    channel: l.channel,
    status: l.status,
    journeyNode: l.journeyNode,
    score: Number(l.score),
    createdAt: Number(l.createdAt),
    assignedAt: n(l.assignedAt),
    nextStepDueAt: n(l.nextStepDueAt),
    signedAt: n(l.signedAt),
    signedCourse: l.signedCourse ?? null,
    deletedAt: n(l.deletedAt),
  }));
  const followups = (await q('SELECT * FROM followup WHERE companyId = ?')).map((f: any) => ({
    id: Number(f.id),
    leadId: Number(f.leadId),
    customerId: Number(f.customerId),
    authorId: Number(f.authorId),
    scriptId: n(f.scriptId),
    createdAt: Number(f.createdAt),
    deletedAt: n(f.deletedAt),
  }));
  const customers = new Map<number, any>(
    (await q('SELECT * FROM customer WHERE companyId = ?')).map((c: any) => [
      Number(c.id),
      {
        id: Number(c.id),
        name: c.name,
        city: c.city,
        grade: c.grade,
        concerns: JSON.parse(c.concerns),
      },
    ]),
  );
  const events = (await q('SELECT id, leadId, toNode, at FROM journey_event WHERE companyId = ?')).map((e: any) => ({
    id: Number(e.id),
    leadId: Number(e.leadId),
    toNode: e.toNode,
    at: Number(e.at),
  }));
  const conversations = (await q('SELECT repId, customerId, day FROM conversation WHERE companyId = ?')).map((c: any) => ({
    repId: Number(c.repId),
    customerId: Number(c.customerId),
    day: Number(c.day),
  }));
  const spend = (await q('SELECT channel, month, amountFen FROM channel_spend WHERE companyId = ?')).map((s: any) => ({
    channel: s.channel,
    month: s.month,
    amountFen: Number(s.amountFen),
  }));
  const paid = new Map<number, number>();
  for (const r of await q('SELECT leadId, amountFen FROM lead_revenue WHERE companyId = ? AND deletedAt IS NULL')) {
    paid.set(Number(r.leadId), (paid.get(Number(r.leadId)) ?? 0) + Number(r.amountFen));
  }
  const picks = (await q('SELECT repId, pickedAt FROM script_pick WHERE companyId = ?')).map((p: any) => ({
    repId: Number(p.repId),
    pickedAt: Number(p.pickedAt),
  }));
  const units = (await q('SELECT id, name, path FROM org_unit WHERE companyId = ?')).map((u: any) => ({ id: Number(u.id), name: u.name, path: u.path }));
  const users = (await q('SELECT id, name, role, orgUnitId, deletedAt, active FROM app_user WHERE companyId = ?')).map((u: any) => ({
    id: Number(u.id),
    name: u.name,
    role: u.role,
    orgUnitId: n(u.orgUnitId),
    deletedAt: n(u.deletedAt),
    active: Boolean(Number(u.active)),
  }));
  return { companyId, leads, followups, customers, events, conversations, spend, paid, picks, units, users };
}

/** Who is asking: null scope = company; else owner/unit lists like the auth scope; own = a rep. */
export interface OracleActor {
  id: number;
  role: string;
  scope: { unitIds: number[]; userIds: number[] } | null;
}

interface Derived extends RawLead {
  city: string | null;
  grade: string | null;
  firstTouch: number | null;
  assignTouch: number | null;
  maxNode: number;
  stayMs: number[];
  stays: number[];
  nodeEnteredAt: number | null;
}

function derive(raw: Raw, l: RawLead): Derived {
  const touches = raw.followups
    .filter((f) => f.leadId === l.id && f.deletedAt === null)
    .map((f) => f.createdAt)
    .sort((a, b) => a - b);
  const since = l.assignedAt ?? l.createdAt;
  const ev = raw.events.filter((e) => e.leadId === l.id).sort((a, b) => a.at - b.at || a.id - b.id);
  const stayMs = JOURNEY_NODES.map(() => 0);
  const stays = JOURNEY_NODES.map(() => 0);
  ev.forEach((e, i) => {
    const next = ev[i + 1];
    if (!next) return;
    const k = JOURNEY_NODES.indexOf(e.toNode as never);
    stayMs[k] += next.at - e.at;
    stays[k] += 1;
  });
  const c = raw.customers.get(l.customerId)!;
  return {
    ...l,
    city: c.city,
    grade: c.grade,
    firstTouch: touches[0] ?? null,
    assignTouch: touches.find((t) => t >= since) ?? null,
    maxNode: Math.max(0, ...ev.map((e) => JOURNEY_NODES.indexOf(e.toNode as never))),
    stayMs,
    stays,
    nodeEnteredAt: ev.length ? ev[ev.length - 1].at : null,
  };
}

const within = (start: number, touch: number | null, w: number) => touch !== null && touch >= start && touch - start <= w;
/** hit / counted under the matured rule, written out again here on purpose. */
function matured(items: { start: number; touch: number | null }[], w: number, now: number) {
  let hit = 0;
  let counted = 0;
  for (const x of items) {
    if (within(x.start, x.touch, w)) {
      hit++;
      counted++;
    } else if (x.start + w <= now) counted++;
  }
  return { hit, counted };
}

export class Oracle {
  readonly leads: Derived[];
  constructor(
    readonly raw: Raw,
    readonly now: number,
    readonly levelA = DEFAULT_LEVEL_A,
  ) {
    this.leads = raw.leads.map((l) => derive(raw, l));
  }

  subtree(unitId: number): number[] {
    const u = this.raw.units.find((x) => x.id === unitId)!;
    return this.raw.units.filter((x) => x.path.startsWith(u.path)).map((x) => x.id);
  }

  range(f: MetricsFilter) {
    const d = defaultRange(this.now);
    const from = f.from ?? d.from;
    const to = f.to ?? d.to;
    return { from, to, ...chinaRange(from, to) };
  }

  /** Leads in scope, optionally without the date condition. */
  inScope(actor: OracleActor, f: MetricsFilter, dates: { start: number; end: number } | null): Derived[] {
    const units = f.unitId ? this.subtree(f.unitId) : null;
    return this.leads.filter((l) => {
      if (l.deletedAt !== null) return false;
      if (dates && (l.createdAt < dates.start || l.createdAt >= dates.end)) return false;
      if (actor.role === 'rep' && l.ownerId !== actor.id) return false;
      if (actor.role !== 'rep' && actor.scope) {
        const s = actor.scope;
        if (!((l.ownerId !== null && s.userIds.includes(l.ownerId)) || (l.orgUnitId !== null && s.unitIds.includes(l.orgUnitId)))) return false;
      }
      if (units && (l.orgUnitId === null || !units.includes(l.orgUnitId))) return false;
      if (f.repId && l.ownerId !== f.repId) return false;
      if (f.city && l.city !== f.city) return false;
      if (f.grade && l.grade !== f.grade) return false;
      if (f.channel && l.channel !== f.channel) return false;
      return true;
    });
  }

  repIds(actor: OracleActor, f: MetricsFilter): number[] | null {
    let ids: number[] | null = actor.role === 'rep' ? [actor.id] : actor.scope ? actor.scope.userIds : null;
    const and = (xs: number[]) => (ids = ids === null ? xs : ids.filter((x) => xs.includes(x)));
    if (f.unitId) {
      const units = this.subtree(f.unitId);
      and(this.raw.users.filter((u) => u.orgUnitId !== null && units.includes(u.orgUnitId)).map((u) => u.id));
    }
    if (f.repId) and([f.repId]);
    return ids;
  }

  kpis(actor: OracleActor, f: MetricsFilter, t48 = 0.85) {
    const r = this.range(f);
    const ls = this.inScope(actor, f, r);
    const s7 = matured(
      ls.map((l) => ({ start: l.createdAt, touch: l.firstTouch })),
      7 * DAY,
      this.now,
    );
    const f24 = matured(
      ls.map((l) => ({ start: l.createdAt, touch: l.firstTouch })),
      DAY,
      this.now,
    );
    const f48 = matured(
      ls.map((l) => ({ start: l.assignedAt ?? l.createdAt, touch: l.assignTouch })),
      2 * DAY,
      this.now,
    );
    const flow = ls.filter((l) => l.assignedAt !== null && l.firstTouch !== null && l.firstTouch >= l.assignedAt);
    const flowMs = flow.reduce((a, l) => a + (l.firstTouch! - l.assignedAt!), 0);
    const signed = ls.filter((l) => l.signedAt !== null && DEFAULT_COURSES.some((c) => c.name === l.signedCourse));
    const matched = signed.filter((l) =>
      this.raw.customers.get(l.customerId)!.concerns.includes(DEFAULT_COURSES.find((c) => c.name === l.signedCourse)!.concern),
    );
    // Each customer counts once, at their newest live lead (latest entry, then highest id), when that lead is in view.
    const newest = new Map<number, Derived>();
    for (const l of this.leads) {
      if (l.deletedAt !== null) continue;
      const cur = newest.get(l.customerId);
      if (!cur || l.createdAt > cur.createdAt || (l.createdAt === cur.createdAt && l.id > cur.id)) newest.set(l.customerId, l);
    }
    const customers = ls.filter((l) => newest.get(l.customerId) === l).map((l) => this.raw.customers.get(l.customerId)!);
    const filled = customers.reduce(
      (a, c) =>
        a +
        DEFAULT_REQUIRED_PROFILE_FIELDS.filter((k) => {
          const v = (c as any)[k];
          return Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined && String(v).trim() !== '';
        }).length,
      0,
    );
    const reps = this.repIds(actor, f);
    const fromDay = dayNumber(r.from);
    const toDay = dayNumber(r.to);
    const convs = this.raw.conversations.filter((c) => c.day >= fromDay && c.day <= toDay && (reps === null || reps.includes(c.repId)));
    const followed = convs.filter((c) =>
      this.raw.followups.some((fu) => fu.deletedAt === null && fu.authorId === c.repId && fu.customerId === c.customerId && chinaDayOf(fu.createdAt) === c.day),
    );
    return {
      leads: ls.length,
      survival7d: [s7.hit, s7.counted],
      firstTouch24h: [f24.hit, f24.counted],
      followup48h: [f48.hit, f48.counted],
      flowHealthHours: [flowMs / HOUR, flow.length, flow.length ? flowMs / flow.length / HOUR : null],
      demandMatch: [matched.length, signed.length],
      entryRate: [followed.length, convs.length],
      profileCompleteness: [filled, customers.length * DEFAULT_REQUIRED_PROFILE_FIELDS.length],
      t48,
    };
  }

  leadHealth(actor: OracleActor, f: MetricsFilter) {
    const r = this.range(f);
    const ls = this.inScope(actor, f, r);
    const s7 = matured(
      ls.map((l) => ({ start: l.createdAt, touch: l.firstTouch })),
      7 * DAY,
      this.now,
    );
    const nodes = JOURNEY_NODES.map((node, i) => ({
      node,
      reached: ls.filter((l) => l.maxNode >= i).length,
      lost: ls.filter((l) => l.status === 'lost' && l.journeyNode === node).length,
    }));
    const long = rangeDays(r.from, r.to) > 62;
    const periodOf = (at: number) => {
      const s = String(chinaDayOf(at));
      const day = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6)}`;
      return long ? isoWeekStart(day) : day;
    };
    const trend = new Map<string, Derived[]>();
    for (const l of ls) trend.set(periodOf(l.createdAt), [...(trend.get(periodOf(l.createdAt)) ?? []), l]);
    return {
      leads: ls.length,
      survival7d: [s7.hit, s7.counted],
      highIntent: ls.filter((l) => l.score >= this.levelA).length,
      nodes,
      trend: [...trend].map(([period, xs]) => {
        const m = matured(
          xs.map((l) => ({ start: l.createdAt, touch: l.firstTouch })),
          7 * DAY,
          this.now,
        );
        return {
          period,
          leads: xs.length,
          survival7d: m.counted ? m.hit / m.counted : null,
          highIntentShare: xs.filter((l) => l.score >= this.levelA).length / xs.length,
        };
      }),
    };
  }

  repBattle(actor: OracleActor, f: MetricsFilter) {
    const r = this.range(f);
    const reps = this.repIds(actor, f);
    const users = this.raw.users.filter((u) => u.role === 'rep' && u.deletedAt === null && (reps === null || reps.includes(u.id)));
    const inRange = this.inScope(actor, f, r);
    const all = this.inScope(actor, f, null);
    return users.flatMap((u) => {
      const mine = inRange.filter((l) => l.ownerId === u.id);
      const m = matured(
        mine.map((l) => ({ start: l.assignedAt ?? l.createdAt, touch: l.assignTouch })),
        2 * DAY,
        this.now,
      );
      const open = all.filter((l) => l.ownerId === u.id && (l.status === 'assigned' || l.status === 'following'));
      const overdue = open.filter(
        (l) => (l.assignTouch === null && (l.assignedAt ?? l.createdAt) + 2 * DAY <= this.now) || (l.nextStepDueAt !== null && l.nextStepDueAt < this.now),
      );
      const trials = mine.filter((l) => l.maxNode >= 5);
      const scripted = this.raw.followups.filter(
        (fu) => fu.authorId === u.id && fu.scriptId !== null && fu.deletedAt === null && fu.createdAt >= r.start && fu.createdAt < r.end,
      ).length;
      const picks = this.raw.picks.filter((p) => p.repId === u.id && p.pickedAt >= r.start && p.pickedAt < r.end).length;
      // A deactivated rep is listed only while something of theirs is in view.
      if (!u.active && !mine.length && !open.length && !(scripted + picks)) return [];
      return [
        {
          repId: u.id,
          backlog: open.length,
          overdue: overdue.length,
          followup48h: [m.hit, m.counted],
          trials: trials.length,
          signed: trials.filter((l) => l.signedAt !== null).length,
          scriptsUsed: scripted + picks,
        },
      ];
    });
  }

  channelRoi(actor: OracleActor, f: MetricsFilter) {
    const r = this.range(f);
    const cover = monthsCovering(r.from, r.to);
    const ls = this.inScope(actor, f, chinaRange(cover.from, cover.to));
    const spend = this.raw.spend.filter((s) => cover.months.includes(s.month) && (!f.channel || s.channel === f.channel));
    const channels = [...new Set([...ls.map((l) => l.channel), ...spend.map((s) => s.channel)])];
    // Part of the company (role scope or a people / city / grade filter): spend is shared out by the channel's leads.
    const partial = actor.role === 'rep' || actor.scope !== null || [f.unitId, f.repId, f.city, f.grade].some((v) => v !== undefined);
    const company = this.inScope({ id: 0, role: 'admin', scope: null }, { channel: f.channel }, chinaRange(cover.from, cover.to));
    const price = (course: string | null) => DEFAULT_COURSES.find((c) => c.name === course)?.price;
    return {
      months: cover.months,
      spendBasis: partial ? 'share' : 'company',
      channels: channels.map((channel) => {
        const xs = ls.filter((l) => l.channel === channel);
        const ss = spend.filter((s) => s.channel === channel);
        const companyFen = ss.reduce((a, s) => a + s.amountFen, 0);
        const all = company.filter((l) => l.channel === channel).length;
        const fen = partial ? Math.round((companyFen * xs.length) / Math.max(1, all)) : companyFen;
        const signed = xs.filter((l) => l.signedAt !== null);
        // Finance's money where it reported some; the signed course's list price for the other signed leads.
        const paidFen = xs.reduce((a, l) => a + (this.raw.paid.get(l.id) ?? 0), 0);
        const listed = signed.filter((l) => !this.raw.paid.has(l.id));
        const revenue = listed.some((l) => price(l.signedCourse) === undefined)
          ? null
          : (listed.reduce((a, l) => a + price(l.signedCourse)! * 100, 0) + paidFen) / 100;
        const spendYuan = ss.length ? fen / 100 : null;
        const m = matured(
          xs.map((l) => ({ start: l.createdAt, touch: l.firstTouch })),
          7 * DAY,
          this.now,
        );
        return {
          channel,
          leads: xs.length,
          spend: spendYuan,
          costPerLead: ss.length && xs.length ? Math.round(fen / xs.length) / 100 : null,
          retention7d: [m.hit, m.counted],
          signed: signed.length,
          firstDealDays: signed.length ? signed.reduce((a, l) => a + (l.signedAt! - l.createdAt), 0) / signed.length / DAY : null,
          revenue,
          revenuePaid: paidFen / 100,
          costPerSigning: spendYuan !== null && signed.length ? Math.round(fen / signed.length) / 100 : null,
          roi: spendYuan && revenue !== null ? Math.round((revenue / spendYuan) * 1000) / 1000 : null,
        };
      }),
    };
  }

  heat(actor: OracleActor, f: MetricsFilter, by: 'city' | 'grade' | 'channel' | 'unit') {
    const ls = this.inScope(actor, f, this.range(f));
    const label = (l: Derived) => {
      if (by === 'unit') return l.orgUnitId === null ? '未分配' : this.raw.units.find((u) => u.id === l.orgUnitId)!.name;
      const v = l[by];
      return v === null ? '未填写' : v;
    };
    const cells: { value: string; node: string; avgHours: number | null; stays: number }[] = [];
    for (const value of [...new Set(ls.map(label))]) {
      const xs = ls.filter((l) => label(l) === value);
      JOURNEY_NODES.forEach((node, i) => {
        const ms = xs.reduce((a, l) => a + l.stayMs[i], 0);
        const k = xs.reduce((a, l) => a + l.stays[i], 0);
        cells.push({ value, node, avgHours: k ? ms / k / HOUR : null, stays: k });
      });
    }
    return cells;
  }
}
