/**
 * A process that starts writing one company's snapshot and stops at its first page, telling the parent over IPC, so the
 * parent can SIGKILL it mid-write. Args: <sqlite|mysql> <database url or file> <snapshot dir> <company id>.
 */
import 'reflect-metadata';
import { createDataSource } from '../../server/src/db/data-source';
import { createApp } from '../../server/src/app';
import type { AppConfig } from '../../server/src/config';
import { claimSnapshot, writeSnapshot } from '../../server/src/snapshots/writer';
import { DiskStore } from '../../server/src/snapshots/store';

async function main() {
  const [kind, url, dir, companyId] = process.argv.slice(2);
  const target = kind === 'mysql' ? { kind: 'mysql' as const, url } : { kind: 'sqlite' as const, url };
  const ds = await createDataSource(target).initialize();
  const config: AppConfig = {
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'http://127.0.0.1',
    db: target,
    sessionSecret: 'test-secret-0123456789abcdef',
    sessionTtlSeconds: 3600,
    demo: false,
    bodyLimit: '64kb',
    logLevel: 'silent',
    wecom: null,
    dingtalk: null,
    llm: null,
  };
  const hold = {
    reach: async (name: string) => {
      if (name !== 'snapshot:page') return;
      process.send!('mid-write');
      await new Promise(() => undefined); // until killed
    },
  };
  const { ctx } = createApp({ config, ds, checkpoints: hold });
  const snap = await claimSnapshot(ctx, Number(companyId), 'manual', 'killed-mid-write', null);
  await writeSnapshot(ctx, new DiskStore(dir), snap!);
}

void main();
