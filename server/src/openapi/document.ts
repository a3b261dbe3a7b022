import { z } from 'zod';
import { idSchema, ROLE_LABELS } from '@lifeline/shared';
import { requestJsonSchema, type JsonSchema } from './json-schema';
import { WEBHOOK_EVENTS, WEBHOOK_EVENT_LABELS, type WebhookEvent } from '@lifeline/shared/src/integrations';
import { webhookPayloadSchema } from '../integrations/webhook-payload';
import { ROUTE_DOCS } from './routes';
import { TAGS, type ErrorStatus, type RouteDoc, type SuccessDoc } from './route-doc';
import { ERROR_RESPONSES } from './errors';

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, Operation>> };
export type Operation = Record<string, unknown>;

const AUTH_LABELS: Record<RouteDoc['auth'], string> = {
  none: '无需登录',
  session: '需要登录（Authorization: Bearer 会话令牌）',
  intake: '渠道凭证（X-Intake-Key 或抖音签名）',
  'platform-callback': '平台签名回调（企业微信/钉钉加解密）',
  'signed-link': '签名链接（链接本身即凭证）',
  partner: '合作方密钥（X-Partner-Key，创建合作方时返回一次）',
  'signed-request': 'HMAC 签名请求（X-Lifeline-Timestamp + X-Lifeline-Signature，见 docs/integrations.md）',
};

/** Routes the app serves under this configuration: demo-only ones exist only with LIFELINE_DEMO. */
function servedRouteDocs(opts: { demo: boolean }): RouteDoc[] {
  return ROUTE_DOCS.filter((r) => opts.demo || !r.demoOnly);
}

export function buildOpenApiDocument(opts: { demo: boolean }): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of servedRouteDocs(opts)) {
    (paths[route.path] ??= {})[route.method] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lifeline API',
      version: '0.1.0',
      description: '线索 CRM 的 HTTP 接口。约定（错误、幂等、软删除、范围、脱敏、分页、时间、限制）见 docs/api.md；可读版本见 /api/docs。',
    },
    servers: [{ url: '/' }],
    tags: TAGS.map((t) => ({ name: t.name, description: t.label })),
    paths,
    webhooks: webhookDocs(),
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: '登录接口返回的会话令牌（HS256，默认 12 小时）' },
        intakeKey: { type: 'apiKey', in: 'header', name: 'X-Intake-Key', description: '创建渠道时返回一次的接入密钥' },
        partnerKey: { type: 'apiKey', in: 'header', name: 'X-Partner-Key', description: '创建合作方时返回一次的合作方密钥' },
      },
      schemas: { ErrorBody: ERROR_BODY_SCHEMA },
      headers: { 'X-Request-Id': { description: '请求编号（可由调用方传入），出现在日志和 500 的提示中', schema: { type: 'string' } } },
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, e]) => [
          responseName(Number(status) as ErrorStatus),
          {
            description: e.description,
            headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' }, example: { error: { code: e.code, message: e.example } } } },
          },
        ]),
      ),
    },
  };
}

const ERROR_BODY_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: '机器可读的错误代码，如 invalid_input、forbidden、conflict' },
        message: { type: 'string', description: '给人看的中文说明，可直接展示' },
        details: { description: '可选：如校验失败时的 `[{path, message}]`' },
      },
    },
  },
};

const responseName = (status: ErrorStatus) => `Error${status}`;

function operationOf(route: RouteDoc): Operation {
  const parameters = [...pathParameters(route), ...queryParameters(route), ...headerParameters(route)];
  return {
    operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    tags: [route.tag],
    summary: route.summary,
    description: [route.description, `权限：${rolesText(route)}。`, `认证：${AUTH_LABELS[route.auth]}。`].filter(Boolean).join('\n\n'),
    'x-roles': route.roles,
    ...(route.rolesNote ? { 'x-roles-note': route.rolesNote } : {}),
    ...(route.demoOnly ? { 'x-demo-only': true } : {}),
    ...(route.routerPath ? { 'x-router-path': route.routerPath } : {}),
    security: securityOf(route),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: requestBodyOf(route.body) } : {}),
    responses: responsesOf(route),
  };
}

