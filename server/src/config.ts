import path from 'node:path';
import { z } from 'zod';
import { resolveDbTarget, type DbTarget } from './db/data-source';

export interface AppConfig {
  port: number;
  host: string;
  publicUrl: string;
  db: DbTarget;
  sessionSecret: string;
  sessionTtlSeconds: number;
  /** Demo mode: seeds demo data and enables dev-login. Never on in production. */
  demo: boolean;
  bodyLimit: string;
  logLevel: string;
}

const env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  SQLITE_PATH: z.string().default(path.resolve(process.cwd(), 'data/lifeline.sqlite')),
  SESSION_SECRET: z.string().optional(),
  SESSION_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  LIFELINE_DEMO: z.enum(['0', '1', 'true', 'false']).optional(),
  BODY_LIMIT: z.string().default('64kb'),
  LOG_LEVEL: z.string().default('info'),
});

// Only for the demo: a fixed secret lets a restarted demo keep its sessions. Production must set its own.
const DEMO_SECRET = 'lifeline-demo-secret-not-for-production';

export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const e = env.parse(source);
  const demo = e.LIFELINE_DEMO === '1' || e.LIFELINE_DEMO === 'true';
  const secret = e.SESSION_SECRET ?? (demo ? DEMO_SECRET : undefined);
  if (!secret || secret.length < 16) {
    throw new Error('SESSION_SECRET must be set to at least 16 characters (see .env.example)');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`,
    db: resolveDbTarget(e.DATABASE_URL, e.SQLITE_PATH),
    sessionSecret: secret,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    demo,
    bodyLimit: e.BODY_LIMIT,
    logLevel: e.LOG_LEVEL,
  };
}
