// Serializers for profile reports: Chrome trace-event JSON (chrome://tracing, Perfetto; GPU
// dispatches or whole submits, CPU steps, tokens/s counters, and with capture records per-layer
// gate-saturation counters) and a CSV kernel table. Reports are laid out one after another on a shared timeline; within a report each
// measured repeat follows the previous one, so tracks stay monotone.

import type { CaptureRecord } from '../capture/capture.js';
import type { OpStats, Phase, ProfileReport } from './profile.js';

export interface TraceMeta {
  adapter?: Readonly<Record<string, string>>;
  features?: readonly string[];
  /** Dawn timestamp quantization as the host configured it, e.g. 'disabled' or 'enabled'. */
  quantization?: string;
  [key: string]: unknown;
}

export type TraceArgs = Record<string, string | number | boolean | null>;

export interface TraceEvent {
  name: string;
  ph: 'X' | 'C' | 'M';
  pid: number;
  tid: number;
  /** µs. */
  ts: number;
  dur?: number;
  cat?: string;
  args?: TraceArgs;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ns';
  otherData: Record<string, unknown>;
}

/** Process and thread ids; names are given by 'M' events. */
export const TRACE_IDS = {
  gpu: 1,
  cpu: 2,
  tid: { prefill: 1, decode: 2 } as Record<Phase, number>,
  counters: 0,
  /** Process of the per-layer saturation counters (present only with capture records). */
  capture: 3,
} as const;

export interface TraceOptions {
  /**
   * Capture records (shaders/capture/capture.ts) per report, in the order of the reports (one list
   * for a single report). Each record with saturation counts becomes a sample of the counter track
   * `saturation L<layer>`, placed at the report's first measured prefill (pos0 = 0) or at the decode
   * step of its position, with one series per tap point and threshold.
   */
  captures?: ReadonlyArray<readonly CaptureRecord[] | undefined>;
}

const SHORT_POINT: Readonly<Record<string, string>> = { 'gate.logA': 'α', 'gate.logD': 'δ', 'gate.a': 'a', 'gate.b': 'b', 'gate.c': 'c' };

/**
 * Counter series of one capture record: for α-kind thresholds ε the share of entries with α < ε or
 * α > 1 − ε (`α ε=0.001`), for logit-kind thresholds t the share with |x| > t (`a |x|>6`), over all heads.
 */
export function saturationSeries(rec: CaptureRecord): Record<string, number> {
  const out: Record<string, number> = {};
  const name = SHORT_POINT[rec.point] ?? rec.point;
  for (const s of rec.saturation ?? []) {
    const total = s.count * s.low.length;
    const hits = s.low.reduce((a, b) => a + b, 0) + s.high.reduce((a, b) => a + b, 0);
    const key = s.kind === 'alpha' ? `${name} ε=${s.threshold}` : `${name} |x|>${s.threshold}`;
    out[key] = total > 0 ? hits / total : 0;
  }
  return out;
}

// Gap between repeats and between reports on the timeline (µs).
const GAP_US = 50;
const finite = (x: number): number => (Number.isFinite(x) ? x : 0);

/**
 * Chrome trace-event JSON of one or more reports (GPU dispatches, CPU steps, tokens/s counters; with
 * `o.captures`, per-layer saturation counters on their own process).
 */
