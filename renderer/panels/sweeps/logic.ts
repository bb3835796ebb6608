// The Sweeps panel's pure logic: parsing the list fields, rows → one series per variant × chunk,
// interpolation along a series, the linear-vs-softmax crossover pairs and byte formatting (the CSV is
// the engine's sweepCsv, as the CLI's). No DOM, no d3: unit-tested in Node.

import { crossover, type SweepRow } from '../../../shaders/index.js';

export type SweepPhase = 'prefill' | 'decode';

/** A variant of a sweep as the runner names it. */
export interface SweepVariantInfo {
  name: string;
  /** The model's key, null for the engine's softmax baseline. */
  key: string | null;
  baseline: boolean;
  /** Has at least one softmax-attention layer (softmax or hybrid). */
  softmaxLayers: boolean;
}

export interface ListSpec {
  min: number;
  max: number;
  /** Every value must be a multiple of this (chunk sizes: 16). */
  multipleOf?: number;
  /** At most this many values. */
  maxCount?: number;
}

/** "64, 128,256" → [64, 128, 256] (sorted, duplicates dropped), or a message saying what is wrong. */
export function parseIntList(text: string, spec: ListSpec): { values: number[] } | { error: string } {
  const parts = text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) return { error: 'empty list' };
  const out = new Set<number>();
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { error: `“${p}” is not a whole number` };
    const n = Number(p);
    if (n < spec.min || n > spec.max) return { error: `${n} is outside ${spec.min}..${spec.max}` };
    if (spec.multipleOf !== undefined && n % spec.multipleOf !== 0) return { error: `${n} is not a multiple of ${spec.multipleOf}` };
    out.add(n);
  }
  if (spec.maxCount !== undefined && out.size > spec.maxCount) return { error: `at most ${spec.maxCount} values` };
  return { values: [...out].sort((a, b) => a - b) };
}

/** Cells (= rows) a sweep measures. */
export function sweepCells(variants: number, chunks: number, seqs: number): number {
  return Math.max(0, variants) * Math.max(0, chunks) * Math.max(0, seqs);
}

export interface SweepPoint {
  T: number;
  v: number;
}

export interface SweepSeries {
  /** `${variant} · c${chunk}`. */
  key: string;
  variant: string;
  chunk: number;
  /** Finite, positive values sorted by T (a repeated T keeps its last row). */
  points: SweepPoint[];
}

/** The time a row reports for a phase: prefill ms, or decode ms per token. */
export function phaseValue(r: SweepRow, phase: SweepPhase): number {
  return phase === 'prefill' ? r.prefillMs : r.decodeMsPerToken;
}

export function seriesKey(variant: string, chunk: number): string {
  return `${variant} · c${chunk}`;
}

/**
 * One series per (variant, chunk) in the order rows first name them (the sweep's order), points
 * sorted by T. Times that cannot sit on a log axis (NaN when there were no decode tokens, ≤ 0) are
 * left out; a series left with no points is still listed (so its legend entry stays).
 */
export function sweepSeries(rows: readonly SweepRow[], phase: SweepPhase): SweepSeries[] {
  const by = new Map<string, { variant: string; chunk: number; at: Map<number, number> }>();
  for (const r of rows) {
    const key = seriesKey(r.variant, r.chunk);
    let s = by.get(key);
    if (!s) {
      s = { variant: r.variant, chunk: r.chunk, at: new Map() };
      by.set(key, s);
    }
    const v = phaseValue(r, phase);
    if (Number.isFinite(v) && v > 0) s.at.set(r.T, v);
    else s.at.delete(r.T);
  }
  return [...by.entries()].map(([key, s]) => ({
    key,
    variant: s.variant,
    chunk: s.chunk,
    points: [...s.at.entries()].map(([T, v]) => ({ T, v })).sort((a, b) => a.T - b.T),
  }));
}

/**
 * A series' value at T, interpolated linearly in log T and log time between its two neighbours
 * (a straight segment on the log–log chart); exact at measured points, null outside their range.
 */
