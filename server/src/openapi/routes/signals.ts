import { signalSettingsPatchSchema, chatMessagesSchema } from '@lifeline/shared/src/signals';
import { json, ok, type RouteDoc } from '../route-doc';

/** Live intent signals (docs/signals.md). */
export const signalRoutes: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/chat-messages',
    tag: 'integrations',
    summary: '会话存档消息 Chat messages from the archive sidecar',
    auth: 'signed-request',
    roles: 'anyone',
    rolesNote: '按会话存档来源（kind chat_archive）的密钥签名',
    description:
      '企业自建的会话存档程序（sidecar）把解密后的消息批量推送过来（每批最多500条）。`X-Lifeline-Source` 为来源代码，签名同业务事件。客户的 agree/disagree 消息记录其存档同意状态；未同意的客户的消息不读取、不保存内容。只读取客户说的话：命中意向信号（如询问价格、要求试听）即加分并重算线索评分，升为A级时按规则改派并通知主管。同一消息编号重复推送只计一次。',
    headers: [
      { name: 'X-Lifeline-Source', required: true, description: '会话存档来源的代码' },
      { name: 'X-Lifeline-Timestamp', required: true, description: 'Unix 秒；与服务器时间相差超过 ±5 分钟即拒绝' },
      { name: 'X-Lifeline-Signature', required: true, description: 'hex HMAC-SHA256(来源密钥, `${timestamp}.${原始请求体}`)' },
    ],
    body: json(chatMessagesSchema, {
      messages: [{ msgId: '1580000000001_abc', from: 'wmAbCdEf', to: ['zhangmin'], time: 1768442400000, type: 'text', text: '学费多少钱？想先试听一节' }],
    }),
    success: ok('`{used, no_consent, unmatched, consent, from_rep, duplicate, signals}`：各状态的消息数与命中的信号数'),
    errors: [400, 401, 404, 413, 415],
  },
  {
    method: 'get',
    path: '/api/signals/settings',
    tag: 'routing',
    summary: '意向信号设置 Intent-signal settings',
    auth: 'session',
    roles: 'signed-in',
    success: ok('`{settings:{classes:[{name, phrases, points}], staticShare, halfLifeHours, chatRetentionDays, alarmSupervisorOnA}, defaults}`'),
    errors: [],
  },
  {
    method: 'put',
    path: '/api/signals/settings',
    tag: 'routing',
    summary: '保存意向信号设置 Save intent-signal settings',
    auth: 'session',
    roles: ['admin'],
    description: '任意字段；逐项审计。修改静态因素占比或半衰期会立即重算所有有效线索的评分。',
    body: json(signalSettingsPatchSchema, { staticShare: 0.4, halfLifeHours: 72 }),
    success: ok('`{settings, changed, defaults, recomputed:{checked, changed}}`'),
    errors: [403],
  },
  {
    method: 'get',
    path: '/api/leads/{id}/signals',
    tag: 'leads',
    summary: '线索的意向信号 A lead’s intent signals',
    auth: 'session',
    roles: 'signed-in',
    rolesNote: '范围内的线索',
    success: ok('`{leadId, halfLifeHours, items:[{id, name, phrase, origin, originLabel, at, ago, points, pointsNow}]}`'),
    errors: [404],
  },
];
