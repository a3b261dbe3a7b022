import { z } from 'zod';
import { hasTextCheck } from '@lifeline/shared';

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

const BAD = ['a\u0000b', 'a\u202Eb', 'a\ud800b'];

/** A string schema fixed to a pattern (a code, a date, HH:mm) that no invisible character can pass. */
function patternBound(leaf: z.ZodType): boolean {
  const def = defOf(leaf);
  const checks = (def.checks as unknown[] | undefined) ?? [];
  const hasPattern = def.pattern instanceof RegExp || checks.some((c) => defOf(c).pattern instanceof RegExp);
  return hasPattern && BAD.every((s) => !leaf.safeParse(s).success);
}

/**
 * Every string a request schema accepts, by path, that does not go through the shared text rule (`plainText` /
 * `textCheck`) and is not bound to a pattern. A pipe counts as one field: the rule on either side covers it.
 * `skip` lists schemas whose output cannot carry the text as typed (e.g. the phone, normalised to digits).
 */
export function uncheckedStringFields(schema: z.ZodType, path = '', skip: z.ZodType[] = []): string[] {
  if (skip.includes(schema)) return [];
  const def = defOf(schema);
  const at = (k: string) => (path ? `${path}.${k}` : k);
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([k, v]) => uncheckedStringFields(v, at(k), skip));
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return uncheckedStringFields(def.innerType as z.ZodType, path, skip);
    case 'array':
      return uncheckedStringFields(def.element as z.ZodType, at('[]'), skip);
    case 'record':
      return [...uncheckedStringFields(def.keyType as z.ZodType, at('{key}'), skip), ...uncheckedStringFields(def.valueType as z.ZodType, at('{}'), skip)];
    case 'union':
      return (def.options as z.ZodType[]).flatMap((o) => uncheckedStringFields(o, path, skip));
    case 'intersection':
      return [...uncheckedStringFields(def.left as z.ZodType, path, skip), ...uncheckedStringFields(def.right as z.ZodType, path, skip)];
    case 'pipe': {
      const sides = [def.in as z.ZodType, def.out as z.ZodType];
      const stringSides = sides.filter((s) => defOf(s).type === 'string');
      if (stringSides.some((s) => hasTextCheck(s) || patternBound(s))) return [];
      return sides.flatMap((s) => uncheckedStringFields(s, path, skip));
    }
    case 'string':
      return hasTextCheck(schema) || patternBound(schema) ? [] : [path || '(the schema itself)'];
    default:
      return []; // numbers, booleans, enums, literals, transforms: nothing typed by a person is stored as is
  }
}

/** Every zod schema a module exports, by export name. */
export function exportedSchemas(mod: Record<string, unknown>): [string, z.ZodType][] {
  return Object.entries(mod).filter((e): e is [string, z.ZodType] => e[1] instanceof z.ZodType);
}
