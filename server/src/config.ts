import path from 'node:path';
import { z } from 'zod';
import { resolveDbTarget, type DbTarget } from './db/data-source';
import type { WecomConfig } from './platforms/wecom/wecom-api';
import type { DingtalkConfig } from './platforms/dingtalk/dingtalk-api';
import type { LlmConfig } from './llm/llm-config';
import type { S3Config } from './snapshots/s3-store';

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
  /** null = platform off (unset variables). */
  wecom: WecomConfig | null;
  dingtalk: DingtalkConfig | null;
  /** OpenAI-compatible model; null = rule-based fallbacks. */
  llm: LlmConfig | null;
  /** Douyin / 巨量引擎 lead push: the signing secret; unset = Douyin channels refuse pushes (503). */
  douyin?: { pushSecret: string } | null;
  /** How long a signed-in actor is reused without re-reading user/company/org (AUTH_CACHE_MS); 0/absent = off. */
  authCacheMs?: number;
  /** Largest Excel/CSV import upload. */
  importMaxBytes?: number;
  /**
   * Platform callbacks (WeCom, DingTalk) whose signed timestamp is further than this from now are refused, and a
   * signed request seen before within it is answered without acting again (CALLBACK_MAX_AGE_SECONDS); absent = 5 min.
   */
  callbackMaxAgeMs?: number;
  /** Signed alarm tap links (DingTalk work-notice buttons) stop working this long after they are sent (ALARM_TAP_LINK_TTL_HOURS); absent = 24 h. */
  tapLinkTtlMs?: number;
  /** Follow-up saves that arrive while the database is busy share a transaction (FOLLOWUP_GROUP_*); absent = each alone. */
  followupGroupCommit?: { maxBatch: number; slots: number };
  /** Alarm engine tick and lease (ALARM_TICK_SECONDS, ALARM_LEASE_SECONDS); absent = defaults 1 s / 5 s. */
  /** The projector of derived state (PROJECTOR_POLL_MS, PROJECTOR_LEASE_SECONDS, PROJECTOR_BATCH); absent = defaults. */
  projector?: { pollMs: number; leaseMs: number; batchSize: number };
  /** Snapshots of each company's business tables (SNAPSHOT_DIR, SNAPSHOT_INTERVAL, SNAPSHOT_RETENTION); absent = DATA_DIR/snapshots, 2 h, 72 h. */
  snapshots?: { dir: string; intervalMs: number; retentionMs: number; s3?: S3Config | null };
  alarms?: { tickSeconds: number; leaseMs: number; wecomGroupRobotUrl?: string; dingtalkRobotWebhook?: string; dingtalkRobotSecret?: string };
  /** Public lead form submissions allowed per client IP and form per minute (FORM_RATE_PER_MINUTE, default 10). */
  formRatePerMinute?: number;
  /** Outbound webhooks (WEBHOOK_TIMEOUT_MS, WEBHOOK_ALLOW_PRIVATE); absent = 5 s, private targets refused. */
  webhooks?: { timeoutMs: number; allowPrivate: boolean };
}

