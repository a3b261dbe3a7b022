import { InitialSchema1700000000000 } from './migrations/1700000000000-initial-schema';

/** Ordered list; a new schema change is a new file here, never an edit of a shipped one. */
export const MIGRATIONS = [InitialSchema1700000000000];
