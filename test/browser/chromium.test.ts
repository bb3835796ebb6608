// Browser tests: bundles the in-page suite (suite.ts) and the renderer with scripts/build.mjs,
// serves them from 127.0.0.1, runs them in headless Debian Chromium (WebGPU on SwiftShader) via
// playwright-core, and asserts every case passed. Keeps the suite's JSON in test-results/. (The app
// itself is tested end to end in app.test.ts.) Skips only when Chromium is absent outside CI; in CI
// that is a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES } from './cases.js';
import type { SuiteResult } from './harness.js';
import { serveApp, type WebHost } from '../../scripts/web.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-results');
const ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SUITE_TIMEOUT_MS = 90_000;

const skip = !existsSync(CHROMIUM) && !process.env['CI'];

function build(args: string[]): void {
  const r = spawnSync(process.execPath, ['scripts/build.mjs', ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/build.mjs ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

/** Console output and page errors, quoted in failure messages. */
function recordLog(page: Page): string[] {
  const log: string[] = [];
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  return log;
}

describe.skipIf(skip)('Chromium (WebGPU on SwiftShader)', () => {
  let work = '';
  let server: WebHost | null = null;
  let browser: BrowserContext | null = null;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (CI needs it: .ci/run installs it)`);
    work = mkdtempSync(join(tmpdir(), 'regla-browser-'));
    const site = join(work, 'site');
    mkdirSync(join(site, 'suite'), { recursive: true });
    build(['bundle', 'test/browser/suite.ts', join(site, 'suite/suite.js'), '--platform', 'browser']);
    writeFileSync(
      join(site, 'suite/index.html'),
      '<!doctype html><meta charset="utf-8"><title>browser suite</title><body data-state="running"><script type="module" src="./suite.js"></script>',
    );
    // The web host serves the bundled sample models at /samples/ beside the site (cases/samples.ts).
    server = await serveApp({ renderer: site });
    // A fresh profile every run: no cached shaders, no state from earlier runs.
    browser = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    if (!browser) throw new Error('Chromium did not start');
    return browser.newPage();
  }

  it('every engine case matches its float64 twin in the browser', async () => {
    const page = await newPage();
    const log = recordLog(page);
    await page.goto(`${server?.url}/suite/index.html`);
    await page.waitForFunction(() => window.__suiteResult !== undefined, undefined, { timeout: SUITE_TIMEOUT_MS }).catch((e: unknown) => {
      throw new Error(`the suite published no result in ${SUITE_TIMEOUT_MS / 1000} s (${String(e)})\n${log.join('\n')}`);
    });
    const result = (await page.evaluate(() => window.__suiteResult)) as SuiteResult;
    await page.close();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'browser-suite.json'), `${JSON.stringify(result, null, 2)}\n`);

    expect(result.error, `suite did not start:\n${log.join('\n')}`).toBeUndefined();
    expect(result.cases.map((c) => c.name)).toEqual(CASES.map((c) => c.name));
    const failures = result.cases.filter((c) => !c.ok).map((c) => `${c.name}: ${c.message}`);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
