import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, TEST_CONFIG } from '../support/harness';
import { createApp } from '../../server/src/app';
import { buildOpenApiDocument } from '../../server/src/openapi/document';
import { allRefs, documentedRoutes, resolvePointer, servedRoutes, shapeProblems, type Doc } from '../support/openapi-checks';

const ADMIN = '系统管理员';

describe('OpenAPI document and docs page [sqlite]', () => {
  const h = new Harness('sqlite', 20);
  let doc: Doc;
  const bodySchema = (path: string, method: string) => doc.paths[path][method].requestBody.content['application/json'].schema;
  const bodyExample = (path: string, method: string) => structuredClone(doc.paths[path][method].requestBody.content['application/json'].example);
  const queryParam = (path: string, name: string) => doc.paths[path].get.parameters.find((p: any) => p.in === 'query' && p.name === name);

  beforeAll(async () => {
    await h.start();
    const r = await h.req('GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    doc = r.body;
  });
  afterAll(() => h.stop());

  it('is served without a session as a well-formed OpenAPI 3.1 document', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(shapeProblems(doc)).toEqual([]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.ErrorBody.properties.error.required).toEqual(['code', 'message']);
  });

  it('every $ref resolves', () => {
    const refs = allRefs(doc);
    expect(refs.length).toBeGreaterThan(100);
    expect(refs.filter((r) => resolvePointer(doc, r.ref) === undefined)).toEqual([]);
  });

  it('documents every route the app serves and serves every route it documents, in demo mode and in production', () => {
    // The app under test runs in demo mode (dev-login, the local console); production serves the rest.
    expect(documentedRoutes(doc)).toEqual(servedRoutes(createApp({ config: TEST_CONFIG, ds: h.ds, clock: h.clock }).koa));
    const production = createApp({ config: { ...TEST_CONFIG, demo: false }, ds: h.ds, clock: h.clock }).koa;
    const productionDoc = buildOpenApiDocument({ demo: false }) as unknown as Doc;
    expect(documentedRoutes(productionDoc)).toEqual(servedRoutes(production));
    expect(productionDoc.paths['/api/auth/dev-login']).toBeUndefined();
  });

  it('every operation documented as needing a session answers 401 without one; open GETs do not', async () => {
    const fill = (path: string) =>
      path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'file' ? 'index.html' : name === 'externalUserId' ? 'wmAbc' : '1'));
    const wrong: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        // A session, or the partner API's own key: both answer 401 without it.
        const needsSession = (op.security ?? []).some((s: object) => 'bearerAuth' in s || 'partnerKey' in s);
        if (!needsSession && method !== 'get') continue;
        if (!needsSession && op.parameters?.some((p: any) => p.required && p.in !== 'path')) continue;
        const r = await h.req(method.toUpperCase(), fill(path));
        if (needsSession !== (r.status === 401)) wrong.push(`${method.toUpperCase()} ${path} → ${r.status}`);
        if (needsSession && !op.responses['401']) wrong.push(`${method.toUpperCase()} ${path} does not document 401`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('GET operations documented as closed to a role answer that role 403', async () => {
    const wrong: string[] = [];
    const checked: string[] = [];
    const asRole = { rep: '张敏', supervisor: '李静', ops: '黄蓉', director: '马骏' } as const;
    for (const [path, item] of Object.entries(doc.paths)) {
      const op = item.get;
      if (!op || !Array.isArray(op['x-roles']) || path.includes('{') || op.parameters?.some((p: any) => p.required)) continue;
      for (const [role, name] of Object.entries(asRole)) {
        if (op['x-roles'].includes(role)) continue;
        const r = await h.req('GET', path, { as: name });
        checked.push(`${role} GET ${path}`);
        if (r.status !== 403) wrong.push(`${role} GET ${path} → ${r.status}`);
      }
    }
    expect(checked).toContain('rep GET /api/routing/queue');
    expect(checked.length).toBeGreaterThanOrEqual(8);
    expect(wrong).toEqual([]);
  });

  it('every operation documented with a JSON body answers 415 to another type and 413 past the body limit', async () => {
    const fill = (path: string) => path.replace(/\{(\w+)\}/g, '1');
    const wrong: string[] = [];
    const huge = JSON.stringify({ conclusion: 'x'.repeat(70 * 1024) }); // over TEST_CONFIG.bodyLimit (64kb)
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.requestBody?.content['application/json']?.schema?.properties) continue;
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.responses['415'] || !op.responses['413']) wrong.push(`${where} does not document 413/415`);
        const asText = await h.req(method.toUpperCase(), fill(path), { as: ADMIN, raw: 'hello', headers: { 'content-type': 'text/plain' } });
        if (asText.status !== 415) wrong.push(`${where} text/plain → ${asText.status}`);
        const tooBig = await h.req(method.toUpperCase(), fill(path), { as: ADMIN, raw: huge });
        if (tooBig.status !== 413) wrong.push(`${where} ${huge.length} bytes → ${tooBig.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('a follow-up conclusion one character over the documented limit gets the documented 400 and writes nothing', async () => {
    const limit = bodySchema('/api/followups', 'post').properties.conclusion.maxLength;
    expect(limit).toBe(100);
    expect(doc.paths['/api/followups'].post.responses['400'].$ref).toBe('#/components/responses/Error400');
    const before = await h.count('followup');
    const tooLong = { ...bodyExample('/api/followups', 'post'), clientRequestId: 'openapi-limit-1', conclusion: '好'.repeat(limit + 1) };
    const r = await h.req('POST', '/api/followups', { as: ADMIN, body: tooLong });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_input', message: `关键结论：关键结论最多${limit}个字` });
    expect(await h.count('followup')).toBe(before);
    const atLimit = await h.req('POST', '/api/followups', { as: ADMIN, body: { ...tooLong, conclusion: '好'.repeat(limit) } });
    expect(atLimit.body).toMatchObject({ conclusion: '好'.repeat(limit) });
    expect(atLimit.status).toBe(201);
  });

  it('documented limits on other bodies and queries are the ones the server applies', async () => {
    const name = bodySchema('/api/leads', 'post').properties.name.maxLength;
    const lead = bodyExample('/api/leads', 'post');
    expect((await h.req('POST', '/api/leads', { as: ADMIN, body: { ...lead, name: '王'.repeat(name + 1) } })).status).toBe(400);
    expect(bodySchema('/api/leads', 'post').additionalProperties).toBe(false);
    expect((await h.req('POST', '/api/leads', { as: ADMIN, body: { ...lead, nickname: 'x' } })).body.error.message).toContain('不支持的字段');

    expect(bodySchema('/api/leads/{id}', 'patch').minProperties).toBe(1);
    expect((await h.req('PATCH', '/api/leads/1', { as: ADMIN, body: {} })).status).toBe(400);

    const pageSize = queryParam('/api/leads', 'pageSize').schema.maximum;
    expect((await h.req('GET', `/api/leads?pageSize=${pageSize + 1}`, { as: ADMIN })).status).toBe(400);
    expect((await h.req('GET', `/api/leads?pageSize=${pageSize}`, { as: ADMIN })).body.pageSize).toBe(pageSize);

    // Restated query schemas (doc-schemas.ts): required and limits hold on the real routes.
    // phone or leadId, exactly one (the description says so; neither alone is required).
    const phone = queryParam('/api/customers/lookup', 'phone');
    expect(phone.required).toBeFalsy();
    expect(queryParam('/api/customers/lookup', 'leadId').required).toBeFalsy();
    expect((await h.req('GET', '/api/customers/lookup', { as: ADMIN })).status).toBe(400);
    expect((await h.req('GET', `/api/customers/lookup?phone=${'1'.repeat(phone.schema.maxLength + 1)}`, { as: ADMIN })).status).toBe(400);
    expect((await h.req('GET', '/api/customers/lookup?phone=13915441234', { as: ADMIN })).status).toBe(200);
    expect(queryParam('/api/script-picks', 'leadId').required).toBe(true);
    expect((await h.req('GET', '/api/script-picks', { as: ADMIN })).status).toBe(400);
  });

  it('the documented examples are accepted with the documented success status', async () => {
    const created = await h.req('POST', '/api/leads', { as: ADMIN, body: bodyExample('/api/leads', 'post') });
    expect(created.status).toBe(201);
    expect(doc.paths['/api/leads'].post.responses).toHaveProperty('201');
    const patched = await h.req('PATCH', `/api/leads/${created.body.lead.id}`, { as: ADMIN, body: bodyExample('/api/leads/{id}', 'patch') });
    expect(patched.status).toBe(200);
    const spend = await h.req('PUT', '/api/metrics/channel-spend', { as: ADMIN, body: bodyExample('/api/metrics/channel-spend', 'put') });
    expect(spend.status).toBe(200);
    const dryRun = await h.req('POST', '/api/routing/dry-run', { as: ADMIN, body: bodyExample('/api/routing/dry-run', 'post') });
    expect(dryRun.status).toBe(200);
    const followup = await h.req('POST', '/api/followups', { as: ADMIN, body: bodyExample('/api/followups', 'post') });
    expect(followup.status).toBe(201);
    const script = await h.req('POST', '/api/scripts', { as: ADMIN, body: bodyExample('/api/scripts', 'post') });
    expect(script.status).toBe(201);
  });

  it('POST /api/followups documents the Idempotency-Key header and the replay it gives', async () => {
    const op = doc.paths['/api/followups'].post;
    const header = op.parameters.find((p: any) => p.in === 'header' && p.name === 'Idempotency-Key');
    expect(header.schema).toMatchObject({ minLength: 8, maxLength: 64 });
    expect(op.responses['200'].headers).toHaveProperty('Idempotent-Replayed');
    const { clientRequestId: _inBody, ...body } = bodyExample('/api/followups', 'post');
    const send = () => h.req('POST', '/api/followups', { as: ADMIN, body, headers: { 'Idempotency-Key': 'openapi-example-1' } });
    expect((await send()).status).toBe(201);
    const replay = await send();
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const short = await h.req('POST', '/api/followups', { as: ADMIN, body, headers: { 'Idempotency-Key': 'x'.repeat(header.schema.minLength - 1) } });
    expect(short.status).toBe(400);
  });

  it('the docs page is self-contained HTML listing every operation with its limits and errors', async () => {
    const r = await h.req('GET', '/api/docs');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    const html = r.text;
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html.match(/(?:src|href)="https?:/g) ?? []).toEqual([]);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) expect(html).toContain(`id="${op.operationId}"`);
      expect(html).toContain(path.replace(/&/g, '&#38;'));
    }
    const followup = html.slice(html.indexOf('id="postApiFollowups"'), html.indexOf('</article>', html.indexOf('id="postApiFollowups"')));
    expect(followup).toContain('<code>conclusion</code>');
    expect(followup).toContain('最多 100 个字');
    expect(followup).toContain('Idempotency-Key');
    for (const status of ['201', '200', '400', '401', '403', '404', '409', '413', '415']) expect(followup).toContain(`>${status}</span>`);
  });
});
