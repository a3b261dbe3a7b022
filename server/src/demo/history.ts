import { chinaDayOf } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import type { ManualClock } from '../clock';
import type { LeadService } from '../leads/leads.service';
import type { FollowupService } from '../followups/followups.service';
import type { User } from '../users/user.entity';
import { companyScripts } from '../scripts/library';
import { recordConversation } from '../metrics/conversations';
import { ChannelSpend } from '../metrics/metrics.entities';
import { DEMO_CHANNELS, DEMO_SURNAMES, DEMO_TEAMS, type DemoTeam } from './demo-data';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const CONCERNS = ['升学政策', '学科提分', '学习方法', '心理辅导'] as const;
/** Hours a stage typically takes, per city: what makes the heat map say something (南京 plans take longer). */
const STAGE_HOURS: Record<string, Record<string, number>> = {
  苏州: { 首次触达: 20, 需求确认: 18, 方案提供: 30, 异议处理: 40, 试听体验: 60 },
  南京: { 首次触达: 26, 需求确认: 24, 方案提供: 55, 异议处理: 50, 试听体验: 70 },
};

export interface HistoryDeps {
  app: AppContext;
  clock: ManualClock;
  leads: LeadService;
  followups: FollowupService;
  companyId: number;
  now: number;
  opsActor: Actor;
  adminActor: Actor;
  actorFor: (u: User) => Promise<Actor>;
  teamReps: (key: string) => User[];
  phoneIn: (city: string) => string;
}

/** Deterministic PRNG of its own, so adding history never changes the rest of the demo. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * ~60 days of believable history before the regular demo window (days 60 → 10 ago), made through the real
 * services so facts, stays, audits and timelines are consistent: intake, first calls (mostly quick, some
 * late), needs and plans, objections, trials, signings with courses, losses, conversations (most followed up
 * the same day), and channel spend for the last three months. Every history lead ends contacted without an
 * open next step, or closed, so it raises no alarms in the live demo.
 */
