// The app's end-to-end harness, shared by test/browser/*.test.ts: the built renderer served through
// the web host (scripts/web.mjs: what `npm run web` and `npm start` without Electron serve), opened
// in headless Debian Chromium with WebGPU on SwiftShader, with the ?debug hook (window.__regla).
// Screenshots go to test-results/<prefix>-<name>.png. Chromium absent: the suites skip outside CI
// and fail in CI (.ci/run installs it).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildRenderer } from '../../scripts/build.mjs';
import { serveApp, type WebHost } from '../../scripts/web.mjs';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-results');
// --disable-gpu-watchdog: SwiftShader compiles a pipeline on the GPU process's main thread (the
// fused capture kernel: 2.0-2.7 s each through its Vulkan driver in Node on a loaded 2-core machine)
// and a compile slowed further by CI running lavapipe tests beside it could outlast
// the watchdog, which would kill the GPU process (a lost device) for no fault of the app.
const ARGS = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--disable-gpu-watchdog', '--no-sandbox', '--disable-background-networking', '--no-first-run'];
/** Skip the browser suites only where Chromium is absent outside CI. */
export const skipBrowser = !existsSync(CHROMIUM) && !process.env['CI'];
/** Generation + analysis of a few tokens on SwiftShader takes tens of seconds. */
export const RUN_MS = 240_000;

export interface AppHarness {
  page: Page;
  /** The served app's base URL (no trailing slash). */
  url: string;
  /** A temporary folder for the test's own files (removed by close()). */
  work: string;
  /** The page's console messages and uncaught errors. */
  log: string[];
  /** The run-status line once the current run is done (or failed). */
  waitRun(timeout?: number): Promise<string>;
  /** Runs a command through the palette (Ctrl+Shift+P, type, Enter) once the filtered list
   *  highlights the entry whose title starts with `title`; resolves when the palette has closed. */
  command(title: string): Promise<void>;
  /** A screenshot to test-results/<prefix>-<name>.png. */
  shot(name: string, o?: { fullPage?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** Builds the renderer, serves it and opens a page on it (not navigated yet: goto(`${url}/?debug`)). */
export async function openApp(prefix: string, o: { viewport?: { width: number; height: number } } = {}): Promise<AppHarness> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (CI needs it: .ci/run installs it)`);
  const work = mkdtempSync(join(tmpdir(), `regla-${prefix}-`));
  let server: WebHost | null = null;
  let browser: Browser | null = null;
  const close = async (): Promise<void> => {
    await browser?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const site = await buildRenderer(join(work, 'renderer'));
    server = await serveApp({ renderer: site });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const context = await browser.newContext({ viewport: o.viewport ?? { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    return {
      page,
      url: server.url,
      work,
      log,
      waitRun: async (timeout = RUN_MS) => {
        await page.waitForSelector('[data-testid=run-status][data-status="done"], [data-testid=run-status][data-status="error"]', { timeout });
        return (await page.textContent('[data-testid=run-status]')) ?? '';
      },
      command: async (title) => {
        await page.keyboard.press('Control+Shift+P');
        await page.fill('[data-testid=palette-input]', title);
        await page.waitForFunction((t) => document.querySelector('.palette li.active')?.textContent?.startsWith(t) ?? false, title, { timeout: 10_000 });
        await page.keyboard.press('Enter');
        await page.waitForSelector('.palette', { state: 'detached', timeout: 10_000 });
      },
      shot: async (name, so = {}) => {
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, `${prefix}-${name}.png`), ...(so.fullPage ? { fullPage: true } : {}) });
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
