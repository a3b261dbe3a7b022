/**
 * One alarm-engine process for the multi-process test: ticks against the given MySQL database and sends
 * through the given fake WeCom until it is killed. Args: <mysql url> <fake wecom base> <corp id> [lease ms,
 * default the engine's].
 */
import 'reflect-metadata';
import { createDataSource } from '../../server/src/db/data-source';
import { createApp } from '../../server/src/app';
import { AlarmEngine } from '../../server/src/alarms';
import type { AppConfig } from '../../server/src/config';

async function main() {
  const [url, fakeBase, corpId, lease] = process.argv.slice(2);
  const ds = await createDataSource({ kind: 'mysql', url }, { poolSize: 6 }).initialize();
  const config: AppConfig = {
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'http://127.0.0.1',
    db: { kind: 'mysql', url },
    sessionSecret: 'test-secret-0123456789abcdef',
    sessionTtlSeconds: 3600,
    demo: false,
    bodyLimit: '64kb',
    logLevel: 'silent',
    dingtalk: null,
    llm: null,
    wecom: { corpId, agentId: 1000002, secret: 'fake-secret-0001', apiBase: fakeBase },
  };
  const { ctx } = createApp({ config, ds });
  const engine = new AlarmEngine(ctx, { leaseMs: lease ? Number(lease) : undefined, batch: 100 });
  process.send?.('ready');
  for (;;) {
    await engine.tick().catch((err) => console.error('tick', err?.message));
    await new Promise((r) => setTimeout(r, 50));
  }
}
void main();
