// npm start: builds main + preload + renderer and launches Electron on them. Without Electron's
// binary (its download host was unreachable at install) it says so in one line and serves the
// same UI through the web host (scripts/web.mjs) instead, until Ctrl+C.
//   npm start [-- --no-build] [-- --port N] [-- <Electron arguments, e.g. --inspect=9229>]
// --port applies to the web host only (default 5173, any free port when that one is taken).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ROOT, buildApp, buildRenderer } from './build.mjs';
import { serveApp } from './web.mjs';

const require = createRequire(import.meta.url);

/**
 * The Electron executable, or null. Mirrors electron/index.js without requiring it first, because
 * requiring it when the binary is missing starts a download that cannot succeed offline.
 */
export function electronBinary() {
  let pkg;
  try {
    pkg = dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = join(pkg, 'path.txt');
  const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : '';
  const override = process.env['ELECTRON_OVERRIDE_DIST_PATH'];
  const candidate = override ? join(override, rel || 'electron') : rel ? join(pkg, 'dist', rel) : null;
  if (!candidate || !existsSync(candidate)) return null;
  const resolved = require('electron');
  return typeof resolved === 'string' && existsSync(resolved) ? resolved : null;
}

/** Splits our own options (--no-build, --port N) from Electron's arguments. */
export function parseArgs(argv) {
  const rest = [];
  let build = true;
  let port = 5173;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') build = false;
    else if (a === '--port') {
      port = Number(argv[++i]);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port needs a port number, got ${argv[i]}`);
    } else rest.push(a);
  }
  return { build, port, rest };
}

async function serveFallback({ build, port }) {
  if (build) await buildRenderer();
  let server;
  try {
    server = await serveApp({ port });
  } catch (e) {
    if (e?.code !== 'EADDRINUSE' || port === 0) throw e;
    server = await serveApp({ port: 0 });
  }
  process.stdout.write(
    `ReGLA Studio (web host) at ${server.url}/ — open it in a browser with WebGPU ` +
      '(Chromium on Linux: --enable-unsafe-webgpu; without a GPU also --enable-unsafe-swiftshader). Ctrl+C stops.\n',
  );
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      void server.close().finally(() => process.exit(0));
    });
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const electron = electronBinary();
  if (!electron) {
    process.stderr.write(
      "npm start: Electron's binary is not installed (`node node_modules/electron/install.js` fetches it where GitHub is reachable); " +
        'serving the same UI through the web host instead.\n',
    );
    await serveFallback(args);
    return;
  }
  if (args.build) await buildApp();
  const child = spawn(electron, ['.', ...args.rest], { cwd: ROOT, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((e) => {
  process.stderr.write(`npm start failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
