import type { z } from 'zod';
import { AppError } from './errors';

/**
 * Parses input with a zod schema; failures become a 400 whose message names the first problem in Chinese. (zod's own
 * zh-CN locale was weighed and not adopted: it speaks to developers, "无效输入：期望 string，实际接收 undefined" for a missing
 * field, a regex's source for a bad code, "数值过大" for a long text.) `reportInput` tells a missing field from a wrong
 * type; the input itself is not returned.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input, { reportInput: true });
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: localise(i) }));
  const first = issues[0];
  const message = first.path ? `${fieldLabel(first.path)}：${first.message}` : first.message;
  throw new AppError(400, 'invalid_input', message, issues);
}

const LABELS: Record<string, string> = {
  phone: '手机号',
  name: '称呼',
  city: '城市',
  province: '省份',
  grade: '年级',
  concerns: '关注点',
  tags: '标签',
  channel: '渠道标签',
  campaign: '活动',
  ownerId: '负责人',
  status: '状态',
  leadId: '线索',
  action: '跟进动作',
  conclusion: '关键结论',
  nextStep: '下一步计划',
  'nextStep.at': '下一步时间',
  'nextStep.action': '下一步动作',
  source: '输入方式',
  transcript: '语音转写',
  scriptId: '话术',
  clientRequestId: '请求编号',
  userId: '用户',
  role: '角色',
  code: '登录码',
  authCode: '登录码',
  url: '页面地址',
  page: '页码',
  pageSize: '每页条数',
  overdue: '是否逾期',
  node: '旅程节点',
  lostReason: '流失原因',
  journeyNode: '阶段',
  // intake, scoring, routing, content
  rules: '分配规则',
  defaultPoolId: '默认线索池',
  protective: '高分保护阈值',
  orgUnitId: '组织单元',
  members: '线索池成员',
  weights: '加分项',
  levelA: 'A级门槛',
  mapping: '字段映射',
  kind: '渠道类型',
  tag: '标签',
  title: '资料标题',
  rotateKey: '更换密钥',
  active: '启用',
  // metrics
  signedCourse: '所签课程',
  from: '开始日期',
  to: '结束日期',
  unitId: '组织',
  repId: '顾问',
  by: '分组',
  value: '分组值',
  view: '导出视图',
  month: '月份',
  amount: '金额',
  customerId: '客户',
  at: '时间',
  // intent signals
  messages: '消息',
  msgId: '消息编号',
  staticShare: '静态因素占比',
  halfLifeHours: '信号半衰期（小时）',
  chatRetentionDays: '会话保留天数',
  classes: '意向信号',
  // script library, alarm settings
  category: '分类',
  text: '话术内容',
  concern: '关注点',
  unclaimedMinutes: '未认领提醒（分钟）',
  noFollowupHours: '未跟进提醒（小时）',
  highRiskHours: '高风险预警（小时）',
  highRiskGrades: '高风险年级',
  missRatio: '预测预警阈值',
  quietStart: '免打扰开始',
  quietEnd: '免打扰结束',
  urgentRules: '不受免打扰限制的规则',
  digestAbove: '合并为汇总卡片的条数',
  perMemberPerMinute: '每人每分钟消息上限',
  perMemberPerHour: '每人每小时消息上限',
};

function fieldLabel(path: string): string {
  return LABELS[path] ?? LABELS[path.replace(/\.\d+$/, '')] ?? path;
}

/** zod's built-in English messages for structural problems, said in Chinese (schemas give their own where it matters). */
function localise(issue: z.core.$ZodIssue): string {
  if (/[\u4e00-\u9fff]/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `不支持的字段：${issue.keys.join('、')}`;
    case 'invalid_type':
      if (issue.input === undefined) return '必填';
      return issue.path.length ? `类型不正确，应为${typeName(issue.expected)}` : '请求内容应为 JSON 对象';
    case 'too_big':
      if (UNITS[issue.origin]) return `最多 ${String(issue.maximum)} ${UNITS[issue.origin]}`;
      return `${issue.inclusive === false ? '必须小于' : '不能超过'} ${String(issue.maximum)}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return '不能为空';
      if (UNITS[issue.origin]) return `至少 ${String(issue.minimum)} ${UNITS[issue.origin]}`;
      return `${issue.inclusive === false ? '必须大于' : '不能小于'} ${String(issue.minimum)}`;
    case 'invalid_value':
      return issue.values.length <= 12 ? `只能是：${issue.values.map(String).join('、')}` : '不是可选的值';
    case 'invalid_format':
      return FORMATS[issue.format] ?? '格式不正确';
    default:
      return '格式不正确';
  }
}

const FORMATS: Record<string, string> = {
  date: '日期格式不正确，应为 YYYY-MM-DD（如 2026-01-20）',
  datetime: '时间格式不正确，应为 ISO 8601（如 2026-01-20T15:00:00+08:00）',
  email: '邮箱格式不正确',
  url: '网址格式不正确',
};

/** What a length limit counts: characters of a text, items of a list (a number's limit is its value). */
const UNITS: Record<string, string> = { string: '个字', array: '项', set: '项' };

function typeName(t: string): string {
  return ({ string: '文本', number: '数字', int: '整数', object: '对象', array: '数组', boolean: '布尔值（true / false）' } as Record<string, string>)[t] ?? t;
}
