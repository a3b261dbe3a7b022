import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { README_ROLES_END, README_ROLES_START, rolesMarkdown } from './permissions';

/** `npm run docs:roles`: rewrites README's generated role table and masking rule from PERMISSIONS. */
const path = join(__dirname, '../../../README.md');
const readme = readFileSync(path, 'utf8');
const start = readme.indexOf(README_ROLES_START);
const end = readme.indexOf(README_ROLES_END);
if (start < 0 || end < start) throw new Error(`README.md has no ${README_ROLES_START} … ${README_ROLES_END} section`);
writeFileSync(path, readme.slice(0, start) + rolesMarkdown() + readme.slice(end + README_ROLES_END.length));
console.log('README.md roles section regenerated');