export function valueAt(points: readonly SweepPoint[], T: number): number | null {
  if (!(T > 0) || points.length === 0) return null;
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as SweepPoint;
    if (p.T === T) return p.v;
    if (p.T > T) {
      const q = points[i - 1];
      if (!q) return null;
      const f = Math.log(T / q.T) / Math.log(p.T / q.T);
      return Math.exp(Math.log(q.v) + f * (Math.log(p.v) - Math.log(q.v)));
    }
  }
  return null;
}

/**
 * The rows in the engine's (and the CLI's) order — variant, then chunk size, each in order of first
 * appearance, then T — whatever order they were measured in.
 */
export function engineOrder(rows: readonly SweepRow[]): SweepRow[] {
  const variants = new Map<string, number>();
  const chunks = new Map<number, number>();
  for (const r of rows) {
    if (!variants.has(r.variant)) variants.set(r.variant, variants.size);
    if (!chunks.has(r.chunk)) chunks.set(r.chunk, chunks.size);
  }
  return [...rows].sort((a, b) => (variants.get(a.variant) as number) - (variants.get(b.variant) as number) || (chunks.get(a.chunk) as number) - (chunks.get(b.chunk) as number) || a.T - b.T);
}

/** Distinct sequence lengths of the rows, ascending. */
export function sweepLengths(rows: readonly SweepRow[]): number[] {
  return [...new Set(rows.map((r) => r.T))].sort((a, b) => a - b);
}

export interface CrossoverPair {
  linear: string;
  softmax: string;
  /** The softmax side is the engine's all-softmax baseline. */
  baseline: boolean;
  /** Shortest T (interpolated) at which the linear variant is no slower, best chunk per T; null: never in the range. */
  prefill: number | null;
  decode: number | null;
}

/**
 * Every (linear-attention, softmax-or-hybrid) pair of variants that both have rows, with the
 * engine's crossover length per phase; pairs against the baseline first.
 */
export function crossoverPairs(rows: readonly SweepRow[], variants: readonly SweepVariantInfo[]): CrossoverPair[] {
  const present = new Set(rows.map((r) => r.variant));
  const have = variants.filter((v) => present.has(v.name));
  const linear = have.filter((v) => !v.softmaxLayers);
  const softmax = [...have.filter((v) => v.softmaxLayers && v.baseline), ...have.filter((v) => v.softmaxLayers && !v.baseline)];
  const out: CrossoverPair[] = [];
  for (const s of softmax) {
    for (const l of linear) {
      out.push({ linear: l.name, softmax: s.name, baseline: s.baseline, prefill: crossover(rows, l.name, s.name, 'prefill'), decode: crossover(rows, l.name, s.name, 'decode') });
    }
  }
  return out;
}

/**
 * Vertical chart markers at the crossover lengths of one phase, for the first `max` pairs (the
 * baseline's first) that cross inside the measured range.
 */
export function crossoverMarkers(pairs: readonly CrossoverPair[], phase: SweepPhase, lengths: readonly number[], max = 3): Array<{ T: number; label: string }> {
  return pairs.slice(0, max).flatMap((p) => {
    const T = phase === 'prefill' ? p.prefill : p.decode;
    return T === null ? [] : [{ T, label: `${p.linear} ≤ ${p.softmax} from ${crossoverText(T, lengths)}` }];
  });
}

/**
 * A crossover length in words: 'T ≈ 141'; 'T ≤ 64' when the linear variant is already no slower
 * at the shortest measured length (the engine then returns that length); 'none in 64..256'.
 */
export function crossoverText(x: number | null, lengths: readonly number[]): string {
  const lo = lengths[0];
  const hi = lengths[lengths.length - 1];
  if (x === null) return lo !== undefined && hi !== undefined ? `none in ${lo}..${hi}` : 'none';
  if (lo !== undefined && x <= lo) return `T ≤ ${lo}`;
  return `T ≈ ${Math.round(x)}`;
}

export { sweepCsv, tokensPerSecond } from '../../../shaders/index.js';

/** 1536 → '1.5 KiB', 0 → '0 B' (binary units, 3 significant digits). */
export function formatBytes(b: number): string {
  if (!Number.isFinite(b)) return '—';
  if (b < 1024) return `${b} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = b / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number(v.toPrecision(3))} ${units[u] as string}`;
}

/** Milliseconds for tables: 3 significant digits, '—' when not measured. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 1000) return ms.toFixed(0);
  return Number(ms.toPrecision(3)).toString();
}
