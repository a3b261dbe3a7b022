import type { Signals } from '../../server/src/signals/service';
import type { Experiments } from '../../server/src/routing/experiments';
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type Koa from 'koa';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { createDataSource, type DbKind } from '../../server/src/db/data-source';
import { migrate } from '../../server/src/db/migrate';
import { createApp } from '../../server/src/app';
import { ManualClock } from '../../server/src/clock';
import { Gate } from './gate';
import type { Projector } from '../../server/src/projector/projector';
import type { WebhookSender } from '../../server/src/integrations/webhook-sender';
import type { Consistency } from '../../server/src/integrations/consistency';
import { seedDemo, type SeedSummary } from '../../server/src/demo/seed';
import { SECOND_CAST } from '../../server/src/demo/demo-data';
import { User } from '../../server/src/users/user.entity';
import type { AppConfig } from '../../server/src/config';
import type { FollowupService } from '../../server/src/followups/followups.service';
import type { AppContext } from '../../server/src/context';
import type { Logger } from '../../server/src/logger';
import { snapshotsOf } from '../../server/src/snapshots';
import { claimSnapshot, writeSnapshot } from '../../server/src/snapshots/writer';

/** The databases every database suite runs on: SQLite always, MariaDB/MySQL when TEST_MYSQL_URL is set. */
export function dbKinds(): DbKind[] {
  return process.env.TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];
}

