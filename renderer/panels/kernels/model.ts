// The Kernels panel's data logic, DOM-free and unit-tested: profile records → timeline items and
// rows, the op ranking that assigns colours, the sortable kernel table, the precision badge and a
// dispatch's derived numbers.

import type { OpStats, Phase, ProfilePrecision, ProfileRecord, ProfileReport } from '../../../shaders/index.js';
import type { TimelineItem } from '../../viz/timeline.js';

export type RowMode = 'phase' | 'layer';

/** Identifies one line of the kernel table (and the dispatches it summarizes). */
export function opKey(r: { phase: Phase; op: string; kernel: string }): string {
  return `${r.phase}\u0000${r.op}\u0000${r.kernel}`;
}

export interface TimelineData {
  items: TimelineItem[];
  rowLabels: string[];
  /** Row of the first row of each phase (for separators); absent phases are missing. */
  phaseStart: Partial<Record<Phase, number>>;
  /** GPU per-dispatch times (true) or the CPU spans of whole steps (false). */
  gpu: boolean;
}

const PHASES: readonly Phase[] = ['prefill', 'decode'];

/** Whether a record carries a GPU time. */
export function timed(r: Pick<ProfileRecord, 'startNs' | 'endNs'>): boolean {
  return Number.isFinite(r.startNs) && Number.isFinite(r.endNs);
}

/**
 * Timeline items of one measured repeat. 'phase': one row per phase; 'layer': per phase one row
 * for model-level ops (embedding, final norm, head: layer null, labelled '—') then one per layer.
 * Item ids are indices into report.records; `cat(record)` picks the colour slot. Without GPU
 * times, the repeat's CPU spans (one prefill, one per decode step) stand in, with ids −1 − i
 * (i indexing report.spans) and cat −2.
 */
export function timelineData(report: ProfileReport, repeat: number, mode: RowMode, cat: (r: ProfileRecord) => number): TimelineData {
  const recs: Array<[ProfileRecord, number]> = [];
  report.records.forEach((r, i) => {
    if (r.repeat === repeat && timed(r)) recs.push([r, i]);
  });
  if (recs.length === 0) {
    const spans = report.spans.map((s, i) => [s, i] as const).filter(([s]) => s.repeat === repeat);
    const t0 = spans.length ? Math.min(...spans.map(([s]) => s.startMs)) : 0;
    const phases = PHASES.filter((p) => spans.some(([s]) => s.phase === p));
    const phaseStart: Partial<Record<Phase, number>> = {};
    phases.forEach((p, i) => (phaseStart[p] = i));
    return {
      gpu: false,
      rowLabels: phases.map((p) => `${p} (CPU)`),
      phaseStart,
      items: spans.map(([s, i]) => ({ id: -1 - i, row: phases.indexOf(s.phase), start: (s.startMs - t0) * 1e6, end: (s.endMs - t0) * 1e6, cat: -2 })),
    };
  }
  const rowLabels: string[] = [];
  const phaseStart: Partial<Record<Phase, number>> = {};
  const rowOf = new Map<string, number>();
  for (const p of PHASES) {
    const inPhase = recs.filter(([r]) => r.phase === p);
    if (inPhase.length === 0) continue;
    phaseStart[p] = rowLabels.length;
    if (mode === 'phase') {
      rowOf.set(`${p}:*`, rowLabels.length);
      rowLabels.push(p);
      continue;
    }
    const layers = [...new Set(inPhase.map(([r]) => r.layer))].sort((a, b) => (a ?? -1) - (b ?? -1));
    for (const l of layers) {
      rowOf.set(`${p}:${l ?? '-'}`, rowLabels.length);
      rowLabels.push(`${p} ${l === null ? '—' : `L${l}`}`);
    }
  }
  const items = recs.map(([r, i]) => ({
    id: i,
    row: rowOf.get(mode === 'phase' ? `${r.phase}:*` : `${r.phase}:${r.layer ?? '-'}`) as number,
    start: r.startNs,
    end: r.endNs,
    cat: cat(r),
  }));
  return { gpu: true, rowLabels, phaseStart, items };
}

/** Op names by total GPU time (all repeats), longest first: the palette goes to the ops that matter. */
export function opsByTime(records: readonly ProfileRecord[]): string[] {
  const total = new Map<string, number>();
  for (const r of records) {
    const d = timed(r) ? r.endNs - r.startNs : 0;
    total.set(r.op, (total.get(r.op) ?? 0) + d);
  }
  return [...total.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([op]) => op);
}

