import fs from 'node:fs';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the plain closing line CI reads (`N passed, N failed`), says plainly whether the MySQL suites
 * ran, and writes test-results/summary.json for .ci/run to check (TEST_SUMMARY_FILE names another file in that folder:
 * the Galera run's). MySQL tests carry "[mysql]" in their name.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    const all = { passed: 0, failed: 0, skipped: 0 };
    const mysql = { passed: 0, failed: 0, skipped: 0 };
    for (const m of modules) {
      if (m.state() === 'failed' && ![...m.children.allTests()].length) all.failed++; // a file that failed to load
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        const bucket = state === 'passed' ? 'passed' : state === 'failed' ? 'failed' : 'skipped';
        all[bucket]++;
        if (t.fullName.includes('[mysql]')) mysql[bucket]++;
      }
    }
    all.failed += unhandledErrors.length;
    const dir = path.resolve('test-results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, path.basename(process.env.TEST_SUMMARY_FILE || 'summary.json')), JSON.stringify({ ...all, mysql }, null, 2));
    const ran = mysql.passed + mysql.failed;
    console.log(
      process.env.TEST_MYSQL_URL
        ? `MySQL/MariaDB suites: ${ran} tests ran (${mysql.passed} passed, ${mysql.failed} failed).`
        : 'MySQL/MariaDB suites were SKIPPED: TEST_MYSQL_URL is not set (only SQLite was tested).',
    );
    console.log(`${all.passed} passed, ${all.failed} failed${all.skipped ? `, ${all.skipped} skipped` : ''}`);
  }
}
