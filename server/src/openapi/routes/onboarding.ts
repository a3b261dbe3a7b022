import { z } from 'zod';
import { confirmSchema, linkLoginSchema } from '../../onboarding/routes';
import { json, ok, type RouteDoc } from '../route-doc';

/** Onboarding (docs/onboarding.md): one-time sign-in links, the first-run checklist, a test alarm. */
export const onboardingRoutes: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/auth/link',
    tag: 'auth',
    summary: '一次性链接登录 Sign in with a one-time link',
    description:
      '`npm run company:create` 或管理员生成的登录链接（24 小时内有效，只能用一次）换取会话。在企业微信 / 钉钉内打开时带上平台登录码（wecomCode / dingtalkAuthCode），同时把该平台账号绑定到此用户。',
    auth: 'none',
    roles: 'anyone',
    body: json(linkLoginSchema, { token: 'V2h5IGFyZSB5b3UgcmVhZGluZyB0aGlzPw' }),
    success: ok('`{token, user}`'),
    errors: [401, 403, 409, 502],
  },
  {
    method: 'post',
    path: '/api/users/{id}/sign-in-link',
    tag: 'auth',
    summary: '生成登录链接 Issue a sign-in link',
    auth: 'session',
    roles: ['admin'],
    description: '为本公司在职用户生成一次性登录链接（只显示这一次），审计记录。',
    body: json(z.object({}).strict(), {}),
    success: [{ status: 201, description: '`{token, url, expiresAt}`' }],
    errors: [404, 409],
  },
  {
    method: 'get',
    path: '/api/onboarding/checklist',
    tag: 'system',
    summary: '开通清单 First-run checklist',
    auth: 'session',
    roles: ['admin'],
    description: '平台凭据、通讯录同步、中心与小组、线索池、提醒阈值、测试提醒：每项 `{key, label, done, detail, action}`，都从实时数据读出。',
    success: ok('`{items:[{key, label, done, detail, action}], done, total}`'),
    errors: [],
  },
  {
    method: 'post',
    path: '/api/onboarding/confirm',
    tag: 'system',
    summary: '确认清单项 Confirm a checklist item',
    auth: 'session',
    roles: ['admin'],
    body: json(confirmSchema, { item: 'alarmThresholdsReviewed' }),
    success: ok('the checklist'),
    errors: [],
  },
  {
    method: 'post',
    path: '/api/onboarding/test-alarm',
    tag: 'system',
    summary: '发送测试提醒 Send a test alarm to yourself',
    auth: 'session',
    roles: ['admin'],
    description: '通过你的企业微信 / 钉钉（本公司已绑定且你有平台账号时）或本地控制台发一条测试提醒；结果记入清单。',
    body: json(z.object({}).strict(), {}),
    success: ok('`{delivered, channel}`'),
    errors: [502],
  },
];
