// `npm run bench:ui`: the renderer's responsiveness figures (issue #5), measured in headless
// Chromium here (canvas 2D runs on the CPU in both Chromium and Electron): a 12 × 2048 × 64 heatmap
// redraw and a hover update per frame. Prints medians; reports, never asserts (timings).
/* global window */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { bundle } from '../../scripts/build.mjs';
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
} finally {
  rmSync(work, { recursive: true, force: true });
}
