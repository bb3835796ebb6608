// viz/scales.ts: the packed-RGBA fast path equals the colour of the exact position (linear: the same
// index; logit: the same or the neighbouring index of 256), NaN is grey, ticks and extents.
import { describe, expect, it } from 'vitest';
import { finiteExtent, logit, parseColor, symmetric, valueScale } from '../../renderer/viz/scales.js';

/** Index 0–255 of a packed colour in a scale's table (scanning the table via rgba at known positions). */
function indexOf(map: 'viridis' | 'cividis' | 'diverging', rgba: number): number {
  const probe = valueScale([0, 255], { map });
  for (let i = 0; i < 256; i++) if (probe.rgba(i) === rgba) return i;
  return -1;
}

describe('valueScale', () => {
  it('linear: rgba is the table entry of round(position · 255), clamped outside the domain', () => {
    const s = valueScale([-2, 6]);
    for (const v of [-5, -2, -1.99, 0, 1.234, 3.9, 6, 9]) expect(indexOf('viridis', s.rgba(v))).toBe(Math.round(s.position(v) * 255));
  });

  it('logit: within one colour step of the exact index, exact at the saturated ends', () => {
    for (const dom of [[1e-4, 1 - 1e-4], [0.2, 0.9], [0.004, 0.01]] as const) {
      const s = valueScale(dom, { mapping: 'logit', map: 'cividis' });
      let worst = 0;
      for (let j = 0; j <= 20000; j++) {
        const v = j / 20000;
        const want = Math.round(s.position(v) * 255);
        worst = Math.max(worst, Math.abs(indexOf('cividis', s.rgba(v)) - want));
      }
      expect(worst, `domain ${dom.join('..')}`).toBeLessThanOrEqual(1);
      for (const v of [0, 1e-9, 1e-5, 1 - 1e-5, 1]) expect(indexOf('cividis', s.rgba(v))).toBe(Math.round(s.position(v) * 255));
    }
  });

  it('NaN maps to the grey NaN colour and to a NaN position', () => {
    const s = valueScale([0, 1]);
    expect(Number.isNaN(s.position(NaN))).toBe(true);
    const g = s.rgba(NaN);
    expect([g & 255, (g >>> 8) & 255, (g >>> 16) & 255]).toEqual([0x88, 0x88, 0x88]);
  });

  it('colour() and rgba() agree: exactly on the 256 table points, within its quantization between them', () => {
    const s = valueScale([0, 1], { map: 'diverging' });
    for (const v of [0, 17 / 255, 0.25, 0.5, 200 / 255, 1]) {
      const c = parseColor(s.color(v));
      const p = s.rgba(v);
      const onTable = Number.isInteger(Math.round(v * 255 * 1e6) / 1e6);
      [p & 255, (p >>> 8) & 255, (p >>> 16) & 255].forEach((x, i) => expect(Math.abs(x - (c[i] as number))).toBeLessThanOrEqual(onTable ? 0 : 3));
    }
  });

  it('ticks: linear nice values inside the domain; logit probabilities inside it', () => {
    expect(valueScale([0, 1]).ticks(5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(valueScale([0.01, 0.99], { mapping: 'logit' }).ticks()).toEqual([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]);
    expect(logit(0.5)).toBe(0);
  });
});

describe('extents', () => {
  it('finiteExtent skips NaN and ±Infinity across arrays, widens a constant, defaults to [0, 1]', () => {
    expect(finiteExtent([1, NaN, 3], Float32Array.from([-2, Infinity]))).toEqual([-2, 3]);
    expect(finiteExtent([4, 4])).toEqual([3.5, 4.5]);
    expect(finiteExtent([], [NaN])).toEqual([0, 1]);
    expect(symmetric([-1, 3])).toEqual([-3, 3]);
  });
});

describe('legend ticks', () => {
  it('formats saturated probabilities without rounding them to 1', async () => {
    const { formatTick } = await import('../../renderer/ui/Legend.js');
    expect([0.5, 0.95, 0.99, 0.999, 0.9999, 1].map(formatTick)).toEqual(['0.5', '0.95', '0.99', '0.999', '0.9999', '1']);
    expect([1e-4, 0.25, 12345, -2.5].map(formatTick)).toEqual(['1.0e-4', '0.25', '1.2e+4', '-2.5']);
  });
});
