#!/usr/bin/env node
// Builds the H5 sidebar when miniapp/dist/h5 is missing or older than its sources, so `npm start` serves
// /sidebar/ and the browser tests drive current code. A fresh build is skipped in well under a second.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const built = path.join(root, 'miniapp/dist/h5/index.html');
const sources = ['miniapp/src', 'miniapp/config', 'shared/src/dates', 'shared/src/metrics'].map((p) => path.join(root, p));

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function fresh() {
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  return { builtAt, ok: builtAt > 0 && sources.every((s) => newest(s) <= builtAt) };
}

if (fresh().ok) process.exit(0);

// One build at a time: parallel test processes (or npm start beside npm test) wait for the builder, then re-check.
const lock = path.join(root, 'miniapp/.h5-build.lock');
const deadline = Date.now() + 10 * 60_000;
for (;;) {
  try {
    fs.mkdirSync(lock);
    break;
  } catch {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}; remove it if no build is running`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}
try {
  const { builtAt, ok } = fresh();
  if (!ok) {
    console.error(builtAt ? 'The H5 sidebar is older than its sources: rebuilding (about a minute)…' : 'Building the H5 sidebar (first run, about a minute)…');
    // Always a production build, whatever NODE_ENV the caller runs under (vitest sets "test").
    execSync('npm run build:h5 -w @lifeline/miniapp', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  }
} finally {
  fs.rmdirSync(lock);
}
