import { PlatformEvents } from '../platforms/platform-events';
import type { DataSource } from 'typeorm';
import { DEFAULT_QUICK_PHRASES, type Role } from '@lifeline/shared';
import { ActorCache } from '../auth/actor-cache';
import { ManualClock } from '../clock';
import { Tx } from '../db/tx';
import { NO_CHECKPOINTS } from '../checkpoints';
import { DomainEvents } from '../events/domain-events';
import type { AppContext } from '../context';
import { resolveScope, type Actor } from '../auth/actor';
import { effectiveSettings } from '../companies/settings';
import { Company } from '../companies/company.entity';
import { OrgUnit } from '../companies/org-unit.entity';
import { User } from '../users/user.entity';
import { getAttribution, SAMPLE_PREFIXES } from '../customers/attribution';
import { LeadService } from '../leads/leads.service';
import { FollowupService } from '../followups/followups.service';
import { seedDemoRouting, seedTeamPools } from '../routing/demo-routing';
import { companyScripts } from '../scripts/library';
import { conversationsStep, factsStep } from '../metrics';
import { subscribeOutbox } from '../projector/outbox';
import { Projector } from '../projector/projector';
import { seedHistory } from './history';
import type { TokenService } from '../auth/token';
import type { AppConfig } from '../config';
import type { Channels } from '../channels/port';
import { DEMO_CAST, DEMO_CHANNELS, DEMO_NEXT_ACTIONS, DEMO_SURNAMES, type DemoCast } from './demo-data';

const HOUR = 3600_000;
const DEMO_CONCERNS = ['升学政策', '学科提分', '学习方法', '心理辅导'] as const;
const DAY = 24 * HOUR;
const CHANNEL_WEIGHTS = DEMO_CHANNELS.flatMap((c) => Array(c.weight).fill(c.tag) as string[]);

/** The customer the README and browser tests talk about: known phone, four contacts, 初三 from Douyin. */
export const FEATURED_CUSTOMER = { phone: '13915441234', name: '王妈妈', grade: '初三', city: '苏州', channel: '抖音-202601直播', rep: '张敏' };

export interface SeedSummary {
  companyId: number;
  users: number;
  leads: number;
  followups: number;
  overdue48h: number;
  highRisk36h: number;
}

export interface SeedOptions {
  now?: number;
  leads?: number;
  events?: DomainEvents;
  /** Add ~60 days of history (leads, journeys, signings, losses, conversations, channel spend) for the dashboards. */
  history?: boolean;
  /** Which company to seed (default: the demo's). Another cast seeds another company beside it, without the demo's extras. */
  cast?: DemoCast;
}

/** Deterministic PRNG, so every fresh demo looks the same and tests can rely on its shape. */
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

export async function seedDemoIfEmpty(ds: DataSource, opts: SeedOptions = {}): Promise<SeedSummary | null> {
  if (await ds.getRepository(Company).count()) return null;
  return seedDemo(ds, opts);
}

/**
 * Seeds the demo company through the real services (on a manual clock), so demo leads carry the same
 * audit rows, journey events and timelines as real ones.
 */
