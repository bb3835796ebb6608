// `npm run bench:ui`: the renderer's responsiveness figures (issue #5), measured in headless
// Chromium here (canvas 2D runs on the CPU in both Chromium and Electron): a 12 × 2048 × 64 heatmap
// redraw and a hover update per frame; then the whole app through the web host (WebGPU on
// SwiftShader): main-thread long tasks (> 50 ms, PerformanceObserver) while a run generates and is
// analyzed, and the time from hovering a token to the next frame with the Gates panel open.
// Prints figures; reports, never asserts (timings).
/* global window, document, requestAnimationFrame, Element */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildRenderer, bundle } from '../../scripts/build.mjs';
import { serveApp } from '../../scripts/web.mjs';

const work = mkdtempSync(join(tmpdir(), 'regla-ui-bench-'));
try {
  await bundle('test/bench/ui-bench.ts', join(work, 'bench.js'), { platform: 'browser', minify: true });
  writeFileSync(join(work, 'index.html'), '<!doctype html><meta charset="utf-8"><body><script type="module" src="./bench.js"></script>');
  const server = await serveApp({ renderer: work });
  const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => window.__uiBench !== undefined, undefined, { timeout: 120_000 });
    const r = await page.evaluate(() => window.__uiBench);
    if (!r || 'error' in r) throw new Error(`ui bench failed: ${r?.error}`);
    const ua = await page.evaluate(() => navigator.userAgent);
    process.stdout.write(
      `${ua}\n` +
        `heatmap 12 layers × 64 channels × 2048 tokens (${r.cells.toLocaleString('en-US')} cells) → 12 canvases: median ${r.medianHeatmapMs.toFixed(1)} ms ` +
        `(runs ${r.heatmapMs.map((x) => x.toFixed(1)).join(', ')}; target < 50 ms)\n` +
        `hover update (one 64 × 2048 map + cursor) per animation frame: median ${r.medianFrameMs.toFixed(2)} ms (a frame at 60 Hz is 16.7 ms)\n`,
    );
  } finally {
    await browser.close();
    await server.close();
  }
  await appBench(work);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** The app itself: long tasks during a run, and hover → next frame on the Gates panel. */
async function appBench(dir) {
  const site = await buildRenderer(join(dir, 'app'));
  const server = await serveApp({ renderer: site });
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 180_000 });
    await page.evaluate(() => (window.__longTasks.length = 0));
    const tokens = process.env['UI_BENCH_TOKENS'] ?? '16';
    await page.fill('[data-testid=max-tokens]', tokens);
    const t0 = Date.now();
    await page.click('[data-testid=generate]');
    await page.waitForSelector('[data-testid=run-status][data-status="done"]', { timeout: 600_000 });
    const runS = (Date.now() - t0) / 1000;
    const long = await page.evaluate(() => [...window.__longTasks]);
    long.sort((a, b) => b - a);
    await page.click('[data-testid=tab-gates]');
    await page.waitForSelector('[data-testid=gates-readout]');
    const n = await page.locator('[data-testid=tokens] .tok').count();
    // Hover latency: from the pointer event (its timeStamp) to the first animation frame in which
    // the Gates panel's readout names the hovered token (rAF callbacks run just before that paint).
    await page.evaluate(() => {
      window.__hover = [];
      document.addEventListener(
        'mouseover',
        (e) => {
          const tok = e.target instanceof Element ? e.target.closest('.tok') : null;
          if (!tok) return;
          const t0 = e.timeStamp;
          const want = `#${tok.getAttribute('data-pos')}`;
          const check = () => {
            if ((document.querySelector('[data-testid=gates-readout]')?.textContent ?? '').includes(want)) window.__hover.push(performance.now() - t0);
            else if (performance.now() - t0 < 2000) requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        },
        true,
      );
    });
    for (let i = 0; i < Math.min(n, 20); i++) {
      const box = await page.locator(`[data-testid=tokens] .tok[data-pos="${i}"]`).boundingBox();
      if (!box) continue;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForTimeout(120);
    }
    const hover = await page.evaluate(() => [...window.__hover]);
    hover.sort((a, b) => a - b);
    process.stdout.write(
      `app (regla sample, ${tokens} new tokens, WebGPU on SwiftShader): run + analysis ${runS.toFixed(0)} s; main-thread long tasks (> 50 ms) during it: ` +
        `${long.length}${long.length ? `, longest ${long[0].toFixed(0)} ms, total ${long.reduce((a, b) => a + b, 0).toFixed(0)} ms` : ''}\n` +
        `hover a token → the frame that shows it in the Gates panel (${hover.length} tokens): median ${hover[Math.floor(hover.length / 2)]?.toFixed(1)} ms, max ${hover[hover.length - 1]?.toFixed(1)} ms (a frame at 60 Hz is 16.7 ms)\n`,
    );
  } finally {
    await browser.close();
    await server.close();
  }
}
