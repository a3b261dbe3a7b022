// The brief's KPI table as data: what each metric means, its target, and which way is good.
// Server, dashboards and CSV exports all read labels and thresholds from here.

export const KPI_IDS = ['survival7d', 'demandMatch', 'flowHealthHours', 'firstTouch24h', 'followup48h', 'entryRate', 'profileCompleteness'] as const;
export type KpiId = (typeof KPI_IDS)[number];

export interface KpiDefinition {
  id: KpiId;
  label: string;
  /** One sentence a manager can read: exactly what is counted. */
  definition: string;
  unit: 'ratio' | 'hours';
  target: number;
  /** 'atLeast': red below target; 'atMost': red above target. */
  direction: 'atLeast' | 'atMost';
}

export const KPI_DEFINITIONS: Record<KpiId, KpiDefinition> = {
  survival7d: {
    id: 'survival7d',
    label: '7日线索存活率',
    unit: 'ratio',
    target: 0.75,
    direction: 'atLeast',
    definition: '进线7天内至少有一次有效互动（跟进、发资料、预约）的线索占比；未满7天且尚无互动的线索不计入',
  },
  demandMatch: {
    id: 'demandMatch',
    label: '需求匹配度',
    unit: 'ratio',
    target: 0.82,
    direction: 'atLeast',
    definition: '已签约线索中，客户标记的核心关注点与所签课程对应关注点一致的占比',
  },
  flowHealthHours: {
    id: 'flowHealthHours',
    label: '流转健康度',
    unit: 'hours',
    target: 1.5,
    direction: 'atMost',
    definition: '从分配到首次跟进的平均时长（小时）',
  },
  firstTouch24h: {
    id: 'firstTouch24h',
    label: '24小时首触率',
    unit: 'ratio',
    target: 0.92,
    direction: 'atLeast',
    definition: '进线24小时内完成首次跟进的线索占比；未满24小时且未跟进的不计入',
  },
  followup48h: {
    id: 'followup48h',
    label: '48小时跟进率',
    unit: 'ratio',
    target: 0.85,
    direction: 'atLeast',
    definition: '分配给顾问后48小时内有跟进的线索占比；未满48小时且未跟进的不计入',
  },
  entryRate: {
    id: 'entryRate',
    label: '录入率',
    unit: 'ratio',
    target: 0.85,
    direction: 'atLeast',
    definition: '顾问与客户的会话（按顾问×客户×自然日）中，当天留下跟进记录的占比',
  },
  profileCompleteness: {
    id: 'profileCompleteness',
    label: '画像完整度',
    unit: 'ratio',
    target: 0.96,
    direction: 'atLeast',
    definition: '客户必填字段（称呼、城市、年级、核心关注点）已填数 / 应填总数',
  },
};

/** Red when past the threshold; null values (nothing to measure yet) are never red. */
export function kpiIsRed(id: KpiId, value: number | null, target = KPI_DEFINITIONS[id].target): boolean {
  if (value === null) return false;
  return KPI_DEFINITIONS[id].direction === 'atLeast' ? value < target : value > target;
}

/** Windows in hours behind the time-based KPIs. */
export const KPI_WINDOWS = { survivalHours: 7 * 24, firstTouchHours: 24, followupHours: 48 } as const;

/** Customer profile fields counted by profile completeness (company-overridable). */
export const DEFAULT_REQUIRED_PROFILE_FIELDS = ['name', 'city', 'grade', 'concerns'] as const;

/**
 * A course a lead can sign, answering one core concern (what demand match compares). `price`: its list price in
 * yuan, what channel ROI counts as a signing's revenue until a finance system reports the amount actually paid.
 */
export interface Course {
  name: string;
  concern: string;
  price?: number;
}

export const DEFAULT_COURSES: Course[] = [
  { name: '中考升学规划营', concern: '升学政策', price: 6800 },
  { name: '数学提分班', concern: '学科提分', price: 4800 },
  { name: '学习力训练营', concern: '学习方法', price: 3600 },
  { name: '考前心理成长课', concern: '心理辅导', price: 2400 },
];