export function toChromeTrace(reports: ProfileReport | readonly ProfileReport[], meta: TraceMeta = {}, o: TraceOptions = {}): ChromeTrace {
  const list: readonly ProfileReport[] = Array.isArray(reports) ? reports : [reports as ProfileReport];
  const events: TraceEvent[] = [];
  const captures = o.captures ?? [];
  if (captures.some((c) => c?.some((r) => r.saturation?.length))) {
    events.push({ name: 'process_name', ph: 'M', pid: TRACE_IDS.capture, tid: 0, ts: 0, args: { name: 'Capture' } });
  }
  const meta0 = (name: string, pid: number, tid: number, value: string): TraceEvent => ({ name, ph: 'M', pid, tid, ts: 0, args: { name: value } });
  events.push(
    meta0('process_name', TRACE_IDS.gpu, 0, 'GPU'),
    meta0('process_name', TRACE_IDS.cpu, 0, 'CPU'),
    meta0('thread_name', TRACE_IDS.gpu, TRACE_IDS.tid.prefill, 'prefill'),
    meta0('thread_name', TRACE_IDS.gpu, TRACE_IDS.tid.decode, 'decode'),
    meta0('thread_name', TRACE_IDS.cpu, TRACE_IDS.tid.prefill, 'prefill'),
    meta0('thread_name', TRACE_IDS.cpu, TRACE_IDS.tid.decode, 'decode'),
  );

  let base = 0; // µs where the next report starts
  for (const [ri, rep] of list.entries()) {
    const start = base;
    /** Timeline µs of the first measured repeat's prefill (token 0) and decode steps (token P + i). */
    const stepTs = new Map<number, number>();
    let end = base;
    // GPU times are relative per repeat; CPU spans share one clock. Place both per repeat.
    let repBase = base;
    for (let r = 0; r < rep.repeat; r++) {
      const recs = rep.records.filter((x) => x.repeat === r && Number.isFinite(x.startNs) && Number.isFinite(x.endNs));
      const spans = rep.spans.filter((s) => s.repeat === r);
      const submits = rep.gpuSpans.filter((s) => s.repeat === r && Number.isFinite(s.startNs) && Number.isFinite(s.endNs));
      const starts = [...recs.map((x) => x.startNs), ...submits.map((s) => s.startNs)];
      const gpu0 = starts.length ? Math.min(...starts) : 0;
      const cpu0 = spans.length ? Math.min(...spans.map((s) => s.startMs)) : 0;
      let repEnd = repBase;
      for (const x of recs) {
        const ts = repBase + (x.startNs - gpu0) / 1000;
        const dur = Math.max(0, (x.endNs - x.startNs) / 1000);
        const args: TraceArgs = {
          variant: rep.variant,
          kernel: x.kernel,
          layer: x.layer,
          token: x.token,
          repeat: r,
          workgroups: x.workgroups.join('x'),
          flops: x.flops,
          bytes: x.bytes,
        };
        events.push({ name: x.op, cat: x.kernel, ph: 'X', pid: TRACE_IDS.gpu, tid: TRACE_IDS.tid[x.phase], ts, dur, args });
        repEnd = Math.max(repEnd, ts + dur);
      }
      for (const s of submits) {
        const ts = repBase + (s.startNs - gpu0) / 1000;
        const dur = Math.max(0, (s.endNs - s.startNs) / 1000);
        const name = s.phase === 'prefill' ? `prefill ${rep.promptTokens} tokens (submit)` : `decode @${s.token} (submit)`;
        events.push({ name, cat: 'submit', ph: 'X', pid: TRACE_IDS.gpu, tid: TRACE_IDS.tid[s.phase], ts, dur, args: { variant: rep.variant, repeat: r, token: s.token } });
        repEnd = Math.max(repEnd, ts + dur);
      }
      for (const s of spans) {
        const ts = repBase + (s.startMs - cpu0) * 1000;
        if (r === 0 && !stepTs.has(s.token)) stepTs.set(s.token, ts);
        const dur = Math.max(0, (s.endMs - s.startMs) * 1000);
        const name = s.phase === 'prefill' ? `prefill ${rep.promptTokens} tokens` : `decode @${s.token}`;
        events.push({ name, cat: rep.mode, ph: 'X', pid: TRACE_IDS.cpu, tid: TRACE_IDS.tid[s.phase], ts, dur, args: { variant: rep.variant, repeat: r, token: s.token } });
        // The first measured repeat's decode speed, step by step (CPU wall time of each step).
        if (r === 0 && s.phase === 'decode' && dur > 0) {
          events.push({ name: 'decode tokens/s', ph: 'C', pid: TRACE_IDS.gpu, tid: TRACE_IDS.counters, ts, args: { step: finite(1e6 / dur) } });
        }
        repEnd = Math.max(repEnd, ts + dur);
      }
      repBase = repEnd + GAP_US;
      end = repEnd;
    }
    const t = rep.totals;
    events.push({
      name: 'tokens/s',
      ph: 'C',
      pid: TRACE_IDS.gpu,
      tid: TRACE_IDS.counters,
      ts: start,
      args: {
        prefill: finite(t.prefillMs > 0 ? (rep.promptTokens * 1000) / t.prefillMs : 0),
        decode: finite(t.decodeMsPerToken > 0 ? 1000 / t.decodeMsPerToken : 0),
      },
    });
    // One sample per (layer, position) holding every tap point's series (gate.a, logA, logD, …).
    const samples = new Map<string, { layer: number; pos0: number; args: Record<string, number> }>();
    for (const rec of captures[ri] ?? []) {
      const series = saturationSeries(rec);
      if (Object.keys(series).length === 0) continue;
      const key = `${rec.layer}:${rec.pos0}`;
      const s = samples.get(key) ?? { layer: rec.layer, pos0: rec.pos0, args: {} };
      Object.assign(s.args, series);
      samples.set(key, s);
    }
    for (const s of samples.values()) {
      events.push({ name: `saturation L${s.layer}`, cat: 'capture', ph: 'C', pid: TRACE_IDS.capture, tid: TRACE_IDS.counters, ts: stepTs.get(s.pos0) ?? start, args: s.args });
    }
    base = end + GAP_US;
  }
  // Stable by track then time, so every track is monotone whatever the report order.
  const order = (e: TraceEvent): number => (e.ph === 'M' ? 0 : 1);
  events.sort((a, b) => order(a) - order(b) || a.ts - b.ts);

  return {
    traceEvents: events,
    displayTimeUnit: 'ns',
    otherData: {
      ...meta,
      adapter: meta.adapter ?? list[0]?.adapter ?? {},
      features: meta.features ?? list[0]?.features ?? [],
      quantization: meta.quantization ?? 'unknown',
      precision: list.map((r) => ({ variant: r.variant, mode: r.mode, ...r.precision, quantumNs: Number.isFinite(r.precision.quantumNs) ? r.precision.quantumNs : null })),
      totals: list.map((r) => ({ variant: r.variant, mode: r.mode, promptTokens: r.promptTokens, decodeTokens: r.decodeTokens, ...nullNaN(r.totals) })),
    },
  };
}

function nullNaN<T extends object>(o: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  return out;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(v: string | number | null): string {
  if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = typeof v === 'number' ? String(Number(v.toPrecision(6))) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADER = ['variant', 'mode', 'phase', 'op', 'kernel', 'count', 'median_us', 'p10_us', 'p90_us', 'gflops', 'gbps'] as const;

/** The kernel table (perOp of every report) as CSV with a header row, CRLF line ends. */
export function toCsv(reports: ProfileReport | readonly ProfileReport[]): string {
  const list: readonly ProfileReport[] = Array.isArray(reports) ? reports : [reports as ProfileReport];
  const rows: string[] = [CSV_HEADER.join(',')];
  for (const r of list) {
    for (const s of r.perOp as readonly OpStats[]) {
      rows.push([r.variant, r.mode, s.phase, s.op, s.kernel, s.count, s.medianUs, s.p10Us, s.p90Us, s.gflops, s.gbps].map(csvField).join(','));
    }
  }
  return rows.join('\r\n') + '\r\n';
}
