import { z } from 'zod';
import { hasTextCheck, phoneSchema } from '@lifeline/shared';

export type JsonSchema = Record<string, unknown>;

/** Strings longer than this are not probed for a limit: no field of ours allows that much typed text. */
const PROBE_CEILING = 1 << 16;

/**
 * The longest string the schema accepts, found by asking it. `plainText` limits length with a refinement (it counts
 * characters as people do, not UTF-16 units), which JSON Schema cannot see; probing documents the limit the server
 * really applies. JSON Schema's maxLength counts code points too, so the number means the same thing on both sides.
 */
function probeMaxLength(schema: z.ZodType): number | undefined {
  const accepts = (n: number) => schema.safeParse('字'.repeat(n)).success;
  if (!accepts(1)) return undefined; // shaped strings (patterns, URLs) reject plain text; their limits are native
  let tooLong = 2;
  while (accepts(tooLong)) {
    if (tooLong >= PROBE_CEILING) return undefined;
    tooLong *= 2;
  }
  let fits = tooLong / 2;
  while (tooLong - fits > 1) {
    const mid = Math.floor((fits + tooLong) / 2);
    if (accepts(mid)) fits = mid;
    else tooLong = mid;
  }
  return fits;
}

/** Shared schemas whose rule lives in code (a transform), said in words where the schema is used. */
const RULES_IN_WORDS = new Map<unknown, string>([[phoneSchema, '中国大陆手机号（11 位）；可带 +86、空格、横线，全角数字也可，服务器会规范化']]);

/** Patch bodies refine "at least one field"; JSON Schema says that as minProperties when `{}` is refused. */
function documentNonEmptyObjects(schema: z.ZodType, json: JsonSchema): void {
  const required = (json.required as unknown[] | undefined) ?? [];
  if (json.type === 'object' && required.length === 0 && !schema.safeParse({}).success) json.minProperties = 1;
}

/** Rules zod keeps in code (refinements, transforms) that a client still needs to see. */
function documentRulesInCode(ctx: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  const words = RULES_IN_WORDS.get(ctx.zodSchema);
  if (words) ctx.jsonSchema.description ??= words;
  const schema = ctx.zodSchema as z.ZodType;
  if (schema._zod.def.type === 'object') documentNonEmptyObjects(schema, ctx.jsonSchema);
  if (schema._zod.def.type !== 'string') return;
  if (hasTextCheck(schema)) ctx.jsonSchema['x-plain-text'] = true;
  if (ctx.jsonSchema.maxLength !== undefined) return;
  const max = probeMaxLength(schema);
  if (max !== undefined) ctx.jsonSchema.maxLength = max;
}

/**
 * A request schema as JSON Schema 2020-12 (the dialect OpenAPI 3.1 uses), as a client must send it: `io: 'input'`
 * shows coerced and defaulted fields as they arrive; refinements and transforms have no JSON form and are left open
 * (`unrepresentable: 'any'`); shared sub-schemas are inlined so the result can be embedded anywhere in the document.
 */
export function requestJsonSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    reused: 'inline',
    cycles: 'throw',
    override: documentRulesInCode,
  }) as JsonSchema;
  delete json.$schema;
  return json;
}
