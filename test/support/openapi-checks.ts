import type Koa from 'koa';
import type Router from '@koa/router';

export type Doc = { openapi: string; info: any; tags: { name: string }[]; paths: Record<string, Record<string, any>>; components: any };

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * The routes a Koa app really serves, as "METHOD path": every layer with methods in the stacks of the routers
 * mounted on the app (a router mounted inside another has its layers copied, prefixed, into the parent's stack).
 * HEAD is Koa's automatic companion of GET; layers without methods are `router.use` middleware, not routes.
 */
export function servedRoutes(koa: Koa): string[] {
  const out = new Set<string>();
  for (const mw of koa.middleware as Array<{ router?: Router }>) {
    for (const layer of mw.router?.stack ?? []) {
      for (const m of layer.methods) if (m !== 'HEAD') out.add(`${m} ${String(layer.path)}`);
    }
  }
  return [...out].sort();
}

/** The same for a document: `/api/leads/{id}` is the router's `/api/leads/:id` (or the operation's x-router-path). */
export function documentedRoutes(doc: Doc): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      out.push(`${method.toUpperCase()} ${op['x-router-path'] ?? path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
  }
  return out.sort();
}

export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined),
      doc,
    );
}

/** Every `$ref` in the document, with where it was found. */
export function allRefs(node: unknown, at = '#'): { at: string; ref: string }[] {
  if (!node || typeof node !== 'object') return [];
  const own = typeof (node as { $ref?: unknown }).$ref === 'string' ? [{ at, ref: (node as { $ref: string }).$ref }] : [];
  return own.concat(Object.entries(node).flatMap(([k, v]) => allRefs(v, `${at}/${k}`)));
}

/** Problems with the shape of an OpenAPI 3.1 document (empty when well-formed), as readable lines. */
export function shapeProblems(doc: Doc): string[] {
  const problems: string[] = [];
  const say = (where: string, what: string) => problems.push(`${where}: ${what}`);
  if (doc.openapi !== '3.1.0') say('openapi', `is ${doc.openapi}`);
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') say('info', 'needs title and version');
  const tags = new Set(doc.tags.map((t) => t.name));
  const schemes = new Set(Object.keys(doc.components?.securitySchemes ?? {}));
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) say(path, 'path must start with /');
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!HTTP_METHODS.includes(method)) say(where, 'not an HTTP method');
      if (typeof op.operationId !== 'string' || operationIds.has(op.operationId)) say(where, `operationId ${op.operationId} missing or repeated`);
      operationIds.add(op.operationId);
      if (!op.tags?.every((t: string) => tags.has(t))) say(where, `undeclared tag ${op.tags}`);
      const params: any[] = op.parameters ?? [];
      const seen = new Set<string>();
      for (const p of params) {
        if (!['path', 'query', 'header', 'cookie'].includes(p.in) || typeof p.name !== 'string' || typeof p.schema !== 'object')
          say(where, `bad parameter ${JSON.stringify(p)}`);
        if (seen.has(`${p.in}:${p.name}`)) say(where, `parameter ${p.name} repeated`);
        seen.add(`${p.in}:${p.name}`);
        if (p.in === 'path' && (p.required !== true || !templated.includes(p.name))) say(where, `path parameter ${p.name} not in template or not required`);
      }
      for (const name of templated) if (!params.some((p) => p.in === 'path' && p.name === name)) say(where, `{${name}} undeclared`);
      const statuses = Object.keys(op.responses ?? {});
      if (!statuses.length) say(where, 'no responses');
      for (const s of statuses) {
        if (!/^[1-5]\d\d$/.test(s)) say(where, `response key ${s}`);
        const res: any = op.responses[s].$ref ? resolvePointer(doc, op.responses[s].$ref) : op.responses[s];
        if (typeof res?.description !== 'string') say(where, `response ${s} has no description`);
      }
      if (op.requestBody && !Object.keys(op.requestBody.content ?? {}).length) say(where, 'request body without content');
      for (const req of op.security ?? []) for (const name of Object.keys(req)) if (!schemes.has(name)) say(where, `unknown security scheme ${name}`);
    }
  }
  return problems;
}
