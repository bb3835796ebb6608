// Builds with esbuild (.wgsl files load as text everywhere).
//   node scripts/build.mjs [app]              main (ESM) + preload (CJS) + renderer → dist/, and the CLI if present
//   node scripts/build.mjs main|preload|renderer|cli|bench [--out DIR]
//   node scripts/build.mjs bundle <entry.ts> <out.mjs> [--platform node|browser] [--minify] [--sourcemap]
// --out is the output root (dist/), or for `renderer` the page's own folder (dist/renderer).
// `bundle` is what the CLI, benches and browser tests use; for node the `webgpu` package (Dawn's
// native addon) stays external, so bundles run where node_modules/webgpu or .gpu/run.sh provides it.
import { build } from 'esbuild';
import { chmod, copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Syntax floors, not exact versions: Electron 45 ships a newer Chromium and Node than these. */
const ELECTRON_NODE = 'node22';
const ELECTRON_CHROME = 'chrome130';

const common = {
  bundle: true,
  // No keepNames: it wraps every closure in a renaming call each time the closure is made (~1 ms of a
  // captured prefill's host time on the H200). Error classes carry their names as fields instead.
  keepNames: false,
  logLevel: 'warning',
  loader: { '.wgsl': 'text' },
  absWorkingDir: ROOT,
  legalComments: 'none',
};

/** ESM bundles for Node still contain CommonJS require() calls from dependencies. */
const NODE_ESM_BANNER =
  "import { createRequire as __regla_createRequire } from 'node:module'; const require = __regla_createRequire(import.meta.url);";

async function size(file) {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

function report(name, out, bytes) {
  process.stdout.write(`built ${name} → ${relative(ROOT, out) || out} (${(bytes / 1024).toFixed(0)} KiB)\n`);
}

/** One entry → one file. platform 'node' gives ESM with webgpu external; 'browser' gives an ESM bundle. */
export async function bundle(entry, outfile, { platform = 'node', minify = false, sourcemap = false, banner = '' } = {}) {
  const out = resolve(ROOT, outfile);
  const node = platform === 'node';
  await build({
    ...common,
    entryPoints: [resolve(ROOT, entry)],
    outfile: out,
    platform: node ? 'node' : 'browser',
    format: 'esm',
    target: node ? 'node20' : 'es2022',
    external: node ? ['webgpu', 'electron'] : [],
    jsx: 'automatic',
    ...(node ? {} : { define: { 'process.env.NODE_ENV': '"production"' } }),
    banner: { js: [banner, node ? NODE_ESM_BANNER : ''].filter(Boolean).join('\n') },
    minify,
    sourcemap,
  });
  report(`bundle ${relative(ROOT, resolve(ROOT, entry))}`, out, await size(out));
  return out;
}

export async function buildMain(outDir = 'dist') {
  const out = resolve(ROOT, outDir, 'main/app/main.js');
  await build({
    ...common,
    entryPoints: [join(ROOT, 'main/app/main.ts')],
    outfile: out,
    platform: 'node',
    format: 'esm',
    target: ELECTRON_NODE,
    external: ['electron'],
    banner: { js: NODE_ESM_BANNER },
    sourcemap: 'linked',
  });
  report('main', out, await size(out));
  return out;
}

/** Sandboxed preloads must be CommonJS scripts; only `electron` may be required at run time. */
export async function buildPreload(outDir = 'dist') {
  const out = resolve(ROOT, outDir, 'main/preload/preload.cjs');
  await build({
    ...common,
    entryPoints: [join(ROOT, 'main/preload/preload.ts')],
    outfile: out,
    platform: 'node',
    format: 'cjs',
    target: ELECTRON_CHROME,
    external: ['electron'],
    sourcemap: 'inline',
  });
  report('preload', out, await size(out));
  return out;
}

/** The renderer page: main.js (React, production build) + index.html + style.css in one folder. */
export async function buildRenderer(outDir = 'dist/renderer', { minify = true } = {}) {
  const dir = resolve(ROOT, outDir);
  await mkdir(dir, { recursive: true });
  await build({
    ...common,
    entryPoints: [join(ROOT, 'renderer/main.tsx')],
    outfile: join(dir, 'main.js'),
    platform: 'browser',
    format: 'esm',
    target: ELECTRON_CHROME,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    minify,
    sourcemap: 'linked',
  });
  for (const f of ['index.html', 'style.css']) await copyFile(join(ROOT, 'renderer', f), join(dir, f));
  await copyKatex(join(dir, 'katex'));
  report('renderer', dir, await size(join(dir, 'main.js')));
  return dir;
}

/**
 * KaTeX's stylesheet and its woff2 fonts (the tour's equations) beside the page: the CSP allows
 * styles and fonts from 'self' only, so they cannot come inline or as data: URLs. Browsers take the
 * first format they support, woff2, so the .woff/.ttf fallbacks the CSS also names are not copied.
 */
async function copyKatex(out) {
  const src = join(ROOT, 'node_modules/katex/dist');
  await mkdir(join(out, 'fonts'), { recursive: true });
  await copyFile(join(src, 'katex.min.css'), join(out, 'katex.min.css'));
  for (const f of await readdir(join(src, 'fonts'))) if (f.endsWith('.woff2')) await copyFile(join(src, 'fonts', f), join(out, 'fonts', f));
}

/** Optional entries (paths under the output folder): they exist once their owners land them. */
const OPTIONAL = {
  cli: { entry: 'main/cli/regla.ts', out: 'cli/regla.mjs', banner: '#!/usr/bin/env node' },
  bench: { entry: 'test/bench/bench.ts', out: 'bench/bench.mjs', banner: '' },
};

async function buildOptional(name, required, outDir = 'dist') {
  const t = OPTIONAL[name];
  if (!existsSync(join(ROOT, t.entry))) {
    if (required) throw new Error(`${name}: its entry ${t.entry} does not exist yet`);
    return null;
  }
  const out = await bundle(t.entry, join(outDir, t.out), { platform: 'node', banner: t.banner, sourcemap: 'linked' });
  if (t.banner.startsWith('#!')) await chmod(out, 0o755); // runnable as ./dist/cli/regla.mjs
  return out;
}

/** main + preload + renderer (what Electron loads), plus the CLI when it exists. */
export async function buildApp(outDir = 'dist') {
  await Promise.all([
    buildMain(outDir),
    buildPreload(outDir),
    buildRenderer(join(outDir, 'renderer')),
    buildOptional('cli', false, outDir),
  ]);
}

function option(args, name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

function flag(args, name) {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}

const USAGE = 'usage: node scripts/build.mjs [app|main|preload|renderer|cli|bench] [--out DIR]\n' +
  '       node scripts/build.mjs bundle <entry.ts> <out.mjs> [--platform node|browser] [--minify] [--sourcemap]';

async function cli(argv) {
  const args = [...argv];
  const target = args.shift() ?? 'app';
  if (target === 'bundle') {
    const platform = option(args, '--platform', 'node');
    if (platform !== 'node' && platform !== 'browser') throw new Error(`--platform must be node or browser, not ${platform}`);
    const minify = flag(args, '--minify');
    const sourcemap = flag(args, '--sourcemap') ? 'inline' : false;
    const [entry, out, ...rest] = args;
    if (!entry || !out || rest.length) throw new Error(USAGE);
    await bundle(entry, out, { platform, minify, sourcemap });
    return;
  }
  const out = option(args, '--out', undefined);
  if (args.length) throw new Error(`unexpected arguments: ${args.join(' ')}\n${USAGE}`);
  switch (target) {
    case 'app':
      return buildApp(out);
    case 'main':
      return void (await buildMain(out));
    case 'preload':
      return void (await buildPreload(out));
    case 'renderer':
      return void (await buildRenderer(out));
    case 'cli':
    case 'bench':
      return void (await buildOptional(target, true, out));
    default:
      throw new Error(`unknown target ${target}\n${USAGE}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cli(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`build failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