/** A throwaway database: a fresh SQLite in memory, or a fresh MySQL schema dropped afterwards. */
export async function freshDatabase(kind: DbKind): Promise<{ ds: DataSource; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const ds = await createDataSource({ kind: 'sqlite', url: ':memory:' }).initialize();
    return { ds, drop: async () => void (await ds.destroy()) };
  }
  const base = new URL(process.env.TEST_MYSQL_URL!);
  const name = `lifeline_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = await mysql.createConnection({
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const ds = await createDataSource({ kind: 'mysql', url: url.toString() }, { poolSize: 10 }).initialize();
  return {
    ds,
    drop: async () => {
      if (ds.isInitialized) await ds.destroy();
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

/** The second company a tenancy test seeds (`Harness.addSecondCompany`), with an id of each kind of its records. */
export interface SecondCompany {
  seed: SeedSummary;
  leadId: number;
  customerId: number;
  /** The rep owning `leadId`. */
  ownerId: number;
  followupId: number;
  scriptId: number;
  poolId: number;
  orgUnitId: number;
  channelId: number;
  intakeKey: string;
  contentItemId: number;
  contentQueueId: number;
  importId: number;
  scriptPickId: number;
  snapshotId: number;
  eventSourceId: number;
  webhookId: number;
  partnerId: number;
  consistencyRunId: number;
  /** A referral of theirs held for approval. */
  referralId: number;
  webhookDeliveryId: number;
  /** An inbound event of theirs parked for review. */
  parkedEventId: number;
  /** A running A/B test of their routing rules. */
  experimentId: number;
}

/** 2026-01-15 10:00 China time: a Thursday in the brief's season. */
export const TEST_NOW = Date.parse('2026-01-15T10:00:00+08:00');

export const TEST_CONFIG: AppConfig = {
  port: 0,
  host: '127.0.0.1',
  publicUrl: 'http://127.0.0.1',
  db: { kind: 'sqlite', url: ':memory:' },
  sessionSecret: 'test-secret-0123456789abcdef',
  sessionTtlSeconds: 3600,
  demo: true,
  bodyLimit: '64kb',
  logLevel: 'silent',
  followupGroupCommit: { maxBatch: 32, slots: 2 },
  wecom: null,
  dingtalk: null,
  llm: null,
  // The fake receivers listen on 127.0.0.1; production refuses private targets.
  webhooks: { timeoutMs: 1000, allowPrivate: true },
};

/**
 * The test harness without vitest (benches run it under tsx); test files import it through ./harness.
 *
 * A running server on a fresh database with the demo company seeded, plus helpers to call it. */
export class Harness {
  ds!: DataSource;
  app!: AppContext;
  followups!: FollowupService;
  /** Drained after every request that may write (see `req`), so tests read derived state as of their last call. */
  projector!: Projector;
  /** Sends queued webhook deliveries when a test calls `webhookSender.runOnce()` (not started: tests drive it). */
  webhookSender!: WebhookSender;
  /** Consistency reports (monthly runs are driven by the test). */
  consistency!: Consistency;
  /** Intent signals (the fading refresh and chat purge are driven by the test). */
  signals!: Signals;
  /** Routing A/B tests (the hourly harm check is driven by the test). */
  experiments!: Experiments;
  /** Off: requests leave their changes in the outbox for the test to project (projector tests). */
  autoSettle = true;
  /** The Koa app (its routers can be listed from `koa.middleware`). */
  koa!: Koa;
  clock = new ManualClock(TEST_NOW);
  /** Holds transactions at named checkpoints (race tests). */
  gate = new Gate();
  seed!: SeedSummary;
  base = '';
  private server?: Server;
  private drop?: () => Promise<void>;
  private tokens = new Map<string, string>();

  /** `config` overrides TEST_CONFIG (e.g. platform or LLM base URLs pointing at fakes); `logger` replaces the root logger. */
  constructor(
    readonly kind: DbKind,
    private readonly leads = 60,
    private readonly config: Partial<AppConfig> = {},
    private readonly opts: { logger?: Logger } = {},
  ) {}

  async start(): Promise<this> {
    const { ds, drop } = await freshDatabase(this.kind);
    this.ds = ds;
    this.drop = drop;
    await migrate(ds);
    this.seed = await seedDemo(ds, { now: TEST_NOW, leads: this.leads });
    const { koa, ctx, followups, projector, webhookSender, consistency, signals, experiments } = createApp({
      config: { ...TEST_CONFIG, ...this.config },
      ds,
      clock: this.clock,
      logger: this.opts.logger,
      checkpoints: this.gate,
    });
    this.app = ctx;
    this.koa = koa;
    this.followups = followups;
    this.projector = projector;
    this.webhookSender = webhookSender;
    this.consistency = consistency;
    this.signals = signals;
    this.experiments = experiments;
    this.server = koa.listen(0, '127.0.0.1');
    await new Promise<void>((r) => this.server!.once('listening', () => r()));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /**
   * Seeds a second, small company beside the demo one (tenancy tests): its own people (SECOND_CAST: 韩梅, 林涛, 宋佳,
   * 魏来, 郝运, 远航管理员), `leads` leads with follow-ups, a pool per team, the script library, plus, through its own
   * admin and ops, an intake channel, a tag → material mapping with a queued item, an import job and a script pick.
   */
  async addSecondCompany(leads = 6): Promise<SecondCompany> {
    const seed = await seedDemo(this.ds, { now: TEST_NOW, leads, cast: SECOND_CAST });
    const admin = SECOND_CAST.staff.admin;
    const ok = (r: Res, what: string) => {
      if (r.status >= 300) throw new Error(`second company ${what}: ${r.status} ${r.text}`);
      return r.body;
    };
    const channel = ok(
      await this.req('POST', '/api/intake-channels', {
        as: admin,
        body: { code: `second-${seed.companyId}`, name: '远航落地页', tag: '公众号-推文', mapping: { phone: '$.phone', externalId: '$.id' } },
      }),
      'intake channel',
    );
    const content = ok(
      await this.req('POST', '/api/content/items', {
        as: admin,
        body: { tag: '择校', title: '远航择校指南', url: 'https://example.com/yh-guide' },
      }),
      'content item',
    );
    const [lead] = await this.ds.query('SELECT id, customerId, ownerId FROM `lead` WHERE companyId = ? AND ownerId IS NOT NULL ORDER BY id LIMIT 1', [
      seed.companyId,
    ]);
    ok(await this.req('PATCH', `/api/leads/${lead.id}`, { as: admin, body: { tags: ['择校'] } }), 'tag');
    const imported = ok(
      await this.req('POST', '/api/imports?channel=地推-展会二维码&filename=yh.csv', {
        as: SECOND_CAST.staff.ops,
        raw: '手机号,称呼\n13700001111,远航妈妈\n',
        headers: { 'content-type': 'text/csv', prefer: 'wait' },
      }),
      'import',
    );
    const [script] = await this.ds.query('SELECT id FROM script WHERE companyId = ? ORDER BY id LIMIT 1', [seed.companyId]);
    await this.ds.query(
      'INSERT INTO script_pick (companyId, alarmId, scriptId, leadId, repId, text, pickedAt, sentAt, progressedAt) VALUES (?, NULL, ?, ?, ?, ?, ?, NULL, NULL)',
      [seed.companyId, script.id, lead.id, lead.ownerId, '远航话术', TEST_NOW],
    );
    const source = ok(
      await this.req('POST', '/api/event-sources', { as: admin, body: { code: `fin-${seed.companyId}`, name: '远航财务', kind: 'finance' } }),
      'event source',
    );
    await this.ds.query(
      `INSERT INTO inbound_event (companyId, sourceId, eventId, kind, payloadHash, payload, status, reason, customerId, leadId, occurredAt, receivedAt)
       VALUES (?, ?, 'yh-1', 'finance', ?, '{"id":"yh-1","amount":1,"phone":"13700009999"}', 'parked', '找不到客户', NULL, NULL, ?, ?)`,
      [seed.companyId, source.id, '0'.repeat(64), TEST_NOW, TEST_NOW],
    );
    const hook = ok(await this.req('POST', '/api/webhooks', { as: admin, body: { url: 'https://yh.example.com/hook', events: ['lead.created'] } }), 'webhook');
    ok(await this.req('POST', `/api/webhooks/${hook.id}/ping`, { as: admin }), 'webhook ping');
    const partner = ok(
      await this.req('POST', '/api/partners', { as: admin, body: { name: '远航伙伴', tag: '渠道商-远航', requireApproval: true } }),
      'partner',
    );
    const referred = await fetch(`${this.base}/api/partner/leads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-partner-key': String(partner.key) },
      body: JSON.stringify({ ref: 'YH-1', phone: '13700007777' }),
    });
    if (referred.status !== 201) throw new Error(`partner referral: ${referred.status}`);
    ok(
      await this.req('POST', `/api/consistency/upload?sourceId=${source.id}`, {
        as: admin,
        raw: '手机号,客户名称\n13700001111,远航妈妈\n',
        headers: { 'content-type': 'text/csv' },
      }),
      'consistency upload',
    );
    const one = async (sql: string) => Number((await this.ds.query(sql, [seed.companyId]))[0].id);
    const rules = ok(await this.req('GET', '/api/routing/rules', { as: admin }), 'rules').current;
    const ruleBody = {
      rules: rules?.rules ?? [],
      defaultPoolId: rules?.defaultPoolId ?? (await one('SELECT MIN(id) AS id FROM routing_pool WHERE companyId = ?')),
    };
    if (!rules) ok(await this.req('PUT', '/api/routing/rules', { as: admin, body: ruleBody }), 'rules v1');
    ok(await this.req('PUT', '/api/routing/rules', { as: admin, body: { ...ruleBody, holdout: { share: 0.1 } } }), 'routing A/B test');
    return {
      experimentId: await one('SELECT MIN(id) AS id FROM routing_experiment WHERE companyId = ?'),
      seed,
      leadId: Number(lead.id),
      customerId: Number(lead.customerId),
      ownerId: Number(lead.ownerId),
      followupId: await one('SELECT MIN(id) AS id FROM followup WHERE companyId = ?'),
      scriptId: Number(script.id),
      poolId: await one('SELECT MIN(id) AS id FROM routing_pool WHERE companyId = ?'),
      orgUnitId: await one("SELECT MIN(id) AS id FROM org_unit WHERE companyId = ? AND kind = 'team'"),
      channelId: Number(channel.id),
      intakeKey: String(channel.key),
      contentItemId: Number(content.id),
      contentQueueId: await one('SELECT MIN(id) AS id FROM content_queue WHERE companyId = ?'),
      importId: Number(imported.id),
      scriptPickId: await one('SELECT MAX(id) AS id FROM script_pick WHERE companyId = ?'),
      eventSourceId: Number(source.id),
      webhookId: Number(hook.id),
      partnerId: Number(partner.id),
      consistencyRunId: await one('SELECT MIN(id) AS id FROM consistency_run WHERE companyId = ?'),
      referralId: await one('SELECT MIN(id) AS id FROM partner_referral WHERE companyId = ?'),
      webhookDeliveryId: await one('SELECT MIN(id) AS id FROM webhook_delivery WHERE companyId = ?'),
      parkedEventId: await one('SELECT MIN(id) AS id FROM inbound_event WHERE companyId = ?'),
      snapshotId: (await writeSnapshot(this.app, snapshotsOf(this.app).store, (await claimSnapshot(this.app, seed.companyId, 'manual', 'tenancy', null))!)).id,
    };
  }

  async stop() {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await this.drop?.();
  }

  /** Every route the app's routers hold (nested routers included), as "METHOD /path" (HEAD and regex paths left out). */
  routes(): string[] {
    const out = new Set<string>();
    for (const mw of this.koa.middleware as { router?: { stack: { methods: string[]; path: string | RegExp }[] } }[]) {
      for (const layer of mw.router?.stack ?? []) {
        for (const m of layer.methods) if (m !== 'HEAD' && typeof layer.path === 'string') out.add(`${m} ${layer.path}`);
      }
    }
    return [...out];
  }

  async user(name: string): Promise<User> {
    return this.ds.getRepository(User).findOneByOrFail({ name });
  }

  /** Bearer token for a seeded user, by name (张敏) — logged in through the real dev-login route. */
  async token(name: string): Promise<string> {
    if (!this.tokens.has(name)) {
      const u = await this.user(name);
      const r = await this.req('POST', '/api/auth/dev-login', { body: { userId: u.id } });
      if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${r.text}`);
      this.tokens.set(name, r.body.token);
    }
    return this.tokens.get(name)!;
  }

  async req<T = any>(
    method: string,
    path: string,
    opts: { as?: string; token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Res<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const token = opts.token ?? (opts.as ? await this.token(opts.as) : undefined);
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + path, { method, headers, body });
    const text = await res.text();
    // A test that stops the database (or projects by hand) turns this off; a failed drain is the test's to see.
    if (method !== 'GET' && this.autoSettle) await this.settle().catch(() => undefined);
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  /** Waits until derived state (facts, rollups, counters, alarm timers) reflects every committed change. */
  async settle(): Promise<void> {
    await this.projector.drain();
  }

  async count(table: string, where = '1=1', params: unknown[] = []): Promise<number> {
    const [row] = await this.ds.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params);
    return Number(row.n);
  }
}
