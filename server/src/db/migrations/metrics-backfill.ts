import type { EntityManager } from 'typeorm';

/**
 * The data backfills of the metrics migrations (1700000300000, 1700000500000), frozen: the fact rules, rollup
 * measures and company defaults as those migrations shipped them, written out here instead of imported from live
 * code, so a later change to metrics/ never changes what an old migration does to an old database. Only migrations
 * import this file (eslint forbids migrations to import anything outside this folder but typeorm).
 */

const HOUR = 3600_000;
/** KPI windows of the day: 7-day survival, 24 h first touch, 48 h follow-up after assignment. */
const S7_MS = 7 * 24 * HOUR;
const F24_MS = 24 * HOUR;
const F48_MS = 48 * HOUR;
const OPEN_STATUSES = "'assigned', 'following'";
const NODES = ['线索获取', '首次触达', '需求确认', '方案提供', '异议处理', '试听体验', '签约转化'];
/** 试听体验: a lead that reached it had a trial. */
const TRIAL_NODE = 5;
/** Company settings a fact or a rollup depends on, with the defaults of the day (a company's settings override them). */
interface FactSettings {
  levelA: number;
  requiredProfileFields: string[];
  courses: { name: string; concern: string }[];
}
const DEFAULTS: FactSettings = {
  levelA: 60,
  requiredProfileFields: ['name', 'city', 'grade', 'concerns'],
  courses: [
    { name: '中考升学规划营', concern: '升学政策' },
    { name: '数学提分班', concern: '学科提分' },
    { name: '学习力训练营', concern: '学习方法' },
    { name: '考前心理成长课', concern: '心理辅导' },
  ],
};

const placeholders = (count: number) => new Array(count).fill('?').join(', ');
const isMysql = (em: EntityManager) => em.connection.options.type === 'mysql';
const orNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
/** China-time calendar day (UTC+8 all year) as YYYYMMDD. */
function chinaDay(at: number): number {
  const d = new Date(at + 8 * HOUR);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

async function insertAll(em: EntityManager, table: string, cols: string[], rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const part = rows.slice(i, i + 200);
    const values = part.map(() => `(${placeholders(cols.length)})`).join(', ');
    await em.query(`INSERT INTO ${table} (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES ${values}`, part.flat());
  }
}

/**
 * 1700000300000: each lead's signing time (its first live 已签约 follow-up), its journey stays from the journey
 * events (a stay ends when the lead's next event starts), and the per-rep, per-China-day script follow-up counters.
 */
export async function backfillStaysAndCounters(em: EntityManager): Promise<void> {
  await em.query(
    `UPDATE \`lead\` SET signedAt = (SELECT MIN(f.createdAt) FROM followup f
       WHERE f.leadId = \`lead\`.id AND f.action = '已签约' AND f.deletedAt IS NULL) WHERE signedAt IS NULL`,
  );
  await em.query(
    `INSERT INTO journey_stay (companyId, leadId, node, enteredAt, leftAt, actorId, followupId, scriptId)
     SELECT e.companyId, e.leadId, e.toNode, e.at, LEAD(e.at) OVER (PARTITION BY e.leadId ORDER BY e.at, e.id), e.actorId, e.followupId, e.scriptId
       FROM journey_event e ORDER BY e.leadId, e.at, e.id`,
  );
  const scripted: { companyId: number; authorId: number; createdAt: number }[] = await em.query(
    'SELECT companyId, authorId, createdAt FROM followup WHERE scriptId IS NOT NULL AND deletedAt IS NULL',
  );
  const perRepDay = new Map<string, number[]>();
  for (const f of scripted) {
    const key = [Number(f.companyId), Number(f.authorId), chinaDay(Number(f.createdAt))];
    const row = perRepDay.get(key.join(':')) ?? [...key, 0];
    row[3] += 1;
    perRepDay.set(key.join(':'), row);
  }
  await insertAll(em, 'rep_day', ['companyId', 'repId', 'day', 'scriptFollowups'], [...perRepDay.values()]);
}

/** Each company's settings as the facts and rollups of the day read them. */
async function settingsByCompany(em: EntityManager): Promise<Map<number, FactSettings>> {
  const companies: { id: number; settings: string | null }[] = await em.query('SELECT id, settings FROM company');
  return new Map(companies.map((c) => [Number(c.id), { ...DEFAULTS, ...(c.settings ? JSON.parse(c.settings) : {}) }]));
}

