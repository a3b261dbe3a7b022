// ESLint flat config: typescript-eslint (syntax rules, no type information: fast), import cycles, layer boundaries
// and function length. `npm run lint` runs it; CI runs it right after the typecheck. Layout is prettier's
// (`npm run format`): eslint-config-prettier, last, turns off the rules that would fight it.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import eslintConfigPrettier from 'eslint-config-prettier/flat';

/** Server folders that are features (a capability with its own entities, services or routes). */
const FEATURES = [
  'alarms',
  'audit',
  'auth',
  'companies',
  'console',
  'content',
  'customers',
  'demo',
  'followups',
  'health',
  'history',
  'integrations',
  'intake',
  'journey',
  'leaderboard',
  'leads',
  'llm',
  'metrics',
  'openapi',
  'reviews',
  'routing',
  'scoring',
  'scripts',
  'snapshots',
  'sidebar',
  'signals',
  'todo',
  'users',
];
const featureImports = (up) => FEATURES.map((f) => `${up}${f}/**`).concat(FEATURES.map((f) => `${up}${f}`));

/** `no-restricted-imports` patterns: the layer may not import these; `why` ends up in the message. */
const forbid = (group, message) => ({ group, message });

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'data/**',
      'coverage/**',
      'test-results/**',
      'miniapp/config/**',
      'miniapp/scripts/**',
      'miniapp/babel.config.js',
      'miniapp/types/**',
    ],
  },
  {
    files: ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    plugins: { 'import-x': importX },
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'miniapp/tsconfig.json'], noWarnOnMultipleProjects: true })],
      'import-x/extensions': ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs'],
    },
    rules: {
      // Runtime import cycles (type-only imports are erased and do not count).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // As Prettier prints them (one property per line where objects do not fit on one): about 80 lines of the
      // densely packed style the code had before Prettier.
      'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true, IIFEs: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Node globals for server, tests and scripts; the mini-app runs in a browser / mini-program.
    files: ['server/**', 'test/**', 'scripts/**', '*.{mjs,mts,ts}', '**/*.cjs'],
    languageOptions: {
      globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' },
    },
  },
  {
    // `any` stays allowed where values come from outside the type system: test assertions on responses, benchmark
    // plumbing, and the mini-app's platform SDK globals (wx / dd / echarts options).
    files: ['test/**', 'server/bench/**', 'miniapp/src/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Test suites: a describe/it callback is a list of cases, not a function to split. Helpers (support/, fakes/) keep the limit.
    files: ['test/**/*.test.ts', 'test/**/*.bench.ts'],
    rules: { 'max-lines-per-function': 'off' },
  },
  {
    // Shipped migrations are never edited (docs/architecture.md): their table lists stay one function each.
    files: ['server/src/db/migrations/17000000*.ts', 'server/src/db/migrations/17000001*.ts', 'server/src/db/migrations/17000002*.ts'],
    rules: { 'max-lines-per-function': 'off' },
  },
  // --- Layer boundaries ---------------------------------------------------------------------------------------------
  {
    // db/ (connections, transactions, columns, errors) knows no feature.
    files: ['server/src/db/**'],
    ignores: ['server/src/db/migrations/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbid(featureImports('../'), 'db/ imports no feature: features depend on db, never the other way.')] }],
    },
  },
  {
    // Migrations are frozen history: what a shipped migration does must not change when live code does, so they import
    // typeorm and each other's helpers in this folder (./x), nothing else (no ../, no @lifeline/shared, no libraries).
    files: ['server/src/db/migrations/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!typeorm$|\\./[^/]+$)',
              message: 'Migrations are frozen history: import only typeorm and files of the migrations folder (copy what you need).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['server/src/http/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbid(featureImports('../'), 'http/ imports no feature: it is the plumbing every feature uses.')] }],
    },
  },
  {
    // events/ knows no feature at run time; its payload types name feature entities (erased, so allowed).
    files: ['server/src/events/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [{ group: featureImports('../'), allowTypeImports: true, message: 'events/ imports no feature (types only: payloads).' }],
        },
      ],
    },
  },
  {
    // Platform adapters implement the channel port (channels/port.ts); the alarm engine uses them, never the reverse.
    files: ['server/src/platforms/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [forbid(['**/alarms', '**/alarms/**'], 'platforms/ never import alarms/: use the channel port in channels/port.ts.')] },
      ],
    },
  },
  {
    // projector/ is the generic machinery of derived state; what is derived lives with its feature (a ProjectionStep)
    // and is composed in app.ts.
    files: ['server/src/projector/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [forbid(featureImports('../'), 'projector/ imports no feature: features hand it ProjectionSteps (composed in app.ts).')] },
      ],
    },
  },
  {
    // One way to open a transaction, with the isolation level chosen once (db/tx.ts, MYSQL_ISOLATION).
    files: ['server/src/**'],
    ignores: ['server/src/db/tx.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='transaction']",
          message: 'Open transactions with app.tx.run (db/tx.ts): it sets the isolation level and the race-test checkpoints.',
        },
        {
          selector: "CallExpression[callee.property.name='startTransaction']",
          message: 'Open transactions with app.tx.run (db/tx.ts): it sets the isolation level and the race-test checkpoints.',
        },
        // TypeORM gives the rows of a multi-row INSERT the ids insertId, +1, +2…: wrong whenever auto_increment_increment
        // is not 1 (a Galera cluster, where it also changes when a node leaves or joins). galera.md, docs/operations.md.
        ...['ArrayExpression', 'CallExpression[callee.property.name=/^(map|filter|flatMap|slice|concat)$/]', 'SpreadElement'].map((arg) => ({
          selector: `CallExpression[callee.property.name=/^(insert|save)$/] > ${arg}.arguments:first-child`,
          message:
            'Several rows in one TypeORM insert/save get derived ids: use insertRows (ids read back by a unique key) or insertRowsPlain (ids unread) from db/rows.ts.',
        })),
      ],
    },
  },
  {
    // shared/ is pure: types, schemas and rules for the server and the mini-app. No server, no mini-app, no IO.
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({ name, message: 'shared/ is pure: no Node / IO modules.' })),
          patterns: [
            forbid(['node:*'], 'shared/ is pure: no Node / IO modules.'),
            forbid(
              ['**/server/**', '**/miniapp/**', '@lifeline/server', '@lifeline/server/**', '@lifeline/miniapp', '@lifeline/miniapp/**'],
              'shared/ imports nothing from server/ or miniapp/.',
            ),
            forbid(
              ['typeorm', 'koa', '@koa/*', 'mysql2', 'mysql2/*', 'better-sqlite3', 'sqlite3', 'pino', 'undici', '@tarojs/*'],
              'shared/ is pure: no IO libraries.',
            ),
          ],
        },
      ],
    },
  },
  {
    // A NutUI component imported without its stylesheet renders unstyled (a grey primary button): only
    // miniapp/src/components/nutui.ts imports NutUI, each component together with its CSS.
    files: ['miniapp/src/**'],
    ignores: ['miniapp/src/components/nutui.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [forbid(['@nutui/*', '@nutui/**'], 'Import NutUI components from components/nutui.ts, which loads their CSS.')] },
      ],
    },
  },
  eslintConfigPrettier,
);
