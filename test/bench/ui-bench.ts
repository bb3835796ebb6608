// Browser side of `npm run bench:ui`: times the heatmap path the panels use (viz/heatmap.ts +
// viz/scales.ts) on 12 layers × 64 channels × 2048 tokens — building each layer's RGBA image from
// values and drawing it scaled into its canvas — and a hover-like update (one column's cursor
// redraw) per animation frame. Publishes medians on window.__uiBench.

import { drawHeatmap, type Matrix } from '../../renderer/viz/heatmap.js';
import { valueScale } from '../../renderer/viz/scales.js';

declare global {
  interface Window {
    __uiBench?: { heatmapMs: number[]; medianHeatmapMs: number; frameMs: number[]; medianFrameMs: number; cells: number } | { error: string };
  }
}

const LAYERS = 12;
const CHANNELS = 64;
const TOKENS = 2048;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const maps: Matrix[] = [];
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (let l = 0; l < LAYERS; l++) maps.push({ rows: CHANNELS, cols: TOKENS, values: Float32Array.from({ length: CHANNELS * TOKENS }, rnd) });
  const canvases = maps.map(() => {
    const c = document.createElement('canvas');
    c.width = 1200;
    c.height = 64;
    document.body.append(c);
    return c;
  });
  const heatmapMs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const scale = valueScale([0, r % 2 === 0 ? 1 : 0.9], { mapping: r % 3 === 0 ? 'logit' : 'linear' });
    const t0 = performance.now();
    maps.forEach((m, i) => drawHeatmap(canvases[i] as HTMLCanvasElement, m, scale));
    // Force the drawing to complete (readback of one pixel flushes the 2D pipeline).
    canvases[LAYERS - 1]?.getContext('2d')?.getImageData(0, 0, 1, 1);
    heatmapMs.push(performance.now() - t0);
  }
  // Hover: per frame, redraw one layer's map and a cursor line at a moving column.
  const frameMs: number[] = [];
  const scale = valueScale([0, 1]);
  for (let f = 0; f < 30; f++) {
    await new Promise((r) => requestAnimationFrame(r));
    const t0 = performance.now();
    const c = canvases[f % LAYERS] as HTMLCanvasElement;
    drawHeatmap(c, maps[f % LAYERS] as Matrix, scale);
    const g = c.getContext('2d');
    if (g) {
      const x = ((f * 67) % TOKENS) * (c.width / TOKENS);
      g.fillStyle = '#fff';
      g.fillRect(x, 0, 1, c.height);
      g.getImageData(0, 0, 1, 1);
    }
    frameMs.push(performance.now() - t0);
  }
  window.__uiBench = { heatmapMs, medianHeatmapMs: median(heatmapMs), frameMs, medianFrameMs: median(frameMs), cells: LAYERS * CHANNELS * TOKENS };
}

main().catch((e: unknown) => {
  window.__uiBench = { error: String(e) };
});