/**
 * 1700000500000: facts for leads that have none (data from before the metrics), the newer fact columns of every fact
 * (pending-until times, overdue time, primary lead of the customer) in SQL, then every company's rollup.
 */
export async function backfillFactsAndRollups(em: EntityManager): Promise<void> {
  const settings = await settingsByCompany(em);
  const of = (companyId: number) => settings.get(companyId) ?? DEFAULTS;
  await insertMissingFacts(em, of);
  await fillNewerFactColumns(em);
  const companies: { companyId: number }[] = await em.query('SELECT DISTINCT companyId FROM lead_fact');
  for (const { companyId } of companies) await buildRollup(em, Number(companyId), of(Number(companyId)).levelA);
}

const FACT_COLUMNS = [
  'companyId',
  'enteredAt',
  'leadId',
  'enteredDay',
  'customerId',
  'ownerId',
  'orgUnitId',
  'channel',
  'city',
  'grade',
  'status',
  'journeyNode',
  'nodeEnteredAt',
  'maxNodeIndex',
  'lostNode',
  'score',
  'assignedAt',
  'firstTouchAt',
  'assignTouchAt',
  'nextStepDueAt',
  'trialAt',
  'signedAt',
  'signedCourse',
  'demandMatch',
  'profileFilled',
  'profileRequired',
  ...NODES.map((_, i) => `stayMs${i}`),
  ...NODES.map((_, i) => `stays${i}`),
  'deletedAt',
  'updatedAt',
];

/** Batches of 1000 leads without a fact, with their customer and their first follow-up overall and since assignment. */
async function insertMissingFacts(em: EntityManager, settingsOf: (companyId: number) => FactSettings): Promise<void> {
  let after = 0;
  for (;;) {
    const leads: Record<string, unknown>[] = await em.query(
      `SELECT l.*, c.id AS cId, c.name AS cName, c.province AS cProvince, c.city AS cCity, c.grade AS cGrade, c.concerns AS cConcerns, c.tags AS cTags,
              (SELECT MIN(t.createdAt) FROM followup t WHERE t.companyId = l.companyId AND t.leadId = l.id AND t.deletedAt IS NULL) AS touchAt,
              (SELECT MIN(t.createdAt) FROM followup t WHERE t.companyId = l.companyId AND t.leadId = l.id AND t.deletedAt IS NULL
                 AND t.createdAt >= COALESCE(l.assignedAt, l.createdAt)) AS sinceTouchAt
         FROM \`lead\` l LEFT JOIN customer c ON c.id = l.customerId AND c.companyId = l.companyId
        WHERE l.id > ? AND NOT EXISTS (SELECT 1 FROM lead_fact x WHERE x.leadId = l.id) ORDER BY l.id LIMIT 1000`,
      [after],
    );
    if (!leads.length) return;
    after = Number(leads[leads.length - 1].id);
    const ids = leads.map((l) => Number(l.id));
    const stays: { leadId: number; node: string; enteredAt: number; leftAt: number | null }[] = await em.query(
      `SELECT s.leadId, s.node, s.enteredAt, s.leftAt FROM journey_stay s JOIN \`lead\` l ON l.id = s.leadId AND l.companyId = s.companyId
        WHERE s.leadId IN (${placeholders(ids.length)})`,
      ids,
    );
    const staysOf = new Map<number, typeof stays>(ids.map((id) => [id, []]));
    for (const s of stays) staysOf.get(Number(s.leadId))!.push(s);
    const rows = leads.map((l) => factOf(l, staysOf.get(Number(l.id))!, settingsOf(Number(l.companyId))));
    await insertAll(
      em,
      'lead_fact',
      FACT_COLUMNS,
      rows.map((r) => FACT_COLUMNS.map((c) => r[c])),
    );
  }
}

