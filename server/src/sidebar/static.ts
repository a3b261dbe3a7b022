import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Router from '@koa/router';
import { AppError, notFound } from '../http/errors';

/** Where `npm run build:sidebar` writes the H5 build. */
const SIDEBAR_DIST = path.resolve(__dirname, '../../../miniapp/dist/h5');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.jpg': 'image/jpeg',
  '.map': 'application/json',
};

interface Cached {
  mtimeMs: number;
  raw: Buffer;
  gz: Buffer | null;
}

/**
 * The H5 sidebar under /sidebar/ (WeCom chat toolbar page, DingTalk H5 micro-app). Files are read once and kept
 * gzipped in memory; hashed assets are cached for a year, index.html is always revalidated.
 */
export function sidebarStaticRoutes(opts: { demo: boolean }, dist = SIDEBAR_DIST): Router {
  const cache = new Map<string, Cached>();
  const r = new Router();
  // A newcomer opening the server's address in a browser lands on the sidebar (demo) or the API reference.
  r.get('/', (ctx) => ctx.redirect(opts.demo ? '/sidebar/' : '/api/docs'));
  r.get('/sidebar', (ctx, next) => {
    // The router also matches '/sidebar/' here (non-strict); only the bare path redirects.
    if (ctx.path !== '/sidebar') return next();
    ctx.redirect(`/sidebar/${ctx.querystring ? `?${ctx.querystring}` : ''}`);
  });
  r.get(/^\/sidebar\/(.*)$/, (ctx) => {
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path.slice('/sidebar/'.length));
    } catch {
      throw new AppError(400, 'bad_path', '页面地址的编码不正确，请检查链接');
    }
    let file = path.resolve(dist, rel || 'index.html');
    if (!file.startsWith(dist + path.sep)) throw notFound('文件不存在');
    if (!isFile(file)) {
      if (path.extname(rel)) throw notFound(`文件不存在：${rel}`);
      file = path.join(dist, 'index.html'); // browser-routed page paths
    }
    if (!isFile(file)) throw notFound('侧边栏尚未构建：请先运行 npm run build:sidebar');
    const stat = fs.statSync(file);
    let entry = cache.get(file);
    if (!entry || entry.mtimeMs !== stat.mtimeMs) {
      const raw = fs.readFileSync(file);
      const ext = path.extname(file);
      entry = { mtimeMs: stat.mtimeMs, raw, gz: ['.js', '.css', '.html', '.json', '.svg', '.map'].includes(ext) ? gzipSync(raw, { level: 9 }) : null };
      cache.set(file, entry);
    }
    ctx.type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    ctx.set('Cache-Control', /\.[0-9a-f]{8,}\./.test(path.basename(file)) ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.set('Vary', 'Accept-Encoding');
    if (entry.gz && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = entry.gz;
    } else {
      ctx.body = entry.raw;
    }
  });
  return r;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
