import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The browser suites drive the real H5 build: (re)build it when it is missing or older than its sources. */
export default function setup(): void {
  execFileSync(process.execPath, [path.resolve(__dirname, '../../miniapp/scripts/ensure-h5.cjs')], { stdio: 'inherit' });
}
