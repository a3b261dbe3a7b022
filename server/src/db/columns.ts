import type { ValueTransformer } from 'typeorm';

/**
 * Timestamps are epoch milliseconds in BIGINT columns: identical on SQLite and MySQL, free of
 * session-timezone surprises, and durations (KPIs, SLAs) are plain subtraction in SQL on both.
 * mysql2 returns BIGINT as a string, hence the transformer.
 */
export const epochMs: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? null : Number(v)),
};

/** JSON stored as TEXT (portable); arrays default to []. */
export const jsonText: ValueTransformer = {
  to: (v: unknown) => (v === undefined ? undefined : JSON.stringify(v ?? null)),
  from: (v: string | null) => (v === null || v === undefined ? null : JSON.parse(v)),
};

/** Any BIGINT read as a JS number (money in fen): the same conversion as timestamps. */
export const bigintNumber: ValueTransformer = epochMs;