function rolesText(route: Pick<RouteDoc, 'roles' | 'rolesNote'>): string {
  const who =
    route.roles === 'anyone' ? '任何人' : route.roles === 'signed-in' ? '所有已登录用户' : route.roles.map((r) => `${ROLE_LABELS[r]}（${r}）`).join('、');
  return route.rolesNote ? `${who}；${route.rolesNote}` : who;
}

function securityOf(route: RouteDoc): Record<string, string[]>[] {
  if (route.auth === 'session') return [{ bearerAuth: [] }];
  if (route.auth === 'intake') return [{ intakeKey: [] }, {}]; // Douyin channels sign instead of sending the key
  if (route.auth === 'partner') return [{ partnerKey: [] }];
  return [];
}

function pathParameters(route: RouteDoc): Operation[] {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
    const own = route.pathParams?.[name];
    return {
      name,
      in: 'path',
      required: true,
      ...(own?.description ? { description: own.description } : {}),
      schema: requestJsonSchema(own?.schema ?? idSchema),
    };
  });
}

function queryParameters(route: RouteDoc): Operation[] {
  if (!route.query) return [];
  const object = requestJsonSchema(route.query);
  const required = new Set((object.required as string[] | undefined) ?? []);
  return Object.entries((object.properties ?? {}) as Record<string, JsonSchema>).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

function headerParameters(route: RouteDoc): Operation[] {
  return (route.headers ?? []).map((h) => ({
    name: h.name,
    in: 'header',
    required: h.required,
    description: h.description,
    schema: requestJsonSchema(h.schema ?? z.string()),
  }));
}

function requestBodyOf(body: NonNullable<RouteDoc['body']>): Operation {
  if (body.kind === 'raw') {
    return { required: true, description: body.description, content: { [body.contentType]: { schema: {} } } };
  }
  return {
    required: true,
    content: { 'application/json': { schema: requestJsonSchema(body.schema), ...(body.example !== undefined ? { example: body.example } : {}) } },
  };
}

/** The statuses a route can answer with: its own, plus those that follow from how it is called. */
function errorStatusesOf(route: RouteDoc): ErrorStatus[] {
  const all = new Set<ErrorStatus>(route.errors);
  if (route.auth === 'session') all.add(401);
  if (route.query || route.body || route.path.includes('{') || route.headers?.length) all.add(400);
  if (route.body?.kind === 'json') {
    all.add(413);
    all.add(415);
  }
  return [...all].sort((a, b) => a - b);
}

function responsesOf(route: RouteDoc): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const s of route.success) responses[String(s.status)] = successResponse(s);
  for (const status of errorStatusesOf(route)) responses[String(status)] = { $ref: `#/components/responses/${responseName(status)}` };
  return responses;
}

function successResponse(s: SuccessDoc): Record<string, unknown> {
  const headers: Record<string, unknown> = { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } };
  for (const h of s.headers ?? []) headers[h.name] = { description: h.description, schema: { type: 'string' } };
  return { description: s.description, headers, content: { [s.contentType ?? 'application/json']: { schema: {} } } };
}

/** What subscribers of outbound webhooks receive (OpenAPI 3.1 `webhooks`): one signed POST per event. */
function webhookDocs(): Record<string, Record<string, Operation>> {
  const schema = requestJsonSchema(webhookPayloadSchema);
  return Object.fromEntries(
    [...WEBHOOK_EVENTS, 'webhook.ping'].map((type) => [
      type,
      {
        post: {
          summary: type === 'webhook.ping' ? '测试事件' : WEBHOOK_EVENT_LABELS[type as WebhookEvent],
          description:
            '签名：`X-Lifeline-Signature` = hex HMAC-SHA256(订阅密钥, `${X-Lifeline-Timestamp}.${原始请求体}`)；另有 `X-Lifeline-Event`（事件类型）和 `X-Lifeline-Delivery`（发送记录编号）。2xx 表示收到；其他状态或 5 秒无响应视为失败，按 10 秒、30 秒、2 分钟、10 分钟、30 分钟、1、3、6 小时重试；连续 10 次失败自动暂停。同一事件的 `id` 在重试和重放时不变，请据此去重。手机号一律脱敏。',
          requestBody: { required: true, content: { 'application/json': { schema } } },
          responses: { '2XX': { description: '已收到' } },
        },
      },
    ]),
  );
}
