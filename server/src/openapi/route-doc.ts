import type { z } from 'zod';
import type { Role } from '@lifeline/shared';

type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';

/** The error statuses the app answers with `{"error":{code,message,details?}}`. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 502 | 503;

/**
 * How a caller proves who it is: a session token (`Authorization: Bearer`), a channel's intake key or signature,
 * a chat platform's signed callback, a signed link, or nothing.
 */
type AuthKind = 'none' | 'session' | 'intake' | 'platform-callback' | 'signed-link' | 'signed-request' | 'partner';

/** Operation groups, in the order the docs page shows them. */
export const TAGS = [
  { name: 'auth', label: '登录与身份' },
  { name: 'directory', label: '人员、组织与词表' },
  { name: 'customers', label: '客户' },
  { name: 'leads', label: '线索' },
  { name: 'workbench', label: '待办、团队与设置' },
  { name: 'followups', label: '跟进' },
  { name: 'intake', label: '线索接入与导入' },
  { name: 'routing', label: '评分与分配' },
  { name: 'content', label: '按标签推送资料' },
  { name: 'scripts', label: '话术库' },
  { name: 'alarms', label: '提醒与平台回调' },
  { name: 'sidebar', label: '侧边栏' },
  { name: 'metrics', label: '数据看板' },
  { name: 'data-safety', label: '数据安全：撤销、快照与数据健康' },
  { name: 'integrations', label: '业务系统对接：事件接入、Webhook、合作方' },
  { name: 'system', label: '系统与文档' },
] as const;
type Tag = (typeof TAGS)[number]['name'];

interface HeaderDoc {
  name: string;
  required: boolean;
  description: string;
  schema?: z.ZodType;
}

export interface SuccessDoc {
  status: number;
  description: string;
  /** Default `application/json`. */
  contentType?: string;
  headers?: { name: string; description: string }[];
}

export type BodyDoc =
  | { kind: 'json'; schema: z.ZodType; example?: unknown }
  /** Bodies the route reads itself (files, audio, platform XML/JSON envelopes). */
  | { kind: 'raw'; contentType: string; description: string };

/** One HTTP route the app serves, as people calling it need to know it. */
export interface RouteDoc {
  method: HttpMethod;
  /** OpenAPI form: `/api/leads/{id}`. */
  path: string;
  /** The router's own path when it is not `path` with `:name` for `{name}` (a regular expression). */
  routerPath?: string;
  tag: Tag;
  summary: string;
  description?: string;
  auth: AuthKind;
  /** Who may call it: listed roles, any signed-in user, or anyone (open routes). */
  roles: readonly Role[] | 'signed-in' | 'anyone';
  /** What the role list cannot say (own leads only, subtree, company setting). */
  rolesNote?: string;
  /** Served only in demo mode and tests (LIFELINE_DEMO). */
  demoOnly?: boolean;
  /** Path parameters other than positive integer ids. */
  pathParams?: Record<string, { schema: z.ZodType; description?: string }>;
  query?: z.ZodType;
  headers?: HeaderDoc[];
  body?: BodyDoc;
  success: SuccessDoc[];
  /**
   * Errors this route gives for its own reasons. The generator adds what follows from its shape: 401 for session
   * routes, 400 for any input, 413/415 for JSON bodies.
   */
  errors: ErrorStatus[];
}

export const json = (schema: z.ZodType, example?: unknown): BodyDoc => ({ kind: 'json', schema, example });
export const ok = (description: string, status = 200): SuccessDoc[] => [{ status, description }];
