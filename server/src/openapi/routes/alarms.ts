import { alarmSettingsPatchSchema, scriptCreateSchema, scriptUpdateSchema } from '@lifeline/shared';
import { json, ok, type RouteDoc } from '../route-doc';
import { consoleQueryDoc, dingtalkCallbackQueryDoc, scriptPicksQueryDoc, tapQueryDoc, wecomCallbackQueryDoc } from '../doc-schemas';

const EDITORS = ['ops', 'director', 'admin'] as const;

export const scriptRoutes: RouteDoc[] = [
  { method: 'get', path: '/api/scripts', tag: 'scripts', summary: '话术库 Script library', auth: 'session', roles: 'signed-in',
    description: '首次调用时装入 12 条默认话术。', success: ok('`{items}`'), errors: [] },
  { method: 'post', path: '/api/scripts', tag: 'scripts', summary: '新增话术 Add a script', auth: 'session', roles: EDITORS,
    description: '正文只能使用变量 {称呼} {课程} {顾问} {年级} {城市}；审计。',
    body: json(scriptCreateSchema, { category: '邀约试听', title: '试听邀约', text: '{称呼}您好，本周六有{课程}试听，给您留个位置？' }),
    success: ok('话术', 201), errors: [403] },
  { method: 'patch', path: '/api/scripts/{id}', tag: 'scripts', summary: '修改话术 Edit a script', auth: 'session', roles: EDITORS,
    body: json(scriptUpdateSchema, { title: '试听邀约（周末）' }), success: ok('话术'), errors: [403, 404] },
  { method: 'delete', path: '/api/scripts/{id}', tag: 'scripts', summary: '删除话术（软删除） Remove a script', auth: 'session',
    roles: EDITORS, success: ok('话术'), errors: [403, 404, 409] },
  { method: 'post', path: '/api/scripts/{id}/restore', tag: 'scripts', summary: '恢复话术 Restore a script', auth: 'session',
    roles: EDITORS, success: ok('话术'), errors: [403, 404, 409] },
  { method: 'get', path: '/api/script-picks', tag: 'scripts', summary: '我选中但未发送的话术 My unsent script picks', auth: 'session',
    roles: 'signed-in', query: scriptPicksQueryDoc, success: ok('`{items:[{id, scriptId, text, pickedAt}]}`'), errors: [] },
  { method: 'post', path: '/api/script-picks/{id}/sent', tag: 'scripts', summary: '标记话术已发送 Mark a pick sent', auth: 'session',
    roles: 'signed-in', rolesNote: '仅选中它的顾问本人', description: '幂等（`alreadySent`）；计一次发送；审计。',
    success: ok('`{id, sentAt, alreadySent}`'), errors: [404] },
];

export const alarmRoutes: RouteDoc[] = [
  { method: 'get', path: '/api/alarms/settings', tag: 'alarms', summary: '提醒设置 Alarm settings', auth: 'session',
    roles: ['supervisor', 'ops', 'director', 'admin'], success: ok('`{settings, defaults}`'), errors: [403] },
  { method: 'put', path: '/api/alarms/settings', tag: 'alarms', summary: '修改提醒设置 Change alarm settings', auth: 'session',
    roles: ['admin'], description: '逐字段审计（`alarms.<字段>`），并在同一调用中重排所有未结线索的提醒（回答中的 `rearmed`）。',
    body: json(alarmSettingsPatchSchema, { quietStart: '21:30', quietEnd: '08:00' }), success: ok('`{settings, defaults, rearmed}`'), errors: [403] },
  { method: 'get', path: '/wecom/callback', tag: 'alarms', summary: '企业微信回调 URL 验证 WeCom URL check', auth: 'platform-callback',
    roles: 'anyone', query: wecomCallbackQueryDoc, success: [{ status: 200, description: '解密后的 echostr', contentType: 'text/plain' }],
    errors: [400, 401, 404] },
  { method: 'post', path: '/wecom/callback', tag: 'alarms', summary: '企业微信事件回调 WeCom events', auth: 'platform-callback',
    roles: 'anyone', query: wecomCallbackQueryDoc, description: '卡片按钮点击；重试只处理一次。',
    body: { kind: 'raw', contentType: 'text/xml', description: '企业微信加密 XML' },
    success: [{ status: 200, description: '空回答', contentType: 'text/plain' }], errors: [400, 401, 404, 413] },
  { method: 'post', path: '/dingtalk/callback', tag: 'alarms', summary: '钉钉事件回调 DingTalk events', auth: 'platform-callback',
    roles: 'anyone', query: dingtalkCallbackQueryDoc, body: { kind: 'raw', contentType: 'application/json', description: '`{encrypt}`' },
    success: ok('加密的 `success`：`{msg_signature, timeStamp, nonce, encrypt}`'), errors: [400, 401, 404, 413] },
  { method: 'post', path: '/dingtalk/card-callback', tag: 'alarms', summary: '钉钉互动卡片回调 DingTalk card taps', auth: 'platform-callback',
    roles: 'anyone', rolesNote: '只接受本系统签发的 outTrackId、该卡片的接收人，且在 ALARM_TAP_LINK_TTL_HOURS 内；同一卡片同一按钮只处理一次', body: { kind: 'raw', contentType: 'application/json', description: '钉钉卡片回调 JSON' },
    success: ok('`{}`'), errors: [400, 403, 404, 413] },
  { method: 'get', path: '/alarms/tap', tag: 'alarms', summary: '钉钉工作通知按钮链接 Signed tap link', auth: 'signed-link', roles: 'anyone',
    query: tapQueryDoc, success: [{ status: 200, description: '处理结果页面', contentType: 'text/html' }], errors: [403, 404] },
  { method: 'get', path: '/console/', tag: 'alarms', summary: '本地提醒控制台 Local alarm console', auth: 'none', roles: 'anyone', demoOnly: true,
    query: consoleQueryDoc, success: [{ status: 200, description: '每人一个标签页的提醒消息', contentType: 'text/html' }], errors: [] },
  { method: 'post', path: '/console/tap', tag: 'alarms', summary: '控制台按钮 Console tap', auth: 'none', roles: 'anyone', demoOnly: true,
    body: { kind: 'raw', contentType: 'application/x-www-form-urlencoded', description: '`m`=消息编号，`k`=按钮键' },
    success: [{ status: 303, description: '回到控制台', contentType: 'text/html' }], errors: [404, 413] },
];
