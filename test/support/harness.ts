import { describe } from 'vitest';
import { dbKinds } from './app-harness';
import type { DbKind } from '../../server/src/db/data-source';

export * from './app-harness';

/** `describe` once per database; the "[mysql]" tag is what the summary reporter and CI count. */
export function describeEachDb(name: string, fn: (kind: DbKind) => void) {
  for (const kind of dbKinds()) describe(`${name} [${kind}]`, () => fn(kind));
}
