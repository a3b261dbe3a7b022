import { TAGS } from './route-doc';
import type { JsonSchema } from './json-schema';
import type { OpenApiDocument, Operation } from './document';
import { DOCS_PAGE_CSS } from './docs-page.css';

/** A body or parameter field as a row of the docs page. */
interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  rules: string[];
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Descriptions use `code` spans and nothing else. */
const inline = (s: string) =>
  esc(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\n\n/g, '<br>');

/**
 * The readable API reference, rendered on the server from the OpenAPI document itself (so the two cannot disagree):
 * one section per tag, one card per operation with its roles, parameters, body fields with their limits and the
 * errors it can give. Self-contained: no scripts, no fonts or styles from elsewhere.
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const ops = operationsByTag(doc);
  const nav = TAGS.filter((t) => ops.get(t.name)?.length)
    .map((t) => `<a href="#tag-${t.name}">${esc(t.label)}<span>${ops.get(t.name)!.length}</span></a>`)
    .join('');
  const sections = TAGS.filter((t) => ops.get(t.name)?.length)
    .map(
      (t) => `
<section id="tag-${t.name}"><h2>${esc(t.label)}</h2>
${ops
  .get(t.name)!
  .map(({ method, path, op }) => renderOperation(doc, method, path, op))
  .join('\n')}
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lifeline 接口文档</title><style>${DOCS_PAGE_CSS}</style></head>
<body><header><h1>Lifeline 接口文档</h1>
<p>错误一律为 <code>{"error":{"code","message","details?"}}</code>，message 是可直接展示的中文。「纯文本」字段不接受控制字符、零宽字符和方向控制字符；「最多 N 个字」按字符（Unicode 码点）计，一个汉字算一个字。时间、幂等、软删除、数据范围、手机号脱敏、分页和限制等约定见仓库中的 <code>docs/api.md</code>。
机器可读版本：<a href="/api/openapi.json">/api/openapi.json</a>（OpenAPI ${esc(doc.openapi)}）。</p>
<nav>${nav}</nav></header>
<main>${sections}</main></body></html>`;
}

function operationsByTag(doc: OpenApiDocument) {
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags as string[])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method, path, op });
    }
  }
  return byTag;
}

function renderOperation(doc: OpenApiDocument, method: string, path: string, op: Operation): string {
  const params = (op.parameters as Operation[] | undefined) ?? [];
  return `<article id="${esc(op.operationId)}">
<h3><span class="m m-${method}">${method.toUpperCase()}</span> <code class="path">${esc(path)}</code></h3>
<p class="summary">${esc(op.summary)}${op['x-demo-only'] ? ' <span class="badge">仅演示模式</span>' : ''}</p>
<p class="desc">${inline(String(op.description ?? ''))}</p>
${params.length ? fieldTable('参数', params.map(parameterRow), true) : ''}
${renderBody(op)}
${renderResponses(doc, op)}
</article>`;
}

const IN_LABELS: Record<string, string> = { path: '路径', query: '查询', header: '请求头' };

function parameterRow(p: Operation): FieldRow & { where: string } {
  const schema = p.schema as JsonSchema;
  const rules = rulesOf(schema);
  if (p.description) rules.push(String(p.description));
  return { name: String(p.name), where: IN_LABELS[String(p.in)] ?? String(p.in), type: typeOf(schema), required: p.required === true, rules };
}

function renderBody(op: Operation): string {
  const body = op.requestBody as { description?: string; content: Record<string, { schema: JsonSchema; example?: unknown }> } | undefined;
  if (!body) return '';
  const [[contentType, media]] = Object.entries(body.content);
  if (contentType !== 'application/json' || !media.schema.properties) {
    return `<h4>请求体 <code>${esc(contentType)}</code></h4><p>${inline(body.description ?? '')}</p>`;
  }
  const notes = [media.schema.minProperties ? '至少提供一个字段。' : '', media.schema.additionalProperties === false ? '不接受未列出的字段。' : ''].join('');
  const strict = notes ? `<p class="note">${notes}</p>` : '';
  const example = media.example === undefined ? '' : `<details><summary>示例</summary><pre>${esc(JSON.stringify(media.example, null, 2))}</pre></details>`;
  return `${fieldTable('请求体 <code>application/json</code>', objectRows(media.schema, ''), false)}${strict}${example}`;
}

function objectRows(schema: JsonSchema, prefix: string): FieldRow[] {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows: FieldRow[] = [];
  for (const [name, prop] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    const full = prefix + name;
    rows.push({ name: full, type: typeOf(prop), required: required.has(name), rules: rulesOf(prop) });
    const items = prop.items as JsonSchema | undefined;
    if (prop.properties) rows.push(...objectRows(prop, `${full}.`));
    else if (items?.properties) rows.push(...objectRows(items, `${full}[].`));
  }
  return rows;
}

function fieldTable(title: string, rows: (FieldRow & { where?: string })[], withWhere: boolean): string {
  const head = `<tr><th>名称</th>${withWhere ? '<th>位置</th>' : ''}<th>类型</th><th>必填</th><th>约束与说明</th></tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr><td data-label="名称"><code>${esc(r.name)}</code></td>${withWhere ? `<td data-label="位置">${esc(r.where)}</td>` : ''}` +
        `<td data-label="类型">${esc(r.type)}</td><td data-label="必填">${r.required ? '<b>必填</b>' : '可选'}</td>` +
        `<td data-label="约束">${r.rules.map(inline).join('；') || '—'}</td></tr>`,
    )
    .join('');
  return `<h4>${title}</h4><table>${head}${body}</table>`;
}

function renderResponses(doc: OpenApiDocument, op: Operation): string {
  const items = Object.entries(op.responses as Record<string, Operation>).map(([status, res]) => {
    const resolved = (res.$ref ? resolveRef(doc, String(res.$ref)) : res) as Operation;
    const cls = status.startsWith('2') || status.startsWith('3') ? 'ok' : 'err';
    const code = (resolved.content as Record<string, { example?: { error?: { code?: string } } }> | undefined)?.['application/json']?.example?.error?.code;
    return `<li><span class="s s-${cls}">${status}</span> ${inline(String(resolved.description))}${code ? ` <code>${esc(code)}</code>` : ''}</li>`;
  });
  return `<h4>响应</h4><ul class="responses">${items.join('')}</ul>`;
}

function resolveRef(doc: unknown, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

const TYPE_LABELS: Record<string, string> = { string: '文本', integer: '整数', number: '数字', boolean: '布尔', array: '数组', object: '对象', null: 'null' };

function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeOf).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (!types.length) return '任意';
  const base = types.map((t) => TYPE_LABELS[String(t)] ?? String(t)).join(' | ');
  const items = schema.items as JsonSchema | undefined;
  return types.includes('array') && items && !items.properties ? `${base}<${typeOf(items)}>` : base;
}

/** The limits a client must respect, in words; JavaScript's safe-integer ceiling is left out as noise. */
function rulesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.anyOf)) {
    return (schema.anyOf as JsonSchema[]).flatMap(rulesOf).concat(schema.default !== undefined ? [`默认 \`${JSON.stringify(schema.default)}\``] : []);
  }
  const rules: string[] = [];
  const n = (k: string) => (typeof schema[k] === 'number' ? (schema[k] as number) : undefined);
  if (n('minLength') !== undefined && n('maxLength') !== undefined) rules.push(`${n('minLength')}–${n('maxLength')} 个字`);
  else if (n('maxLength') !== undefined) rules.push(`最多 ${n('maxLength')} 个字`);
  else if (n('minLength') !== undefined) rules.push(`至少 ${n('minLength')} 个字`);
  if (n('exclusiveMinimum') !== undefined) rules.push(`> ${n('exclusiveMinimum')}`);
  if (n('minimum') !== undefined) rules.push(`≥ ${n('minimum')}`);
  if (n('maximum') !== undefined && n('maximum')! < Number.MAX_SAFE_INTEGER) rules.push(`≤ ${n('maximum')}`);
  if (n('maxItems') !== undefined) rules.push(`最多 ${n('maxItems')} 项`);
  if (Array.isArray(schema.enum)) rules.push(`可选值：${(schema.enum as unknown[]).map((v) => `\`${String(v)}\``).join(' ')}`);
  if (schema.format === 'date-time') rules.push('ISO 8601 时间，须带时区（如 `2026-01-20T15:00:00+08:00`）');
  else if (schema.format) rules.push(`格式 ${String(schema.format)}`);
  else if (typeof schema.pattern === 'string') rules.push(`格式 \`${schema.pattern}\``);
  if (schema['x-plain-text']) rules.push('纯文本');
  if (schema.default !== undefined) rules.push(`默认 \`${JSON.stringify(schema.default)}\``);
  const items = schema.items as JsonSchema | undefined;
  if (items && !items.properties) rules.push(...rulesOf(items).map((r) => `每项${r}`));
  if (typeof schema.description === 'string') rules.push(schema.description);
  return rules;
}
