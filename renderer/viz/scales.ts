// Colour and value scales shared by every panel: colour-blind-safe sequential (viridis / cividis)
// and diverging (blue–orange, PuOr) maps from d3-scale-chromatic, linear or logit value mapping,
// and "nice" domains. Pure functions of data; no DOM.

import { extent, interpolateCividis, interpolatePuOr, interpolateViridis, scaleLinear, ticks as d3ticks } from 'd3';

export type ColorMap = 'viridis' | 'cividis' | 'diverging';
export type Mapping = 'linear' | 'logit';

const EPS = 1e-7;

/** logit(p) with p clamped to [1e-7, 1 − 1e-7], so saturated gates stay finite. */
export function logit(p: number): number {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
}

export interface ValueScale {
  /** Domain in data units (before the mapping). */
  domain: readonly [number, number];
  mapping: Mapping;
  map: ColorMap;
  /** Data value → [0, 1] position on the colour bar (clamped; NaN stays NaN). */
  position(v: number): number;
  /** Data value → CSS colour ('#rrggbb' or rgb()). NaN → transparent grey. */
  color(v: number): string;
  /** Data value → packed RGBA (little-endian 0xAABBGGRR) for ImageData writes. */
  rgba(v: number): number;
  /** Tick values in data units for a legend. */
  ticks(n?: number): number[];
}

const interpolators: Record<ColorMap, (t: number) => string> = {
  viridis: interpolateViridis,
  cividis: interpolateCividis,
  diverging: (t) => interpolatePuOr(1 - t),
};

/** 256-entry lookup tables of packed RGBA per colour map, built once. */
const luts = new Map<ColorMap, Uint32Array>();
function lut(map: ColorMap): Uint32Array {
  let t = luts.get(map);
  if (t) return t;
  t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const c = parseColor(interpolators[map](i / 255));
    t[i] = (255 << 24) | (c[2] << 16) | (c[1] << 8) | c[0];
  }
  luts.set(map, t);
  return t;
}

/** '#rrggbb' or 'rgb(r, g, b)' → [r, g, b]. */
export function parseColor(css: string): [number, number, number] {
  if (css.startsWith('#') && css.length === 7) return [parseInt(css.slice(1, 3), 16), parseInt(css.slice(3, 5), 16), parseInt(css.slice(5, 7), 16)];
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  throw new Error(`unparsable colour ${css}`);
}

const NAN_RGBA = (255 << 24) | (0x88 << 16) | (0x88 << 8) | 0x88;

/**
 * The hot path of every heatmap: value → packed RGBA, equal to table[round(position(v) · 255)].
 * Linear: one multiply. Logit: a table lookup inside [2⁻⁸, 1 − 2⁻⁸] (the same index as the exact
 * logarithm, or its neighbour), the exact logarithm at the saturated ends.
 */
function rgbaOf(domain: readonly [number, number], mapping: Mapping, table: Uint32Array): (v: number) => number {
  const [d0, d1] = domain;
  if (mapping === 'linear') {
    const k = d1 !== d0 ? 255 / (d1 - d0) : 0;
    return (v) => {
      if (v !== v) return NAN_RGBA;
      const i = Math.round((v - d0) * k);
      return table[i < 0 ? 0 : i > 255 ? 255 : i] as number;
    };
  }
  const lo = logit(d0);
  const k = 255 / (logit(d1) - lo || 1);
  const exact = (v: number): number => {
    const q = v < EPS ? EPS : v > 1 - EPS ? 1 - EPS : v;
    const i = Math.round((Math.log(q / (1 - q)) - lo) * k);
    return table[i < 0 ? 0 : i > 255 ? 255 : i] as number;
  };
  // Inside [2⁻⁸, 1 − 2⁻⁸] a 2¹⁶-bin table over v (logit moves by at most 0.002 within half a bin
  // there: the exact colour index or its neighbour); the saturated ends, where logit is steep, are
  // computed exactly.
  const N = 65536;
  const fine = new Uint32Array(N + 1);
  for (let j = 0; j <= N; j++) fine[j] = exact(j / N);
  const LO = 1 / 256;
  const HI = 1 - 1 / 256;
  return (v) => {
    if (v !== v) return NAN_RGBA;
    if (v < LO || v > HI) return exact(v);
    return fine[Math.round(v * N)] as number;
  };
}

export function valueScale(domain: readonly [number, number], o: { mapping?: Mapping; map?: ColorMap } = {}): ValueScale {
  const mapping = o.mapping ?? 'linear';
  const map = o.map ?? 'viridis';
  const f = mapping === 'logit' ? logit : (v: number) => v;
  const lo = f(domain[0]);
  const hi = f(domain[1]);
  const span = hi - lo || 1;
  const table = lut(map);
  const position = (v: number): number => {
    if (Number.isNaN(v)) return NaN;
    return Math.min(1, Math.max(0, (f(v) - lo) / span));
  };
  return {
    domain,
    mapping,
    map,
    position,
    color: (v) => {
      const p = position(v);
      return Number.isNaN(p) ? 'rgba(128,128,128,0.4)' : interpolators[map](p);
    },
    rgba: rgbaOf(domain, mapping, table),
    ticks: (n = 5) => {
      if (mapping === 'logit') {
        const ps = [1e-4, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999];
        return ps.filter((p) => p >= Math.min(domain[0], domain[1]) && p <= Math.max(domain[0], domain[1]));
      }
      return d3ticks(domain[0], domain[1], n);
    },
  };
}

/** Finite min/max of one or more arrays (for shared scales across compared runs); [0, 1] when empty. */
export function finiteExtent(...arrays: ReadonlyArray<ArrayLike<number>>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i] as number;
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!(lo <= hi)) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

/** A symmetric domain around 0 (for diverging maps of differences). */
export function symmetric([lo, hi]: readonly [number, number]): [number, number] {
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  return [-m, m];
}

/** Linear pixel scale helper re-exported for panels' SVG axes (React renders; d3 computes). */
export function linear(domain: readonly [number, number], range: readonly [number, number]) {
  return scaleLinear().domain(domain as [number, number]).range(range as [number, number]);
}

export { extent };
