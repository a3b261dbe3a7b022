import type { z } from 'zod';
import { AppError } from './errors';

/** Parses input with a zod schema; failures become a 400 whose message names the first problem in Chinese. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: localise(i) }));
  const first = issues[0];
  const message = first.path ? `${fieldLabel(first.path)}：${first.message}` : first.message;
  throw new AppError(400, 'invalid_input', message, issues);
}

const LABELS: Record<string, string> = {
  phone: '手机号', name: '称呼', city: '城市', province: '省份', grade: '年级', concerns: '关注点', tags: '标签',
  channel: '渠道标签', campaign: '活动', ownerId: '负责人', status: '状态', leadId: '线索', action: '跟进动作',
  conclusion: '关键结论', nextStep: '下一步计划', 'nextStep.at': '下一步时间', 'nextStep.action': '下一步动作',
  source: '输入方式', transcript: '语音转写', scriptId: '话术', clientRequestId: '请求编号', userId: '用户',
  role: '角色', code: '登录码', authCode: '登录码', url: '页面地址', page: '页码', pageSize: '每页条数', overdue: '是否逾期', node: '旅程节点', lostReason: '流失原因', journeyNode: '阶段',
  // intake, scoring, routing, content
  rules: '分配规则', defaultPoolId: '默认线索池', protective: '高分保护阈值', orgUnitId: '组织单元', members: '线索池成员',
  weights: '加分项', levelA: 'A级门槛', mapping: '字段映射', kind: '渠道类型', tag: '标签', title: '资料标题',
  rotateKey: '更换密钥', active: '启用',
  // metrics
  signedCourse: '所签课程', from: '开始日期', to: '结束日期', unitId: '组织', repId: '顾问', by: '分组', value: '分组值',
  view: '导出视图', month: '月份', amount: '金额', customerId: '客户', at: '时间',
  // script library, alarm settings
  category: '分类', text: '话术内容', concern: '关注点', unclaimedMinutes: '未认领提醒（分钟）', noFollowupHours: '未跟进提醒（小时）',
  highRiskHours: '高风险预警（小时）', highRiskGrades: '高风险年级', quietStart: '免打扰开始', quietEnd: '免打扰结束',
  urgentRules: '不受免打扰限制的规则', digestAbove: '合并为汇总卡片的条数', perMemberPerMinute: '每人每分钟消息上限', perMemberPerHour: '每人每小时消息上限',
};

function fieldLabel(path: string): string {
  return LABELS[path] ?? LABELS[path.replace(/\.\d+$/, '')] ?? path;
}

/** zod's built-in English messages for structural problems, said in Chinese. */
function localise(issue: z.core.$ZodIssue): string {
  if (/[\u4e00-\u9fff]/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `不支持的字段：${issue.keys.join('、')}`;
    case 'invalid_type':
      return issue.input === undefined ? '必填' : `类型不正确，应为${typeName(issue.expected)}`;
    case 'too_big':
      return `不能超过 ${String(issue.maximum)}`;
    case 'too_small':
      return `不能小于 ${String(issue.minimum)}`;
    default:
      return '格式不正确';
  }
}

function typeName(t: string): string {
  return ({ string: '文本', number: '数字', object: '对象', array: '数组', boolean: '布尔值' } as Record<string, string>)[t] ?? t;
}