const env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  SQLITE_PATH: z.string().optional(),
  /** A folder for the embedded database (lifeline.sqlite inside it); SQLITE_PATH wins when both are set. */
  DATA_DIR: z.string().optional(),
  /** Where snapshot files go (default DATA_DIR/snapshots, else ./data/snapshots). */
  SNAPSHOT_DIR: z.string().optional(),
  /** How often each company is snapshotted, e.g. 2h, 30m; 0 = only on demand. */
  SNAPSHOT_INTERVAL: z
    .string()
    .regex(/^\d+(ms|s|m|h|d)?$/, 'SNAPSHOT_INTERVAL: a duration such as 2h, 30m or 0')
    .default('2h'),
  /** S3-compatible object storage for snapshot files (path-style URLs); unset = SNAPSHOT_DIR on local disk. */
  SNAPSHOT_S3_ENDPOINT: z.string().url('SNAPSHOT_S3_ENDPOINT: a URL such as http://minio:9000').optional(),
  SNAPSHOT_S3_BUCKET: z.string().optional(),
  SNAPSHOT_S3_REGION: z.string().default('us-east-1'),
  SNAPSHOT_S3_ACCESS_KEY_ID: z.string().optional(),
  SNAPSHOT_S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** How long snapshots are kept, e.g. 72h, 7d. */
  SNAPSHOT_RETENTION: z
    .string()
    .regex(/^\d+(ms|s|m|h|d)?$/, 'SNAPSHOT_RETENTION: a duration such as 72h or 7d')
    .default('72h'),
  SESSION_SECRET: z.string().optional(),
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(12 * 3600),
  AUTH_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  LIFELINE_DEMO: z.enum(['0', '1', 'true', 'false']).optional(),
  BODY_LIMIT: z.string().default('64kb'),
  LOG_LEVEL: z.string().default('info'),
  WECOM_CORP_ID: z.string().optional(),
  WECOM_AGENT_ID: z.coerce.number().int().optional(),
  WECOM_SECRET: z.string().optional(),
  WECOM_CALLBACK_TOKEN: z.string().optional(),
  WECOM_CALLBACK_AES_KEY: z.string().length(43, 'WECOM_CALLBACK_AES_KEY must be the 43-character EncodingAESKey').optional(),
  WECOM_API_BASE: z.url().default('https://qyapi.weixin.qq.com'),
  DINGTALK_APP_KEY: z.string().optional(),
  DINGTALK_APP_SECRET: z.string().optional(),
  DINGTALK_CORP_ID: z.string().optional(),
  DINGTALK_CALLBACK_TOKEN: z.string().optional(),
  DINGTALK_CALLBACK_AES_KEY: z.string().length(43, 'DINGTALK_CALLBACK_AES_KEY must be 43 characters').optional(),
  DINGTALK_API_BASE: z.url().optional(),
  DINGTALK_AGENT_ID: z.coerce.number().int().optional(),
  DINGTALK_CARD_TEMPLATE_ID: z.string().optional(),
  DINGTALK_ROBOT_CODE: z.string().optional(),
  DINGTALK_CARD_ROUTE_KEY: z.string().optional(),
  CALLBACK_MAX_AGE_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  ALARM_TAP_LINK_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(24),
  ALARM_TICK_SECONDS: z.coerce.number().int().min(1).max(59).default(1),
  ALARM_LEASE_SECONDS: z.coerce.number().int().min(5).default(5),
  PROJECTOR_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(100),
  PROJECTOR_LEASE_SECONDS: z.coerce.number().int().min(2).default(5),
  PROJECTOR_BATCH: z.coerce.number().int().min(1).max(1000).default(200),
  WECOM_GROUP_ROBOT_URL: z.url().optional(),
  DINGTALK_ROBOT_WEBHOOK: z.url().optional(),
  DINGTALK_ROBOT_SECRET: z.string().optional(),
  LLM_BASE_URL: z.url().optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().optional(),
  LLM_JSON_MODE: z.enum(['json_schema', 'json_object']).optional(),
  LLM_ASR_MODEL: z.string().optional(),
  LLM_ASR_MODE: z.enum(['transcriptions', 'chat_audio']).optional(),
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  FORM_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(10),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(500).max(30_000).default(5000),
  WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('0'),
  DOUYIN_PUSH_SECRET: z.string().min(16, 'DOUYIN_PUSH_SECRET must be at least 16 characters').optional(),
  FOLLOWUP_GROUP_MAX: z.coerce.number().int().min(1).max(200).default(32),
  FOLLOWUP_GROUP_SLOTS: z.coerce.number().int().min(1).max(64).default(2),
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
});

// Only for the demo: a fixed secret lets a restarted demo keep its sessions. Production must set its own.
/** Every environment variable the server reads: `.env.example` documents each (test/server/newcomer.test.ts). */
export const ENV_KEYS = Object.keys(env.shape);

const DEMO_SECRET = 'lifeline-demo-secret-not-for-production';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };
/** "2h" → 7,200,000; a bare number is milliseconds. */
export function durationMs(s: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(s);
  if (!m) throw new Error(`not a duration: ${s}`);
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms'];
}

