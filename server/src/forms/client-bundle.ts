import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

let bundled: string | null = null;

/**
 * The form's browser script (client/form-client.ts with the shared phone rule), bundled once per process on first
 * use: about 3 KB, so the hosted page and the snippet stay light on a phone at a 展会.
 */
export function formClientScript(): string {
  if (bundled === null) {
    const entry = fileURLToPath(new URL('./client/form-client.ts', import.meta.url));
    const out = buildSync({ entryPoints: [entry], bundle: true, write: false, minify: true, format: 'iife', target: 'es2018', legalComments: 'none' });
    bundled = out.outputFiles[0].text;
  }
  return bundled;
}
