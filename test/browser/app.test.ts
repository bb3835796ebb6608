// The app end to end (issue #5): the built renderer through the web host (scripts/web.mjs, the same
// server `npm run web` and `npm start` without Electron use), in headless Debian Chromium with WebGPU
// on SwiftShader: it opens with the bundled samples and loads one, generates, follows a hovered and
// a locked token across the panels, compares two variants with shared and separate scales, profiles
// and exports a trace (validated) and a PNG. Screenshots go to test-results/app-*.png. Skips only
// when Chromium is absent outside CI; in CI that is a failure.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRenderer } from '../../scripts/build.mjs';
import { serveApp, type WebHost } from '../../scripts/web.mjs';
import { validateTrace } from '../unit/trace-validate.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-results');
const ARGS = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--no-sandbox', '--disable-background-networking', '--no-first-run'];
const skip = !existsSync(CHROMIUM) && !process.env['CI'];
/** Generation + analysis of a few tokens on SwiftShader takes tens of seconds. */
const RUN_MS = 240_000;

describe.skipIf(skip)('the app in Chromium through the web host', () => {
  let work = '';
  let server: WebHost | null = null;
  let browser: Browser | null = null;
  let page: Page;
  const log: string[] = [];

  const shot = async (name: string): Promise<void> => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `app-${name}.png`) });
  };
  const waitRun = async (): Promise<string> => {
    await page.waitForSelector('[data-testid=run-status][data-status="done"], [data-testid=run-status][data-status="error"]', { timeout: RUN_MS });
    return (await page.textContent('[data-testid=run-status]')) ?? '';
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (CI needs it: .ci/run installs it)`);
    work = mkdtempSync(join(tmpdir(), 'regla-app-'));
    const site = await buildRenderer(join(work, 'renderer'));
    server = await serveApp({ renderer: site });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('opens with every bundled sample listed and the ReGLA sample loaded, no setup', async () => {
    await page.goto(`${server?.url}/`);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
    expect(await page.getAttribute('body', 'data-state'), log.join('\n')).toBe('ready');
    const options = await page.locator('[data-testid=model-select] option').allTextContents();
    const index = JSON.parse(readFileSync(join(ROOT, 'samples/models/index.json'), 'utf8')) as { models: Array<{ name: string }> };
    expect(options).toEqual(index.models.map((m) => `${m.name} (sample)`));
    expect(await page.inputValue('[data-testid=model-select]')).toBe('sample:regla');
    expect(await page.textContent('[data-testid=gpu-badge]')).toMatch(/GPU timestamps|CPU timing only/);
  }, 150_000);

  it('generates: streamed tokens with log-probabilities, then the analysis', async () => {
    await page.fill('[data-testid=prompt]', 'It was the best of times');
    await page.fill('[data-testid=max-tokens]', '8');
    await page.click('[data-testid=generate]');
    const status = await waitRun();
    expect(status, log.join('\n')).toContain('done');
    const tokens = page.locator('[data-testid=tokens] .tok');
    const n = await tokens.count();
    const prompt = await page.locator('[data-testid=tokens] .tok.prompt').count();
    expect(prompt).toBeGreaterThan(1);
    expect(n - prompt).toBeGreaterThan(0);
    expect(n - prompt).toBeLessThanOrEqual(8);
    await shot('generated');
  }, RUN_MS);

  it('a hovered token is previewed and a clicked one locked in the details; Esc clears', async () => {
    await page.hover('[data-testid=tokens] .tok[data-pos="3"]');
    expect(await page.textContent('[data-testid=token-details]')).toContain('#3');
    expect(await page.textContent('[data-testid=token-details]')).toMatch(/log p -?\d+\.\d{3}/);
    await page.click('[data-testid=tokens] .tok[data-pos="2"]');
    await page.hover('[data-testid=prompt]');
    expect(await page.locator('.tok.locked').getAttribute('data-pos')).toBe('2');
    expect(await page.textContent('[data-testid=token-details]')).toContain('#2');
    await page.keyboard.press('Escape');
    expect(await page.locator('.tok.locked').count()).toBe(0);
    await page.click('[data-testid=tokens] .tok[data-pos="2"]');
  });

  it('a dropped folder that is not a model gives a named error banner and keeps the model and the run', async () => {
    const before = await page.textContent('[data-testid=tokens]');
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['just text'], 'notes.txt', { type: 'text/plain' }));
      document.querySelector('.app')?.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    const alert = page.locator('.notice.error').last();
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toMatch(/ModelFolderError: .*config\.json/);
    expect(await page.inputValue('[data-testid=model-select]')).toBe('sample:regla');
    expect(await page.textContent('[data-testid=tokens]')).toBe(before);
    expect(await page.locator('.progress').count(), 'the progress line is cleared').toBe(0);
    await alert.locator('button').click();
  });

  it('every panel follows the locked token (screenshots of each)', async () => {
    await page.click('[data-testid=tokens] .tok[data-pos="4"]');
    expect(await page.locator('.tok.locked').getAttribute('data-pos')).toBe('4');
    await page.click('[data-testid=tab-gates]');
    await expect.poll(() => page.textContent('[data-testid=gates-readout]')).toContain('#4');
    await shot('gates');
    await page.click('[data-testid=tab-saturation]');
    await page.waitForSelector('[data-testid=saturation-panel]');
    expect(await page.locator('[data-testid=sat-row]').count()).toBeGreaterThan(0);
    await shot('saturation');
    for (const tab of ['features', 'state']) {
      await page.click(`[data-testid=tab-${tab}]`);
      await page.waitForSelector(`[data-testid=${tab}-panel]`);
      await expect.poll(() => page.textContent(`[data-testid=${tab}-panel]`)).toContain('at #4');
      await shot(tab);
    }
    await page.click('[data-testid=tab-attention]');
    await page.waitForSelector('[data-testid=attention-focus-row]', { timeout: 120_000 });
    await expect.poll(() => page.textContent('[data-testid=attention-panel]')).toContain('Row of token #4');
    await shot('attention');
    await page.click('[data-testid=tab-training]');
    await page.waitForSelector('[data-testid=train-loss]');
    await shot('training');
  }, RUN_MS);

  it('profiles the run, then exports a trace that validates and the panel as a PNG', async () => {
    await page.click('[data-testid=tab-kernels]');
    await page.click('[data-testid=profile]');
    await page.waitForSelector('[data-testid=kernel-table] tbody tr', { timeout: RUN_MS });
    expect(await page.textContent('[data-testid=precision-badge]')).toMatch(/timestamps|quantized|CPU timing/);
    await shot('kernels');
    const viaPalette = async (title: string) => {
      await page.keyboard.press('Control+Shift+P');
      await page.fill('[data-testid=palette-input]', title);
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
      return readFileSync(await download.path());
    };
    const trace = JSON.parse((await viaPalette('Export Trace')).toString('utf8')) as unknown;
    expect(validateTrace(trace)).toEqual([]);
    const png = await viaPalette('Export Panel as PNG');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(2000);
  }, RUN_MS);

  it('compares two variants on one prompt, with shared and separate colour scales', async () => {
    await page.click('[data-testid=tab-compare]');
    await page.check('[data-testid=cmp-model-gla]');
    await page.check('[data-testid=cmp-model-regla]');
    await page.fill('[data-testid=cmp-max-tokens]', '4');
    await page.click('[data-testid=cmp-run-all]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=cmp-col]').length === 2, undefined, { timeout: 2 * RUN_MS });
    await page.waitForSelector('[data-testid=cmp-kl-exact-summary]', { timeout: RUN_MS });
    expect(await page.textContent('[data-testid=cmp-kl-exact-summary]')).toMatch(/gla \d+\.\d{3}|regla \d+\.\d{3}/);
    // The gate heatmaps' legends (the first legend of each column): one shared legend, or one per run.
    const legends = () => page.locator('[data-testid=cmp-col]').evaluateAll((cols) => cols.map((c) => [...c.querySelectorAll('.legend')].map((l) => l.getAttribute('aria-label') ?? '').find((l) => !l.startsWith('Δ')) ?? null));
    await page.check('[data-testid=cmp-shared-scale]');
    const shared = await legends();
    expect(shared[0]).toMatch(/shared scale/);
    expect(shared.slice(1).every((l) => l === null)).toBe(true);
    await shot('compare-shared');
    await page.uncheck('[data-testid=cmp-shared-scale]');
    const separate = await legends();
    expect(separate.every((l) => l !== null && !/shared/.test(l))).toBe(true);
    await shot('compare');
  }, 3 * RUN_MS);
});
