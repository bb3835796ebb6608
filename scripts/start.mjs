// npm start: builds main + preload + renderer and launches Electron on them. Without Electron's
// binary (its download host was unreachable at install) it says so in one line and exits 1.
// Extra arguments go to Electron: `npm start -- --inspect=9229`.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ROOT, buildApp } from './build.mjs';

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

async function main() {
  const electron = electronBinary();
  if (!electron) {
    process.stderr.write(
      "npm start: Electron's binary is not installed; run `node node_modules/electron/install.js` where GitHub is reachable " +
        '(a web host that needs no Electron comes later).\n',
    );
    process.exit(1);
  }
  await buildApp();
  const child = spawn(electron, ['.', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((e) => {
  process.stderr.write(`npm start failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
