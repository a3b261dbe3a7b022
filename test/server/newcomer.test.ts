import fs from 'node:fs';
import path from 'node:path';
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS, loadConfig } from '../../server/src/config';
import { startBanner } from '../../server/src/start-banner';
import { createDataSource } from '../../server/src/db/data-source';
import { migrate } from '../../server/src/db/migrate';
import { seedDemoIfEmpty } from '../../server/src/demo/seed';

const README = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

describe('what a newcomer reads and types (issue 17, defect 9)', () => {
  it('the start banner names every door: sidebar, to-do, dashboards, bot console, API docs, and how to move the data', () => {
    const config = loadConfig({ LIFELINE_DEMO: '1', PORT: '3000' });
    const banner = startBanner(config);
    for (const door of ['/sidebar/', '/sidebar/#/pages/todo/index', '/sidebar/#/pages/dashboard/index', '/console/', '/api/docs', 'SQLITE_PATH']) {
      expect(banner).toContain(door);
    }
    // README shows the same banner.
    for (const line of banner.trim().split('\n').slice(1)) expect(README).toContain(line.trim());
  });

  it('.env.example documents every environment variable the server reads', () => {
    const example = fs.readFileSync(path.resolve(__dirname, '../../.env.example'), 'utf8');
    expect(ENV_KEYS.length).toBeGreaterThan(30);
    expect(ENV_KEYS.filter((k) => !new RegExp(`^#?\\s*${k}=`, 'm').test(example))).toEqual([]);
  });

  it('DATA_DIR is accepted (SQLITE_PATH wins when both are set)', () => {
    expect(loadConfig({ LIFELINE_DEMO: '1', DATA_DIR: '/srv/lifeline' }).db).toEqual({ kind: 'sqlite', url: '/srv/lifeline/lifeline.sqlite' });
    expect(loadConfig({ LIFELINE_DEMO: '1', DATA_DIR: '/srv/lifeline', SQLITE_PATH: '/tmp/x.sqlite' }).db).toEqual({ kind: 'sqlite', url: '/tmp/x.sqlite' });
  });

  it('README states the demo’s size as seeded', async () => {
    const ds = await createDataSource({ kind: 'sqlite', url: ':memory:' }).initialize();
    try {
      await migrate(ds);
      await seedDemoIfEmpty(ds, { history: true });
      const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM `lead`');
      const stated = Number(/holds ~(\d+) leads/.exec(README)?.[1]);
      expect(Math.abs(stated - Number(n)) / Number(n)).toBeLessThan(0.1);
    } finally {
      await ds.destroy();
    }
  }, 60_000);
});
