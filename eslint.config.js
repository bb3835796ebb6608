// ESLint 9 flat config: typescript-eslint (typed rules where they are cheap and catch real bugs:
// floating promises, misused promises), and the layering of architecture.md enforced twice over
// the per-folder tsconfigs: bare-module bans per folder (no-restricted-imports) and a small local
// rule for relative imports (which folder may reach which), since the core rule only sees strings.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import { builtinModules } from 'node:module';
import { dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import tseslint from 'typescript-eslint';

const ROOT = import.meta.dirname;
const CODE = ['**/*.{ts,mts,cts,tsx,js,mjs,cjs}'];
const TS = ['**/*.{ts,mts,cts,tsx}'];

// ---------------------------------------------------------------- relative imports between folders

/** Repo-relative, '/'-separated, without a code extension: 'shaders/index'. */
function repoPath(file) {
  const rel = relative(ROOT, file).split('\\').join('/');
  return rel.replace(/\.(?:[cm]?[jt]sx?)$/, '');
}

/** 'x/' matches a folder, anything else one module (extension-free). */
function within(path, entries) {
  return entries.some((e) => (e.endsWith('/') ? path.startsWith(e) : path === e.replace(/\.(?:[cm]?[jt]sx?)$/, '')));
}

const layersPlugin = {
  rules: {
    'allowed-imports': {
      meta: {
        type: 'problem',
        docs: { description: 'Relative imports may only reach the folders a layer is allowed to depend on' },
        schema: [
          {
            type: 'object',
            properties: {
              allow: { type: 'array', items: { type: 'string' } },
              typeOnly: { type: 'array', items: { type: 'string' } },
              why: { type: 'string' },
            },
            additionalProperties: false,
          },
        ],
        messages: {
          outside: "'{{spec}}' reaches {{target}}, outside what this layer may import ({{allowed}}). {{why}}",
          typeOnly: "'{{spec}}' may only be imported with `import type` from here. {{why}}",
        },
      },
      create(context) {
        const { allow = [], typeOnly = [], why = '' } = context.options[0] ?? {};
        const here = context.filename;
        function check(node, source, isType) {
          const spec = source && typeof source.value === 'string' ? source.value : null;
          if (!spec || !(spec.startsWith('./') || spec.startsWith('../'))) return;
          const abs = resolve(dirname(here), spec);
          const rel = relative(ROOT, abs);
          if (rel.startsWith('..') || isAbsolute(rel)) return;
          const target = repoPath(abs);
          if (within(target, allow)) return;
          if (within(target, typeOnly)) {
            if (!isType) context.report({ node, messageId: 'typeOnly', data: { spec, why } });
            return;
          }
          const ext = extname(spec);
          context.report({
            node,
            messageId: 'outside',
            data: { spec, target: target + (ext === '.js' ? '' : ext), allowed: [...allow, ...typeOnly.map((t) => `type ${t}`)].join(', '), why },
          });
        }
        const typeOnlyImport = (n) =>
          n.importKind === 'type' || (n.specifiers.length > 0 && n.specifiers.every((s) => s.importKind === 'type'));
        return {
          ImportDeclaration: (n) => check(n, n.source, typeOnlyImport(n)),
          ExportNamedDeclaration: (n) => check(n, n.source, n.exportKind === 'type'),
          ExportAllDeclaration: (n) => check(n, n.source, n.exportKind === 'type'),
          ImportExpression: (n) => check(n, n.source, false),
        };
      },
    },
  },
};

/** Which folders each layer's relative imports may reach (architecture.md, "The shape"). */
const LAYERS = [
  { files: ['shaders/**'], allow: ['shaders/'], why: 'The engine imports nothing of ours.' },
  {
    files: ['renderer/**'],
    allow: ['renderer/', 'shaders/index'],
    typeOnly: ['main/ipc/'],
    why: 'The renderer reaches the engine through shaders/index.ts and main/ipc only for types.',
  },
  { files: ['main/app/**'], allow: ['main/app/', 'main/ipc/', 'electron.config'], why: 'Electron main depends on the IPC contract only.' },
  { files: ['main/preload/**'], allow: ['main/preload/', 'main/ipc/'], why: 'The preload depends on the IPC contract only.' },
  { files: ['main/ipc/**'], allow: ['main/ipc/'], why: 'The contract stands alone.' },
  { files: ['main/cli/**'], allow: ['main/cli/', 'shaders/index', 'samples/'], why: 'The CLI reaches the engine through shaders/index.ts.' },
];

// ---------------------------------------------------------------- bare modules per folder

const NODE = [...new Set(builtinModules.filter((m) => !m.startsWith('_')))];

/** Each ban names modules and where they are banned (`in`) or allowed (`except`), as folder prefixes. */
const BANS = [
  { names: ['electron'], except: ['main/app/', 'main/preload/'], message: 'electron is imported only in main/app and main/preload.' },
  { names: ['zustand'], except: ['renderer/state/'], message: 'zustand is imported only in renderer/state.' },
  { names: ['d3'], groups: ['d3-*'], except: ['renderer/viz/'], message: 'd3 is imported only in renderer/viz.' },
  { names: NODE, groups: ['node:*'], in: ['shaders/', 'renderer/'], message: 'The engine and the renderer run in a browser: no Node modules.' },
  { names: ['webgpu'], in: ['shaders/', 'renderer/'], message: 'The host hands the engine its GPU; Dawn for Node belongs to the CLI and tests.' },
  { names: ['react', 'react-dom'], groups: ['react/*', 'react-dom/*'], in: ['shaders/'], message: 'The engine has no UI.' },
  { names: ['vitest'], groups: ['vitest/*'], in: ['shaders/', 'main/', 'renderer/'], message: 'Test tooling stays in test/.' },
];

/** Representative file per region; regions later in the list are more specific and win. */
const REGIONS = [
  { files: CODE, at: 'x.ts' },
  { files: ['shaders/**'], at: 'shaders/x.ts' },
  { files: ['renderer/**'], at: 'renderer/x.ts' },
  { files: ['renderer/state/**'], at: 'renderer/state/x.ts' },
  { files: ['renderer/viz/**'], at: 'renderer/viz/x.ts' },
  { files: ['main/**'], at: 'main/x.ts' },
  { files: ['main/app/**', 'main/preload/**'], at: 'main/app/x.ts' },
  // The app's static config is plain data: it may name electron's types, nothing at run time.
  { files: ['electron.config.ts'], at: 'electron.config.ts', typeImports: ['electron'] },
];

function restrictedImports(at, typeImports = []) {
  const applies = (b) => (b.in ? b.in.some((p) => at.startsWith(p)) : !(b.except ?? []).some((p) => at.startsWith(p)));
  const bans = BANS.filter(applies);
  const paths = bans.flatMap((b) =>
    b.names.map((name) => ({ name, message: b.message, ...(typeImports.includes(name) ? { allowTypeImports: true } : {}) })),
  );
  const patterns = bans.filter((b) => b.groups).map((b) => ({ group: b.groups, message: b.message }));
  return ['error', { paths, patterns }];
}

// ---------------------------------------------------------------- the config

export default defineConfig(
  globalIgnores(['node_modules/', 'dist/', '.gpu/', '.bench/', '.scratch/', 'test-results/', 'fla/', 'coverage/', '**/*.d.ts', '**/*.d.mts']),
  {
    files: CODE,
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: TS,
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['electron.config.ts', 'vitest.config.ts'], defaultProject: 'main/tsconfig.json' },
        tsconfigRootDir: ROOT,
      },
    },
    rules: {
      'no-undef': 'off', // TypeScript checks names against each folder's real environment
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // Layering: bare modules by folder, then relative imports by folder.
  ...REGIONS.map((r) => ({
    files: r.files,
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { 'no-restricted-imports': 'off', '@typescript-eslint/no-restricted-imports': restrictedImports(r.at, r.typeImports) },
  })),
  ...LAYERS.map((l) => ({
    files: l.files,
    plugins: { layers: layersPlugin },
    rules: { 'layers/allowed-imports': ['error', { allow: l.allow, typeOnly: l.typeOnly ?? [], why: l.why }] },
  })),
  {
    files: ['shaders/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['renderer/**', 'test/browser/suite.ts', 'test/browser/cases/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