/** A lead's fact without the columns fillNewerFactColumns sets. */
function factOf(l: Record<string, unknown>, stays: { node: string; enteredAt: number; leftAt: number | null }[], s: FactSettings) {
  const customer =
    l.cId === null || l.cId === undefined
      ? {}
      : ({
          name: l.cName,
          province: l.cProvince,
          city: l.cCity,
          grade: l.cGrade,
          tags: JSON.parse(String(l.cTags ?? '[]')) as string[],
          concerns: JSON.parse(String(l.cConcerns ?? '[]')) as string[],
        } as Record<string, unknown>);
  const fact: Record<string, unknown> = {
    companyId: Number(l.companyId),
    enteredAt: Number(l.createdAt),
    leadId: Number(l.id),
    enteredDay: chinaDay(Number(l.createdAt)),
    customerId: Number(l.customerId),
    ownerId: orNull(l.ownerId),
    orgUnitId: orNull(l.orgUnitId),
    channel: l.channel,
    city: customer.city ?? null,
    grade: customer.grade ?? null,
    status: l.status,
    journeyNode: l.journeyNode,
    nodeEnteredAt: null,
    maxNodeIndex: 0,
    lostNode: l.status === 'lost' ? l.journeyNode : null,
    score: Number(l.score ?? 0),
    assignedAt: orNull(l.assignedAt),
    firstTouchAt: orNull(l.touchAt),
    assignTouchAt: orNull(l.sinceTouchAt),
    nextStepDueAt: orNull(l.nextStepDueAt),
    trialAt: null,
    signedAt: orNull(l.signedAt),
    signedCourse: l.signedCourse ?? null,
    deletedAt: orNull(l.deletedAt),
    updatedAt: Number(l.updatedAt),
  };
  NODES.forEach((_, i) => Object.assign(fact, { [`stayMs${i}`]: 0, [`stays${i}`]: 0 }));
  for (const stay of stays) {
    const i = NODES.indexOf(String(stay.node));
    if (i < 0) continue;
    const enteredAt = Number(stay.enteredAt);
    fact.maxNodeIndex = Math.max(Number(fact.maxNodeIndex), i);
    if (i >= TRIAL_NODE && (fact.trialAt === null || enteredAt < Number(fact.trialAt))) fact.trialAt = enteredAt;
    if (stay.leftAt === null || stay.leftAt === undefined) fact.nodeEnteredAt = enteredAt;
    else {
      fact[`stayMs${i}`] = Number(fact[`stayMs${i}`]) + Number(stay.leftAt) - enteredAt;
      fact[`stays${i}`] = Number(fact[`stays${i}`]) + 1;
    }
  }
  // Demand match: a signing whose course answers one of the customer's concerns; null when unsigned or the course is unknown.
  const course = fact.signedAt === null || !l.signedCourse ? undefined : s.courses.find((c) => c.name === l.signedCourse);
  fact.demandMatch = course ? Number(((customer.concerns as string[] | undefined) ?? []).includes(course.concern)) : null;
  // Profile completeness: the required fields filled in (an empty string or an empty list is not filled).
  fact.profileRequired = s.requiredProfileFields.length;
  fact.profileFilled = s.requiredProfileFields.filter((name) => {
    const v = customer[name];
    return Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined && String(v).trim() !== '';
  }).length;
  return fact;
}

/**
 * The pending-until times of the KPI windows (null when the lead was touched in time), the time an open lead turns
 * overdue (48 h after assignment untouched, or just after its next step), and whether a fact is its customer's
 * primary one (no newer live lead: later entry, or same time and higher id).
 */
async function fillNewerFactColumns(em: EntityManager): Promise<void> {
  const pending = (start: string, touch: string, windowMs: number) =>
    `CASE WHEN ${touch} IS NOT NULL AND ${touch} >= ${start} AND ${touch} - ${start} <= ${windowMs} THEN NULL ELSE ${start} + ${windowMs} END`;
  await em.query(
    `UPDATE lead_fact SET s7PendingUntil = ${pending('enteredAt', 'firstTouchAt', S7_MS)},
            f24PendingUntil = ${pending('enteredAt', 'firstTouchAt', F24_MS)},
            f48PendingUntil = ${pending('COALESCE(assignedAt, enteredAt)', 'assignTouchAt', F48_MS)},
            profilePrimary = 1`,
  );
  const untouched = `CASE WHEN assignTouchAt IS NULL THEN COALESCE(assignedAt, enteredAt) + ${F48_MS} END`;
  const step = 'nextStepDueAt + 1';
  await em.query(
    `UPDATE lead_fact SET overdueFrom = CASE WHEN status NOT IN (${OPEN_STATUSES}) THEN NULL
       WHEN ${untouched} IS NULL THEN ${step} WHEN nextStepDueAt IS NULL THEN ${untouched}
       WHEN ${untouched} < ${step} THEN ${untouched} ELSE ${step} END`,
  );
  const newer =
    'g.companyId = f.companyId AND g.customerId = f.customerId AND g.deletedAt IS NULL AND g.leadId <> f.leadId AND (g.enteredAt > f.enteredAt OR (g.enteredAt = f.enteredAt AND g.leadId > f.leadId))';
  if (isMysql(em)) await em.query(`UPDATE lead_fact f JOIN lead_fact g ON ${newer} SET f.profilePrimary = 0`);
  else await em.query(`UPDATE lead_fact AS f SET profilePrimary = 0 WHERE EXISTS (SELECT 1 FROM lead_fact g WHERE ${newer})`);
}

