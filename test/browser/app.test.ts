// The app end to end (issue #5): the built renderer through the web host (scripts/web.mjs, the same
// server `npm run web` and `npm start` without Electron use), in headless Debian Chromium with WebGPU
// on SwiftShader: it opens with the bundled samples and loads one, generates, follows a hovered and
// a locked token across the panels, compares two variants with shared and separate scales, profiles
// and exports a trace (validated) and a PNG. Screenshots go to test-results/app-*.png. Skips only
// when Chromium is absent outside CI; in CI that is a failure.
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openApp, ROOT, RUN_MS, skipBrowser, type AppHarness } from './app-harness.js';
import { validateTrace } from '../unit/trace-validate.js';
import { expectedWeights, parseConfig } from '../../shaders/index.js';

declare global {
  interface Window {
    /** The app's debug hook (renderer/App.tsx): its store, and a way to lose the GPU device. */
    __regla?: { store: { getState(): { runOrder: string[] } }; loseDevice(): void };
  }
}


describe.skipIf(skipBrowser)('the app in Chromium through the web host', () => {
  let app: AppHarness | null = null;
  let page: Page;
  let command: AppHarness['command'];
  let log: string[] = [];
  let work = '';
  let url = '';

  const shot = async (name: string): Promise<void> => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `app-${name}.png`) });
  };
  const waitRun = async (): Promise<string> => {
    await page.waitForSelector('[data-testid=run-status][data-status="done"], [data-testid=run-status][data-status="error"]', { timeout: RUN_MS });
    return (await page.textContent('[data-testid=run-status]')) ?? '';
  };

  beforeAll(async () => {
    app = await openApp('app');
    ({ page, log, work, command } = app);
    url = app.url;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('opens with every bundled sample listed and the ReGLA sample loaded, no setup', async () => {
    await page.goto(`${url}/?debug`);
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
      const [download] = await Promise.all([page.waitForEvent('download'), command(title)]);
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

  it('a model too large for the GPU gets a named OutOfMemoryError banner; the current model and runs stay', async () => {
    // A real folder whose weights (a 327 680 × 4096 embedding: 5.4 GB) exceed any WebGPU buffer limit.
    // The file is sparse: the header is real, the data is holes, and the check comes before any read.
    const dir = join(work, 'huge-model');
    mkdirSync(dir, { recursive: true });
    const json = { model_type: 'regla', hidden_size: 4096, num_hidden_layers: 1, num_heads: 32, vocab_size: 327680, intermediate_size: 11008 };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(json));
    copyFileSync(join(ROOT, 'samples/models/regla/tokenizer.json'), join(dir, 'tokenizer.json'));
    const header: Record<string, unknown> = {};
    let at = 0;
    for (const w of expectedWeights(parseConfig(json))) {
      const bytes = w.shape.reduce((a, b) => a * b, 1) * 4;
      header[w.name] = { dtype: 'F32', shape: w.shape, data_offsets: [at, at + bytes] };
      at += bytes;
    }
    const hb = Buffer.from(JSON.stringify(header).padEnd(Math.ceil(JSON.stringify(header).length / 8) * 8, ' '));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(hb.length));
    const file = join(dir, 'model.safetensors');
    writeFileSync(file, Buffer.concat([prefix, hb]));
    truncateSync(file, 8 + hb.length + at);
    const before = await page.textContent('[data-testid=tokens]');
    const runsBefore = await page.evaluate(() => window.__regla?.store.getState().runOrder.length ?? -1);
    const chooser = page.waitForEvent('filechooser');
    await page.click('button[title^="Open Model Folder"]');
    await (await chooser).setFiles(dir);
    const alert = page.locator('.notice.error').last();
    await alert.waitFor({ timeout: 60_000 });
    expect(await alert.textContent()).toMatch(/OutOfMemoryError: .*model\.embeddings\.weight: \d+ bytes exceeds this device's limit/);
    expect(await page.inputValue('[data-testid=model-select]')).toBe('sample:regla');
    expect(await page.textContent('[data-testid=tokens]')).toBe(before);
    expect(await page.evaluate(() => window.__regla?.store.getState().runOrder.length ?? -1)).toBe(runsBefore);
    expect(await page.locator('.progress').count(), 'the progress line is cleared').toBe(0);
    await shot('oversized-model');
    await alert.locator('button').click();
  });

  it('a sweep streams its rows as they are measured and can be cancelled', async () => {
    await page.click('[data-testid=tab-sweeps]');
    await page.check('[data-testid=sweep-model-regla]');
    await page.fill('[data-testid=sweep-seq]', '16,64,256,1024');
    await page.fill('[data-testid=sweep-chunk]', '16');
    await page.fill('[data-testid=sweep-decode]', '0');
    await page.fill('[data-testid=sweep-repeat]', '1');
    await page.click('[data-testid=sweep-run]');
    // The first rows arrive while the sweep still runs; then cancel.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=sweep-rows] tbody tr').length >= 1, undefined, { timeout: RUN_MS });
    expect(await page.getAttribute('[data-testid=sweep-progress]', 'data-status')).toBe('running');
    await page.click('[data-testid=sweep-cancel]');
    await page.waitForSelector('[data-testid=sweep-progress][data-status="cancelled"]', { timeout: RUN_MS });
    const rows = await page.locator('[data-testid=sweep-rows] tbody tr').count();
    expect(rows).toBeGreaterThanOrEqual(1);
    expect(rows).toBeLessThan(4);
    await shot('sweep-cancelled');
    // The run's panels still work after the cancelled sweep.
    await page.click('[data-testid=tab-gates]');
    expect(await page.locator('.panel-body canvas').count()).toBeGreaterThan(0);
  }, 2 * RUN_MS);

  it('a lost GPU device raises a banner; Restart GPU uploads the model again, the runs stay and generation works', async () => {
    const runs = await page.evaluate(() => window.__regla?.store.getState().runOrder.length ?? -1);
    expect(runs).toBeGreaterThan(0);
    await page.evaluate(() => window.__regla?.loseDevice());
    await page.waitForSelector('[data-testid=gpu-lost]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=gpu-lost]')).toMatch(/GPU device was lost .*runs, results and settings are kept/);
    expect(await page.isDisabled('[data-testid=generate]')).toBe(true);
    await shot('gpu-lost');
    await page.click('[data-testid=gpu-restart]');
    await page.waitForSelector('[data-testid=gpu-lost]', { state: 'detached', timeout: 60_000 });
    await page.waitForSelector('.notice:has-text("GPU restarted")', { timeout: 120_000 });
    expect(await page.evaluate(() => window.__regla?.store.getState().runOrder.length ?? -1)).toBe(runs);
    await page.fill('[data-testid=max-tokens]', '3');
    await page.click('[data-testid=generate]');
    expect(await waitRun()).toMatch(/done/);
    expect(await page.evaluate(() => window.__regla?.store.getState().runOrder.length ?? -1)).toBe(runs + 1);
  }, 2 * RUN_MS);
});