export async function seedDemo(ds: DataSource, opts: SeedOptions = {}): Promise<SeedSummary> {
  const now = opts.now ?? Date.now();
  const leadCount = opts.leads ?? 300;
  const cast = opts.cast ?? DEMO_CAST;
  const rand = rng(cast === DEMO_CAST ? 20260112 : 20260113);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const tx = new Tx(ds);
  const t0 = now - 10 * DAY;

  const ids = await seedOrg(tx, cast, t0);

  const clock = new ManualClock(t0);
  const app: AppContext = {
    config: {} as AppConfig,
    ds,
    tx,
    clock,
    tokens: {} as TokenService,
    attribution: getAttribution(),
    events: opts.events ?? new DomainEvents(),
    actors: new ActorCache(0),
    channels: () => ({}) as Channels,
    platformEvents: new PlatformEvents(),
    checkpoints: NO_CHECKPOINTS,
  };
  // Demo leads record their changes like real ones; their dashboard facts are projected once seeding is done.
  // (Not their alarm timers: the server arms those at start for leads that have none, see main.ts.)
  if (!opts.events) subscribeOutbox(app);
  const leads = new LeadService(app);
  const followups = new FollowupService(app, leads);
  const settings = effectiveSettings({});
  const actorFor = actorLookup(ds, settings);
  const ops = await ds.getRepository(User).findOneByOrFail({ companyId: ids.companyId, role: 'ops' });
  const opsActor = await actorFor(ops);

  // Leads, oldest first, each with a plausible history up to `now`.
  const usedPhones = new Set<string>([FEATURED_CUSTOMER.phone]);
  const phoneIn = (city: string) => {
    for (;;) {
      const p = pick(SAMPLE_PREFIXES[city] ?? SAMPLE_PREFIXES['苏州']) + String(Math.floor(rand() * 10000)).padStart(4, '0');
      if (!usedPhones.has(p)) return (usedPhones.add(p), p);
    }
  };
  const plans = Array.from({ length: leadCount }, () => {
    const team = pick(cast.teams);
    return { team, createdAt: t0 + Math.floor(rand() * (now - t0 - 20 * 60_000)), r: rand() };
  }).sort((a, b) => a.createdAt - b.createdAt);

  let nFollowups = 0;
  let n = 0;
  const key = () => `demo-${ids.companyId}-${++n}`;
  const record = async (
    actor: Actor,
    leadId: number,
    at: number,
    action: string,
    conclusion: string,
    next?: { inDays: number; action: string },
    signedCourse?: string,
  ) => {
    clock.set(at);
    const nextStep = next ? { at: new Date(at + next.inDays * DAY).toISOString(), action: next.action } : undefined;
    await followups.create(actor, { leadId, action, conclusion, nextStep, source: rand() < 0.3 ? 'voice' : 'typed', signedCourse }, key());
    nFollowups++;
  };
  const k: SeedKit = { rand, pick, clock, leads, opsActor, phoneIn, actorFor, record, now, settings, cast };

  for (const p of plans) await seedPlannedLead(k, p, ids.teamIds);
  const extras = cast.demoExtras ? await seedExtras(k, ids.teamIds) : 0;

  // Dashboard history: last, with its own PRNG, so everything above is the same with or without it.
  let history = { leads: 0, followups: 0 };
  if (opts.history) {
    const admin = await ds.getRepository(User).findOneByOrFail({ companyId: ids.companyId, role: 'admin' });
    history = await seedHistory({
      app,
      clock,
      leads,
      followups,
      companyId: ids.companyId,
      now,
      opsActor,
      adminActor: await actorFor(admin),
      actorFor,
      teamReps: (key) => ids.teamIds.get(key)!.reps,
      phoneIn,
    });
  }

  // Routing pools/rules and tag content, so new leads in the demo route themselves; another company gets one pool
  // per team and the script library at once (tests name its ids).
  await tx.run(async (em) => {
    if (cast.demoExtras) return seedDemoRouting(em, ids.companyId, now);
    await seedTeamPools(em, ids.companyId, now);
    await companyScripts(em, ids.companyId, now);
  });

  await new Projector(app, [factsStep(app), conversationsStep]).drain();

  const [{ overdue }] = await ds.query(
    `SELECT COUNT(*) AS overdue FROM \`lead\` WHERE companyId = ? AND firstFollowupAt IS NULL AND status IN ('pending','assigned') AND createdAt <= ?`,
    [ids.companyId, now - 48 * HOUR],
  );
  const [{ risk }] = await ds.query(
    `SELECT COUNT(*) AS risk FROM \`lead\` l JOIN customer c ON c.id = l.customerId WHERE l.companyId = ? AND l.firstFollowupAt IS NULL
       AND l.status IN ('pending','assigned') AND c.grade = '初三' AND l.createdAt <= ? AND l.createdAt > ?`,
    [ids.companyId, now - 36 * HOUR, now - 48 * HOUR],
  );
  return {
    companyId: ids.companyId,
    users: await ds.getRepository(User).countBy({ companyId: ids.companyId }),
    leads: leadCount + extras + history.leads,
    followups: nFollowups + history.followups,
    overdue48h: Number(overdue),
    highRisk36h: Number(risk),
  };
}