/** The lead_rollup measures as per-fact SQL, the A-level threshold of the company given. */
function rollupMeasures(levelA: number): Record<string, string> {
  const ifThen = (cond: string, value = '1') => `CASE WHEN ${cond} THEN ${value} ELSE 0 END`;
  const flow = 'f.assignedAt IS NOT NULL AND f.firstTouchAt IS NOT NULL AND f.firstTouchAt >= f.assignedAt';
  const measures: Record<string, string> = {
    leads: '1',
    s7hit: ifThen('f.s7PendingUntil IS NULL'),
    f24hit: ifThen('f.f24PendingUntil IS NULL'),
    f48hit: ifThen('f.f48PendingUntil IS NULL'),
    flowMs: ifThen(flow, 'f.firstTouchAt - f.assignedAt'),
    flowN: ifThen(flow),
    signed: ifThen('f.signedAt IS NOT NULL'),
    dealMs: ifThen('f.signedAt IS NOT NULL', 'f.signedAt - f.enteredAt'),
    signedDM: ifThen('f.signedAt IS NOT NULL AND f.demandMatch IS NOT NULL'),
    matched: ifThen('f.signedAt IS NOT NULL AND f.demandMatch = 1'),
    trials: ifThen(`f.maxNodeIndex >= ${TRIAL_NODE}`),
    trialSigned: ifThen(`f.maxNodeIndex >= ${TRIAL_NODE} AND f.signedAt IS NOT NULL`),
    pf: ifThen('f.profilePrimary = 1', 'f.profileFilled'),
    pr: ifThen('f.profilePrimary = 1', 'f.profileRequired'),
  };
  NODES.forEach((node, i) =>
    Object.assign(measures, {
      [`reached${i}`]: ifThen(`f.maxNodeIndex >= ${i}`),
      [`lost${i}`]: ifThen(`f.lostNode = '${node}'`),
      [`inNode${i}`]: ifThen(`f.journeyNode = '${node}'`),
      [`stayMs${i}`]: `f.stayMs${i}`,
      [`stays${i}`]: `f.stays${i}`,
      [`stayLeads${i}`]: ifThen(`f.stays${i} > 0`),
    }),
  );
  measures.levelA = ifThen(`f.score >= ${Math.trunc(Number(levelA))}`);
  return measures;
}

/**
 * A company's lead_rollup rows from its live facts: per China entry day, owner and team in the shapes `all`, `city`,
 * `grade` and `channel` (the attribute in `dim`, '' when unknown), and `open` (day 0: open leads counted, nothing else).
 */
async function buildRollup(em: EntityManager, companyId: number, levelA: number): Promise<void> {
  const measures = Object.entries(rollupMeasures(levelA));
  const shapes: [string, string][] = [
    ['all', "''"],
    ['city', "COALESCE(f.city, '')"],
    ['grade', "COALESCE(f.grade, '')"],
    ['channel', 'f.channel'],
    ['open', "''"],
  ];
  for (const [shape, dim] of shapes) {
    const open = shape === 'open';
    const sums = measures.map(([name, sql]) => (open && name !== 'leads' ? '0' : `SUM(${sql})`));
    const keys = `${open ? '' : 'f.enteredDay, '}COALESCE(f.ownerId, 0), COALESCE(f.orgUnitId, 0), ${dim}`;
    await em.query(
      `INSERT INTO lead_rollup (companyId, shape, day, ownerId, orgUnitId, dim, ${measures.map(([name]) => `\`${name}\``).join(', ')}, updatedAt)
       SELECT f.companyId, '${shape}', ${open ? '0' : 'f.enteredDay'}, COALESCE(f.ownerId, 0), COALESCE(f.orgUnitId, 0), ${dim}, ${sums.join(', ')}, MAX(f.updatedAt)
         FROM lead_fact f WHERE f.companyId = ? AND f.deletedAt IS NULL${open ? ` AND f.status IN (${OPEN_STATUSES})` : ''}
        GROUP BY f.companyId, ${keys}`,
      [companyId],
    );
  }
}