// ---------------------------------------------------------------- kernel table

export type SortKey = 'phase' | 'op' | 'kernel' | 'count' | 'medianUs' | 'p10Us' | 'p90Us' | 'totalUs' | 'gflops' | 'gbps';
export type SortDir = 'asc' | 'desc';

export interface TableRow extends OpStats {
  key: string;
  /** count × median: the op's share of a repeat. */
  totalUs: number;
}

export function tableRows(perOp: readonly OpStats[]): TableRow[] {
  return perOp.map((s) => ({ ...s, key: opKey(s), totalUs: s.count * s.medianUs }));
}

/** Sorted copy; strings compare by locale, numbers numerically, NaN always last; ties keep input order. */
export function sortRows<T extends Record<SortKey, string | number>>(rows: readonly T[], key: SortKey, dir: SortDir): T[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((r, i) => [r, i] as const)
    .sort(([a, ia], [b, ib]) => {
      const x = a[key];
      const y = b[key];
      if (typeof x === 'number' && typeof y === 'number') {
        const nx = Number.isNaN(x);
        const ny = Number.isNaN(y);
        if (nx || ny) return nx === ny ? ia - ib : nx ? 1 : -1;
        return (x - y) * sign || ia - ib;
      }
      return String(x).localeCompare(String(y)) * sign || ia - ib;
    })
    .map(([r]) => r);
}

/** Clicking a header: a new column sorts descending for numbers and ascending for text; the same column flips. */
export function nextSort(cur: { key: SortKey; dir: SortDir }, key: SortKey): { key: SortKey; dir: SortDir } {
  if (cur.key === key) return { key, dir: cur.dir === 'asc' ? 'desc' : 'asc' };
  const text = key === 'phase' || key === 'op' || key === 'kernel';
  return { key, dir: text ? 'asc' : 'desc' };
}

// ---------------------------------------------------------------- badge and details

export interface Badge {
  text: string;
  level: 'ok' | 'warn';
  title: string;
}

export function precisionBadge(p: ProfilePrecision): Badge {
  if (!p.timestamps) {
    return { text: 'CPU timing only (no timestamp-query)', level: 'warn', title: 'This adapter has no timestamp-query: only whole prefill / decode steps are timed, on the CPU after a sync.' };
  }
  if (p.quantized) {
    return {
      text: `quantized to ${p.quantumNs.toLocaleString('en-US')} ns — timings coarse`,
      level: 'warn',
      title: 'Every duration is a multiple of 65,536 ns: the browser quantizes GPU timestamps. Launch Chromium with --enable-webgpu-developer-features (or disable the Dawn toggle timestamp_quantization) for exact times.',
    };
  }
  const q = Number.isFinite(p.quantumNs) ? `${p.quantumNs.toLocaleString('en-US')} ns` : 'exact';
  return { text: `GPU timestamps, ${q}`, level: 'ok', title: 'Per-dispatch GPU timestamps; the figure is the shortest measured duration, an upper bound on the timer resolution.' };
}

export interface DispatchNumbers {
  durationNs: number;
  /** FLOPs / ns = GFLOP/s; NaN without a time. */
  gflops: number;
  gbps: number;
  /** FLOP per byte (NaN without bytes). */
  intensity: number;
}

export function dispatchNumbers(r: Pick<ProfileRecord, 'flops' | 'bytes' | 'startNs' | 'endNs'>): DispatchNumbers {
  const d = r.endNs - r.startNs;
  const ok = Number.isFinite(d) && d > 0;
  return { durationNs: d, gflops: ok ? r.flops / d : NaN, gbps: ok ? r.bytes / d : NaN, intensity: r.bytes > 0 ? r.flops / r.bytes : NaN };
}

/** '1.23 G', '456 M', '12.3 k', '7' — three significant digits with an SI prefix (FLOPs, bytes). */
export function si(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  const units: Array<[number, string]> = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [s, u] of units) if (a >= s) return `${Number((v / s).toPrecision(3))} ${u}`;
  return String(Number(v.toPrecision(3)));
}

/** A table number: three significant digits, '–' for NaN. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(3)));
}