/** The company, its centres and teams, and its people. */
function seedOrg(tx: Tx, cast: DemoCast, t0: number) {
  return tx.run(async (em) => {
    const company = em.getRepository(Company).create({ name: cast.company, settings: {}, createdAt: t0 });
    await em.getRepository(Company).insert(company);
    const units = em.getRepository(OrgUnit);
    const users = em.getRepository(User);
    const newUser = async (name: string, role: Role, orgUnitId: number | null, managerId: number | null, active = true) => {
      const u = users.create({
        companyId: company.id,
        name,
        role,
        orgUnitId,
        managerId,
        active,
        wecomUserId: null,
        dingtalkUserId: null,
        createdAt: t0,
        updatedAt: t0,
        deletedAt: null,
      });
      await users.insert(u);
      return u;
    };
    const director = await newUser(cast.staff.director, 'director', null, null);
    await newUser(cast.staff.ops, 'ops', null, director.id);
    await newUser(cast.staff.admin, 'admin', null, null);

    const centreIds = new Map<string, number>();
    const supervisorIds = new Map<string, number>();
    const teamIds = new Map<string, { unitId: number; supervisorId: number; reps: User[] }>();
    for (const t of cast.teams) {
      if (!centreIds.has(t.centre)) {
        const centre = units.create({
          companyId: company.id,
          parentId: null,
          name: t.centre,
          kind: 'centre',
          path: '/',
          supervisorId: null,
          createdAt: t0,
          deletedAt: null,
        });
        await units.insert(centre);
        await units.update({ id: centre.id }, { path: `/${centre.id}/` });
        const sup = await newUser(cast.supervisors[t.centre], 'supervisor', centre.id, director.id);
        await units.update({ id: centre.id }, { supervisorId: sup.id });
        centreIds.set(t.centre, centre.id);
        supervisorIds.set(t.centre, sup.id);
      }
      const centreId = centreIds.get(t.centre)!;
      const supId = supervisorIds.get(t.centre)!;
      const team = units.create({
        companyId: company.id,
        parentId: centreId,
        name: t.team,
        kind: 'team',
        path: '/',
        supervisorId: supId,
        createdAt: t0,
        deletedAt: null,
      });
      await units.insert(team);
      await units.update({ id: team.id }, { path: `/${centreId}/${team.id}/` });
      teamIds.set(t.key, { unitId: team.id, supervisorId: supId, reps: [] });
    }
    for (const r of cast.reps) {
      const team = teamIds.get(r.team)!;
      const u = await newUser(r.name, 'rep', team.unitId, team.supervisorId, r.active ?? true);
      if (u.active) team.reps.push(u);
    }
    return { companyId: company.id, teamIds };
  });
}

type TeamIds = Map<string, { unitId: number; supervisorId: number; reps: User[] }>;

/** What the seeding steps share: the PRNG, the clock, the services and the helpers that keep the demo consistent. */
interface SeedKit {
  rand: () => number;
  pick: <T>(xs: readonly T[]) => T;
  clock: ManualClock;
  leads: LeadService;
  opsActor: Actor;
  phoneIn: (city: string) => string;
  actorFor: (u: User) => Promise<Actor>;
  record: (
    actor: Actor,
    leadId: number,
    at: number,
    action: string,
    conclusion: string,
    next?: { inDays: number; action: string },
    signedCourse?: string,
  ) => Promise<void>;
  now: number;
  settings: ReturnType<typeof effectiveSettings>;
  cast: DemoCast;
}

/** One lead of the plan: created, then (mostly) called, sent material, booked for a trial and signed, as far as `now` allows. */
async function seedPlannedLead(k: SeedKit, p: { team: DemoCast['teams'][number]; createdAt: number; r: number }, teams: TeamIds): Promise<void> {
  const { rand, pick, clock, leads, opsActor, phoneIn, actorFor, record, now, settings } = k;
  const team = teams.get(p.team.key)!;
  const unassigned = p.r < 0.05;
  const owner = unassigned ? null : pick(team.reps);
  const grade = pick(p.team.grades);
  const concerns = [pick(DEMO_CONCERNS)];
  if (rand() < 0.3) concerns.push('学科提分');
  clock.set(p.createdAt);
  const created = await leads.create(opsActor, {
    phone: phoneIn(p.team.city),
    name: `${pick(DEMO_SURNAMES)}${rand() < 0.75 ? '妈妈' : '爸爸'}`,
    grade: grade as never,
    concerns: concerns as never,
    channel: pick(CHANNEL_WEIGHTS),
    ownerId: owner?.id,
  });
  if (!owner) return;
  const actor = await actorFor(owner);
  const age = now - p.createdAt;
  // ~18% untouched (the alarm engine's work); the rest got a first call within minutes to a day.
  if (rand() < 0.18) return;
  let at = p.createdAt + Math.floor(10 * 60_000 + rand() * (rand() < 0.8 ? 4 * HOUR : 30 * HOUR));
  if (at >= now) return;
  const leadId = created.lead.id;
  await record(actor, leadId, at, '已电话沟通', pick(DEFAULT_QUICK_PHRASES), { inDays: 1 + Math.floor(rand() * 3), action: pick(DEMO_NEXT_ACTIONS) });
  const steps: [string, string][] = [
    ['已发送资料', '已发送课程介绍和师资资料'],
    ['已预约试听', '已约周末试听'],
    ['已签约', '签约春季班'],
  ];
  for (const [action, text] of steps) {
    at += Math.floor((0.5 + rand() * 2) * DAY);
    if (at >= now || rand() < 0.45 || age < DAY) break;
    // Most signings answer the customer's main concern (demand match); some do not.
    // (Chosen without the PRNG, so the rest of the demo stays exactly as before.)
    const course = settings.courses.find((c) => c.concern === (leadId % 6 === 0 ? '心理辅导' : concerns[0]))?.name ?? settings.courses[0].name;
    await record(
      actor,
      leadId,
      at,
      action,
      text,
      action === '已签约' ? undefined : { inDays: 2, action: pick(DEMO_NEXT_ACTIONS) },
      action === '已签约' ? course : undefined,
    );
  }
}

