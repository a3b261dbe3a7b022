import { z } from 'zod';
import { dingtalkLoginSchema, externalUserIdSchema, signatureQuerySchema, voiceDraftSchema, wecomLoginSchema } from '../../sidebar/schemas';
import { json, ok, type RouteDoc } from '../route-doc';

const draft = '`{transcript, draft:{action, conclusion, nextStep:{when, at, iso, label, action}, by}}`';

export const sidebarRoutes: RouteDoc[] = [
  { method: 'get', path: '/sidebar', tag: 'sidebar', summary: '侧边栏入口 Sidebar (redirect)', auth: 'none', roles: 'anyone',
    success: [{ status: 302, description: '跳转到 /sidebar/', contentType: 'text/html' }], errors: [] },
  { method: 'get', path: '/sidebar/{file}', routerPath: String(/^\/sidebar\/(.*)$/), tag: 'sidebar', summary: '侧边栏 H5 文件 Sidebar H5 build',
    auth: 'none', roles: 'anyone', description: '`/sidebar/` 为页面；带哈希的资源缓存一年，可 gzip。',
    pathParams: { file: { schema: z.string(), description: '文件路径（可含 /），空为 index.html' } },
    success: [{ status: 200, description: '文件', contentType: '*/*' }], errors: [404] },
  { method: 'get', path: '/api/sidebar/config', tag: 'sidebar', summary: '侧边栏配置 Sidebar config', auth: 'none', roles: 'anyone',
    success: ok('演示标志、企业微信 corpId/agentId、钉钉 clientId/corpId、语音开关（无密钥）'), errors: [] },
  { method: 'post', path: '/api/auth/wecom', tag: 'auth', summary: '企业微信登录 WeCom sign-in', auth: 'none', roles: 'anyone',
    body: json(wecomLoginSchema), success: ok('`{token, user}`'), errors: [403, 409, 502] },
  { method: 'post', path: '/api/auth/dingtalk', tag: 'auth', summary: '钉钉登录 DingTalk sign-in', auth: 'none', roles: 'anyone',
    body: json(dingtalkLoginSchema), success: ok('`{token, user}`'), errors: [403, 409, 502] },
  { method: 'get', path: '/api/wecom/jsapi-signature', tag: 'sidebar', summary: 'JS-SDK 签名 JS-SDK signatures', auth: 'session',
    roles: 'signed-in', query: signatureQuerySchema, success: ok('`{corpId, agentId, timestamp, nonceStr, signature, agentSignature}`'),
    errors: [409, 502] },
  { method: 'get', path: '/api/wecom/external-contact/{externalUserId}', tag: 'sidebar', summary: '聊天对象的手机号 External contact',
    auth: 'session', roles: 'signed-in', pathParams: { externalUserId: { schema: externalUserIdSchema, description: '企业微信外部联系人 ID' } },
    success: ok('`{name, remark, phones[]}`（本人的备注手机号在前；按范围看的角色只得到本人备注的号码和自己可见客户的号码；不可看号码的角色得到打码号码）'), errors: [404, 409, 502] },
  { method: 'post', path: '/api/sidebar/voice-draft', tag: 'sidebar', summary: '转写文本→跟进草稿 Transcript to draft', auth: 'session',
    roles: 'signed-in', body: json(voiceDraftSchema, { transcript: '已经电话沟通了，家长说预算有限，下周三再联系' }), success: ok(draft), errors: [] },
  { method: 'post', path: '/api/sidebar/voice', tag: 'sidebar', summary: '录音→转写→草稿 Audio to draft', auth: 'session', roles: 'signed-in',
    description: '请求体为录音本身（webm/ogg/wav/mp3/m4a，≤ 4 MB）。未配置语音转写时 409，转写服务失败 502。',
    body: { kind: 'raw', contentType: 'audio/*', description: '录音' }, success: ok(draft), errors: [400, 409, 413, 415, 502] },
];
