import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { DataSource } from 'typeorm';
import { createApp } from '../../server/src/app';
import { migrate } from '../../server/src/db/migrate';
import { seedDemo } from '../../server/src/demo/seed';
import { ManualClock } from '../../server/src/clock';
import type { AppConfig } from '../../server/src/config';
import type { AppContext } from '../../server/src/context';
import { createDataSource } from '../../server/src/db/data-source';

const BASE_CONFIG: AppConfig = {
  port: 0,
  host: '127.0.0.1',
  publicUrl: 'http://127.0.0.1',
  db: { kind: 'sqlite', url: ':memory:' },
  sessionSecret: 'e2e-secret-0123456789abcdef',
  sessionTtlSeconds: 3600,
  demo: true,
  bodyLimit: '64kb',
  logLevel: 'silent',
  wecom: null,
  dingtalk: null,
  llm: null,
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The real server (demo company seeded) serving the real H5 build under /sidebar/, on a port that survives a
 * stop/start (to cut the network in the middle of a submit), plus a Chromium page.
 */
export class SidebarRig {
  ds!: DataSource;
  app!: AppContext;
  port = 0;
  browser!: Browser;
  private server: http.Server | null = null;
  private koaCallback!: http.RequestListener;
  private drop?: () => Promise<void>;

  constructor(
    private readonly config: Partial<AppConfig> = {},
    readonly clock = new ManualClock(Date.now()),
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    // The browser suites run on SQLite; every API they touch is also covered on MariaDB by the server suites.
    const ds = await createDataSource({ kind: 'sqlite', url: ':memory:' }).initialize();
    this.ds = ds;
    this.drop = async () => void (await ds.destroy());
    await migrate(ds);
    await seedDemo(ds, { now: this.clock.now(), leads: 40 });
    const { koa, ctx } = createApp({ config: { ...BASE_CONFIG, ...this.config }, ds, clock: this.clock });
    this.app = ctx;
    this.koaCallback = koa.callback();
    await this.listen();
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
      ],
    });
    return this;
  }

  async listen(): Promise<void> {
    this.server = http.createServer(this.koaCallback);
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The server goes away (connections cut); the database stays. */
  async stopServer(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.stopServer();
    await this.drop?.();
  }

  /** A 360 px sidebar panel (touch, as in the WeCom/DingTalk clients). */
  async page(opts: { width?: number } = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext({
      viewport: { width: opts.width ?? 360, height: 800 },
      hasTouch: true,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    const page = await context.newPage();
    return { context, page };
  }

  async count(table: string, where = '1=1', params: unknown[] = []): Promise<number> {
    const [row] = await this.ds.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params);
    return Number(row.n);
  }
}
