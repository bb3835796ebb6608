// npm postinstall: fetches Electron's binary with electron's own install.js (its package script is
// off in allowScripts) and, when its download host is unreachable, says so in one line instead of
// a stack trace. Never fails the install: the engine, CLI and tests do not need Electron.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let install;
try {
  install = require.resolve('electron/install.js');
} catch {
  install = null;
}
if (!install || !existsSync(install)) {
  process.stdout.write('electron: package not installed; skipping its binary\n');
} else {
  const r = spawnSync(process.execPath, [install], { encoding: 'utf8', timeout: 180_000 });
  if (r.status === 0) {
    process.stdout.write('electron: binary ready\n');
  } else {
    const why = r.error ? r.error.message : (r.stderr.split('\n').find((l) => l.trim()) ?? `exit ${r.status}`).trim();
    process.stdout.write(
      `electron: binary not downloaded (${why}); npm start needs it: run \`node node_modules/electron/install.js\` where GitHub is reachable\n`,
    );
  }
}