export async function seedHistory(d: HistoryDeps, count = 320): Promise<{ leads: number; followups: number; conversations: number }> {
  const rand = rng(20251115);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const scripts = await d.app.tx.run((em) => companyScripts(em, d.companyId, d.now - 60 * DAY));
  const channelWeights = DEMO_CHANNELS.flatMap((c) => Array(c.weight).fill(c.tag) as string[]);
  const start = d.now - 60 * DAY;
  const span = 50 * DAY;
  const n = { followups: 0, conversations: 0 };
  let key = 0;

  const talk = async (repId: number, customerId: number, at: number) => {
    await d.app.tx.run((em) =>
      recordConversation(em, { companyId: d.companyId, repId, customerId, at, source: pick(['wecom', 'sidebar', 'dingtalk'] as const) }, at),
    );
    n.conversations++;
  };
  const plans = Array.from({ length: count }, () => ({ team: pick(DEMO_TEAMS) as DemoTeam, at: start + Math.floor(rand() * span) })).sort(
    (a, b) => a.at - b.at,
  );

  for (const p of plans) await oneLead(p);

  async function oneLead(p: { team: DemoTeam; at: number }) {
    const owner = pick(d.teamReps(p.team.key));
    const concerns = [pick(CONCERNS)];
    if (rand() < 0.25) concerns.push(pick(CONCERNS));
    d.clock.set(p.at);
    const created = await d.leads.create(d.opsActor, {
      phone: d.phoneIn(p.team.city),
      name: rand() < 0.9 ? `${pick(DEMO_SURNAMES)}${rand() < 0.75 ? '妈妈' : '爸爸'}` : undefined,
      grade: (rand() < 0.92 ? pick(p.team.grades) : undefined) as never,
      concerns: (rand() < 0.9 ? [...new Set(concerns)] : []) as never,
      channel: pick(channelWeights),
      ownerId: owner.id,
    });
    const leadId = created.lead.id;
    const customerId = created.lead.customerId;
    const actor = await d.actorFor(owner);
    const stage = STAGE_HOURS[p.team.city] ?? STAGE_HOURS['苏州'];
    // Nothing is dated in the future: a lead whose next step would be is simply still in progress.
    const late = (t: number) => t >= d.now - 2 * HOUR;
    const lose = async (at: number, reason: string) => {
      if (late(at)) return;
      d.clock.set(at);
      await d.leads.update(d.adminActor, leadId, { status: 'lost', lostReason: reason });
    };
    const follow = async (at: number, action: string, conclusion: string, signedCourse?: string) => {
      // Most follow-ups come out of a chat that day; some conversations never get a record (entry rate < 100%).
      if (rand() < 0.92) await talk(owner.id, customerId, at - Math.floor(rand() * 40 * MIN));
      d.clock.set(at);
      const scriptId = rand() < 0.35 ? pick(scripts).id : undefined;
      await d.followups.create(
        actor,
        { leadId, action, conclusion, source: rand() < 0.3 ? 'voice' : 'typed', scriptId, signedCourse },
        `hist-${d.companyId}-${++key}`,
      );
      n.followups++;
    };
    if (rand() < 0.08) {
      if (rand() < 0.5) await talk(owner.id, customerId, p.at + 3 * HOUR);
      return lose(p.at + 3 * DAY, '多次联系不上');
    }
    // First call: mostly within a few hours, a tail beyond a day.
    let at = p.at + Math.floor(rand() < 0.85 ? 5 * MIN + rand() * 4 * HOUR : 20 * HOUR + rand() * 50 * HOUR);
    if (late(at)) return;
    await follow(at, '已电话沟通', pick(['关注中考政策', '孩子数学偏弱', '想了解课程安排', '预算有限，需对比']));
    const jitter = (h: number) => Math.floor(h * HOUR * (0.4 + rand() * 1.2));
    const moveTo = async (node: '需求确认' | '异议处理', hours: number) => {
      if (late(at + jitter(hours))) return;
      at += jitter(hours);
      d.clock.set(at);
      await d.leads.update(actor, leadId, { journeyNode: node });
    };
    if (rand() < 0.7) await moveTo('需求确认', stage['首次触达']);
    if (rand() < 0.12) return lose(at + jitter(30), pick(['预算不足', '选择了其他机构', '暂不考虑']));
    at += jitter(stage['需求确认']);
    if (late(at)) return;
    await follow(at, '已发送资料', '已发课程介绍和白皮书');
    if (rand() < 0.35) await moveTo('异议处理', stage['方案提供']);
    if (rand() < 0.15) return lose(at + jitter(40), pick(['价格太高', '时间不合适', '选择了其他机构']));
    at += jitter(stage['方案提供']);
    if (late(at) || rand() < 0.25) return; // still thinking: contacted, no open reminder
    await follow(at, '已预约试听', '已约周末试听');
    if (rand() < 0.25) return lose(at + jitter(stage['试听体验']), '试听后不满意');
    at += jitter(stage['试听体验']);
    if (late(at) || rand() < 0.3) return;
    // Most signings answer the customer's main concern; some do not (demand match < 100%).
    const concern = rand() < 0.85 ? concerns[0] : pick(CONCERNS);
    await follow(at, '已签约', '签约春季班', d.opsActor.settings.courses.find((c) => c.concern === concern)?.name ?? d.opsActor.settings.courses[0].name);
  }
  await unrecordedChats(d, { rand, pick, talk }, count, start, span);
  await seedSpend(d, rand);
  return { leads: count, ...n };
}

/** A few chats with no record at all, on random days. */
async function unrecordedChats(
  d: HistoryDeps,
  r: { rand: () => number; pick: <T>(xs: readonly T[]) => T; talk: (repId: number, customerId: number, at: number) => Promise<void> },
  count: number,
  start: number,
  span: number,
): Promise<void> {
  const { rand, pick, talk } = r;
  for (let i = 0; i < Math.floor(count / 10); i++) {
    const team = pick(DEMO_TEAMS);
    const rows: { customerId: number }[] = await d.app.ds.query(
      'SELECT customerId FROM `lead` WHERE companyId = ? AND createdAt < ? ORDER BY id LIMIT 1 OFFSET ?',
      [d.companyId, d.now - 10 * DAY, Math.floor(rand() * count)],
    );
    if (rows[0]) await talk(pick(d.teamReps(team.key)).id, Number(rows[0].customerId), start + Math.floor(rand() * span));
  }
}

/** Spend for the last three months, roughly by channel weight. */
async function seedSpend(d: HistoryDeps, rand: () => number): Promise<void> {
  await d.app.tx.run(async (em) => {
    const months = [...new Set([0, 31, 62].map((back) => String(chinaDayOf(d.now - back * DAY)).slice(0, 6)))].map((m) => `${m.slice(0, 4)}-${m.slice(4)}`);
    for (const month of months) {
      for (const c of DEMO_CHANNELS) {
        await em.getRepository(ChannelSpend).insert({
          companyId: d.companyId,
          channel: c.tag,
          month,
          amountFen: Math.round(c.weight * (800 + rand() * 400)) * 100,
          updatedBy: d.opsActor.id || null,
          updatedAt: d.now - 5 * DAY,
        });
      }
    }
  });
}
