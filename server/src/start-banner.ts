import type { AppConfig } from './config';

/**
 * What `npm start` prints: every door a newcomer needs (sidebar, to-do, dashboards, alarm console, API reference)
 * and where the data lives, with the variable that moves it.
 */
export function startBanner(config: AppConfig): string {
  const u = config.publicUrl;
  const where = config.db.kind === 'sqlite' ? `SQLite ${config.db.url} — move it with SQLITE_PATH or DATA_DIR` : 'MySQL (DATABASE_URL)';
  const lines = [
    `Lifeline is running (${where}${config.demo ? ', demo mode' : ''})`,
    `  Sidebar:      ${u}/sidebar/`,
    `  To-do list:   ${u}/sidebar/#/pages/todo/index`,
    `  Dashboards:   ${u}/sidebar/#/pages/dashboard/index`,
    `  API docs:     ${u}/api/docs`,
    `  API health:   ${u}/healthz`,
  ];
  if (config.demo) {
    lines.push(`  Bot console:  ${u}/console/   (alarm cards the chat bot would send; tap a script there)`);
    lines.push(`  Demo users:   pick anyone from the name at the top right of the sidebar (张敏 rep, 李静 supervisor, 黄蓉 ops, 马骏 director)`);
    lines.push(`  Demo login:   curl -XPOST ${u}/api/auth/dev-login -H 'content-type: application/json' -d '{"role":"rep"}'`);
  }
  return `\n${lines.join('\n')}\n`;
}
