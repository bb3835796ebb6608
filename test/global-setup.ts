// Vitest global setup: builds the CLI bundle once, before any worker starts, so the CLI test files
// (which run in parallel workers) never race each other rebuilding dist/cli/regla.mjs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const build = spawnSync(process.execPath, ['scripts/build.mjs', 'cli'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`CLI build failed: ${build.stderr || build.stdout}`);
}