/** The demo's own material: alarm-worthy untouched leads, the featured customer, a returning parent. Returns the leads added. */
async function seedExtras(k: SeedKit, teams: TeamIds): Promise<number> {
  const { pick, clock, leads, opsActor, phoneIn, actorFor, record, now, cast } = k;
  // Guaranteed alarm material: 初三 leads 36–47 h old and leads past 48 h, all untouched.
  const szTeam = teams.get('sz-zk')!;
  const zhang = szTeam.reps.find((u) => u.name === FEATURED_CUSTOMER.rep)!;
  for (let i = 0; i < 3; i++) {
    clock.set(now - (37 + i * 3) * HOUR);
    await leads.create(opsActor, {
      phone: phoneIn('苏州'),
      name: `${pick(DEMO_SURNAMES)}妈妈`,
      grade: '初三',
      concerns: ['升学政策'],
      channel: '抖音-202601直播',
      ownerId: zhang.id,
    });
  }
  for (let i = 0; i < 4; i++) {
    clock.set(now - (50 + i * 7) * HOUR);
    const team = teams.get(pick(cast.teams).key)!;
    await leads.create(opsActor, {
      phone: phoneIn('南京'),
      name: `${pick(DEMO_SURNAMES)}爸爸`,
      grade: '初二',
      concerns: ['学科提分'],
      channel: '公众号-寒假讲座推文',
      ownerId: pick(team.reps).id,
    });
  }

  // The featured customer: four contacts, so "last 3 interactions" has something to choose from.
  clock.set(now - 6 * DAY);
  const featured = await leads.create(opsActor, {
    phone: FEATURED_CUSTOMER.phone,
    name: FEATURED_CUSTOMER.name,
    grade: '初三',
    concerns: ['升学政策', '学科提分'],
    channel: FEATURED_CUSTOMER.channel,
    ownerId: zhang.id,
  });
  const zhangActor = await actorFor(zhang);
  const f = featured.lead.id;
  await record(zhangActor, f, now - 6 * DAY + 28 * 60_000, '已电话沟通', '关注中考政策，孩子数学偏弱', { inDays: 1, action: '发送2026江苏中考新政白皮书' });
  await record(zhangActor, f, now - 5 * DAY, '已发送资料', '已发2026江苏中考新政白皮书，预算有限', { inDays: 2, action: '电话确认试听时间' });
  await record(zhangActor, f, now - 3 * DAY, '已电话沟通', '需对比3家，关注师资', { inDays: 1, action: '邀约周六试听' });
  await record(zhangActor, f, now - 2 * DAY, '已预约试听', '已约周六上午数学试听', { inDays: 3, action: '微信发试听回放' });

  // A parent who came back through a referral: one customer, two leads (the profile counts once, at the newer one).
  const returning = phoneIn('苏州');
  clock.set(now - 9 * DAY);
  const earlier = await leads.create(opsActor, {
    phone: returning,
    name: '陆妈妈',
    grade: '初二',
    concerns: ['学科提分'],
    channel: '百度-品牌词',
    ownerId: zhang.id,
  });
  await record(zhangActor, earlier.lead.id, now - 9 * DAY + 30 * 60_000, '已电话沟通', '暂不考虑，明年再说');
  clock.set(now - 4 * DAY);
  const again = await leads.create(opsActor, { phone: returning, channel: '转介绍-老学员', ownerId: zhang.id });
  await record(zhangActor, again.lead.id, now - 4 * DAY + 40 * 60_000, '已电话沟通', '老学员推荐回来，想了解暑期班', { inDays: 2, action: '发送暑期班介绍' });
  return 8;
}

/** Each person's Actor, resolved once. */
function actorLookup(ds: DataSource, settings: ReturnType<typeof effectiveSettings>): (u: User) => Promise<Actor> {
  const actorCache = new Map<number, Actor>();
  return async (u) => {
    if (!actorCache.has(u.id)) {
      actorCache.set(u.id, {
        id: u.id,
        companyId: u.companyId,
        role: u.role,
        name: u.name,
        orgUnitId: u.orgUnitId,
        settings,
        scope: await resolveScope(ds.manager, u),
      });
    }
    return actorCache.get(u.id)!;
  };
}
