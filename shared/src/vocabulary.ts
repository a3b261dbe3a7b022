// The brief's vocabulary. These are the shipped defaults; a company may override the
// lists it sees (company settings), so validation on the server reads the company's list.

export const ROLES = ['rep', 'supervisor', 'ops', 'director', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  rep: '顾问',
  supervisor: '主管',
  ops: '销售运营',
  director: '总监',
  admin: '管理员',
};

/** Field 1 of the follow-up: a fixed list, no free-text "other". */
export const DEFAULT_ACTION_TAGS = ['已电话沟通', '已发送资料', '已预约试听', '已签约'] as const;

export const JOURNEY_NODES = ['线索获取', '首次触达', '需求确认', '方案提供', '异议处理', '试听体验', '签约转化'] as const;
export type JourneyNode = (typeof JOURNEY_NODES)[number];

export const GRADES = ['小一', '小二', '小三', '小四', '小五', '小六', '初一', '初二', '初三', '高一', '高二', '高三'] as const;

export const CONCERNS = ['升学政策', '学科提分', '学习方法', '心理辅导'] as const;

export const DEFAULT_QUICK_PHRASES = ['预算有限', '关注师资', '需对比3家', '需和家人商量', '对价格敏感', '关注上课时间', '孩子基础较弱', '意向强烈'] as const;

export const LEAD_STATUSES = ['pending', 'assigned', 'following', 'won', 'lost', 'invalid'] as const;
/** A rep's open work: counted in backlogs and caps. */
export const OPEN_LEAD_STATUSES = ['assigned', 'following'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export const LEAD_STATUS_LABELS: Record<LeadStatus, string> = {
  pending: '待分配',
  assigned: '已分配',
  following: '跟进中',
  won: '已签约',
  lost: '已流失',
  invalid: '无效',
};

/** How the follow-up text was produced; kept so entry-rate and voice adoption can be measured. */
export const INPUT_SOURCES = ['typed', 'voice', 'phrase'] as const;
export type InputSource = (typeof INPUT_SOURCES)[number];

export const CONCLUSION_MAX = 100;

/** Leads untouched this long after creation are overdue (brief: "48 h ... converts at ~0%"). */
export const OVERDUE_HOURS = 48;