/** SQLITE_PATH, else DATA_DIR/lifeline.sqlite, else ./data/lifeline.sqlite. */
function sqlitePathOf(sqlitePath: string | undefined, dataDir: string | undefined): string {
  if (sqlitePath) return sqlitePath;
  return path.resolve(dataDir ?? path.resolve(process.cwd(), 'data'), 'lifeline.sqlite');
}

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
    db: resolveDbTarget(e.DATABASE_URL, sqlitePathOf(e.SQLITE_PATH, e.DATA_DIR)),
    sessionSecret: secret,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    authCacheMs: e.AUTH_CACHE_MS,
    demo,
    bodyLimit: e.BODY_LIMIT,
    logLevel: e.LOG_LEVEL,
    wecom:
      e.WECOM_CORP_ID && e.WECOM_SECRET && e.WECOM_AGENT_ID !== undefined
        ? {
            corpId: e.WECOM_CORP_ID,
            agentId: e.WECOM_AGENT_ID,
            secret: e.WECOM_SECRET,
            apiBase: e.WECOM_API_BASE,
            callbackToken: e.WECOM_CALLBACK_TOKEN,
            callbackAesKey: e.WECOM_CALLBACK_AES_KEY,
          }
        : null,
    dingtalk:
      e.DINGTALK_APP_KEY && e.DINGTALK_APP_SECRET
        ? {
            appKey: e.DINGTALK_APP_KEY,
            appSecret: e.DINGTALK_APP_SECRET,
            apiBase: e.DINGTALK_API_BASE,
            corpId: e.DINGTALK_CORP_ID,
            callbackToken: e.DINGTALK_CALLBACK_TOKEN,
            callbackAesKey: e.DINGTALK_CALLBACK_AES_KEY,
            agentId: e.DINGTALK_AGENT_ID,
            cardTemplateId: e.DINGTALK_CARD_TEMPLATE_ID,
            robotCode: e.DINGTALK_ROBOT_CODE,
            cardRouteKey: e.DINGTALK_CARD_ROUTE_KEY,
          }
        : null,
    callbackMaxAgeMs: e.CALLBACK_MAX_AGE_SECONDS * 1000,
    tapLinkTtlMs: e.ALARM_TAP_LINK_TTL_HOURS * 3600_000,
    snapshots: {
      dir: e.SNAPSHOT_DIR ?? path.resolve(e.DATA_DIR ?? path.resolve(process.cwd(), 'data'), 'snapshots'),
      intervalMs: durationMs(e.SNAPSHOT_INTERVAL),
      retentionMs: durationMs(e.SNAPSHOT_RETENTION),
      s3:
        e.SNAPSHOT_S3_ENDPOINT && e.SNAPSHOT_S3_BUCKET && e.SNAPSHOT_S3_ACCESS_KEY_ID && e.SNAPSHOT_S3_SECRET_ACCESS_KEY
          ? {
              endpoint: e.SNAPSHOT_S3_ENDPOINT,
              bucket: e.SNAPSHOT_S3_BUCKET,
              region: e.SNAPSHOT_S3_REGION,
              accessKeyId: e.SNAPSHOT_S3_ACCESS_KEY_ID,
              secretAccessKey: e.SNAPSHOT_S3_SECRET_ACCESS_KEY,
            }
          : null,
    },
    projector: { pollMs: e.PROJECTOR_POLL_MS, leaseMs: e.PROJECTOR_LEASE_SECONDS * 1000, batchSize: e.PROJECTOR_BATCH },
    alarms: {
      tickSeconds: e.ALARM_TICK_SECONDS,
      leaseMs: e.ALARM_LEASE_SECONDS * 1000,
      wecomGroupRobotUrl: e.WECOM_GROUP_ROBOT_URL,
      dingtalkRobotWebhook: e.DINGTALK_ROBOT_WEBHOOK,
      dingtalkRobotSecret: e.DINGTALK_ROBOT_SECRET,
    },
    llm:
      e.LLM_BASE_URL && e.LLM_MODEL
        ? {
            baseUrl: e.LLM_BASE_URL,
            apiKey: e.LLM_API_KEY ?? '',
            model: e.LLM_MODEL,
            jsonMode: e.LLM_JSON_MODE,
            asrModel: e.LLM_ASR_MODEL,
            asrMode: e.LLM_ASR_MODE,
            timeoutMs: e.LLM_TIMEOUT_MS,
          }
        : null,
    douyin: e.DOUYIN_PUSH_SECRET ? { pushSecret: e.DOUYIN_PUSH_SECRET } : null,
    formRatePerMinute: e.FORM_RATE_PER_MINUTE,
    webhooks: { timeoutMs: e.WEBHOOK_TIMEOUT_MS, allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === '1' },
    importMaxBytes: e.IMPORT_MAX_BYTES,
    followupGroupCommit: { maxBatch: e.FOLLOWUP_GROUP_MAX, slots: e.FOLLOWUP_GROUP_SLOTS },
  };
}
