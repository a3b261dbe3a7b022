import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDataSource } from '../db/data-source';
import { ensureSchema } from '../db/migrate';
import { createApp } from '../app';
import { AppError } from '../http/errors';
import { createCompany } from './create-company';

const USAGE = 'npm run company:create -- --name <公司名称> --admin-name <管理员姓名> [--wecom-corp-id <corpid>] [--dingtalk-corp-id <corpId>]';

// `npm run company:create`: a new company and its first admin on DATABASE_URL (or the embedded SQLite file), and the
// admin's one-time sign-in link (docs/onboarding.md). Migrations run first, as `npm run migrate` would.
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { name: { type: 'string' }, 'admin-name': { type: 'string' }, 'wecom-corp-id': { type: 'string' }, 'dingtalk-corp-id': { type: 'string' } },
    strict: true,
  });
  if (!values.name || !values['admin-name']) {
    console.error(`用法：${USAGE}`);
    return 2;
  }
  // The command signs no session (links are database rows), so it runs where the server's SESSION_SECRET is not set.
  process.env.SESSION_SECRET ||= 'company-create-signs-no-sessions';
  const config = loadConfig();
  const ds = await createDataSource(config.db).initialize();
  try {
    await ensureSchema(ds, config.db.kind);
    const { ctx } = createApp({ config, ds });
    const r = await createCompany(ctx, {
      name: values.name,
      adminName: values['admin-name'],
      wecomCorpId: values['wecom-corp-id'],
      dingtalkCorpId: values['dingtalk-corp-id'],
    });
    console.log(`已创建公司「${r.company.name}」（ID ${r.company.id}）和管理员「${r.admin.name}」（ID ${r.admin.id}）。`);
    console.log(`管理员登录链接（24 小时内有效，只能使用一次）：\n${r.link.url}`);
    return 0;
  } catch (err) {
    if (err instanceof AppError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  } finally {
    await ds.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
