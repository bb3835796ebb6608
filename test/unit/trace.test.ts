// Trace and CSV serializers of shaders/profile on synthetic reports (no GPU): the trace-event
// format (fields per ph, dur ≥ 0, monotone tracks, names, JSON round trip), CSV quoting, timestamp
// precision detection and the per-op statistics.

import { describe, expect, it } from 'vitest';
import { detectPrecision, opStats, quantile, type CpuSpan, type Phase, type ProfileRecord, type ProfileReport } from '../../shaders/profile/profile.js';
import { CSV_HEADER, csvField, saturationSeries, toChromeTrace, toCsv, TRACE_IDS } from '../../shaders/profile/trace.js';
import type { CaptureRecord } from '../../shaders/capture/capture.js';
import { parseCsv, validateTrace } from './trace-validate.js';

const OPS = ['in_proj', 'gla_step', 'o_proj', 'mlp'];

/** A report as profileRun would make it: 2 layers, prefill then `decode` tokens, `repeat` repeats. */
function report(o: { repeat?: number; decode?: number; quantum?: number; timed?: boolean; variant?: string; op?: string } = {}): ProfileReport {
  const repeat = o.repeat ?? 2;
  const decode = o.decode ?? 3;
  const q = o.quantum ?? 1000;
  const timed = o.timed ?? true;
  const records: ProfileRecord[] = [];
  const spans: CpuSpan[] = [];
  for (let r = 0; r < repeat; r++) {
    let t = 5_000_000 * r; // timestamps restart per repeat in real reports; offsets must not matter
    const push = (phase: Phase, token: number, op: string, layer: number | null, ticks: number): void => {
      records.push({
        variant: o.variant ?? 'regla',
        repeat: r,
        layer,
        op,
        kernel: `${op}.wgsl`,
        phase,
        token,
        workgroups: [4, 1, 1],
        flops: 1e6,
        bytes: 4e5,
        startNs: timed ? t : NaN,
        endNs: timed ? t + ticks * q : NaN,
      });
      t += ticks * q + q;
    };
    for (let l = 0; l < 2; l++) for (const op of ['attn_norm', 'q_proj', o.op ?? 'gla_chunk', 'o_proj']) push('prefill', 0, op, l, 3 + l);
    spans.push({ variant: 'regla', repeat: r, phase: 'prefill', token: 0, startMs: 100 * r, endMs: 100 * r + 4 });
    for (let i = 0; i < decode; i++) {
      for (let l = 0; l < 2; l++) for (const op of OPS) push('decode', 16 + i, op, l, 1 + ((i + l) % 2));
      push('decode', 16 + i, 'lm_head', null, 0); // a zero-length dispatch (below the quantum)
      spans.push({ variant: 'regla', repeat: r, phase: 'decode', token: 16 + i, startMs: 100 * r + 5 + i, endMs: 100 * r + 5.5 + i });
    }
  }
  const precision = detectPrecision(records);
  return {
    variant: o.variant ?? 'regla',
    mode: 'per-op',
    adapter: { vendor: 'mesa', description: 'llvmpipe, "quoted"' },
    features: ['timestamp-query'],
    promptTokens: 16,
    decodeTokens: decode,
    repeat,
    warmup: 1,
    precision,
    records,
    spans,
    gpuSpans: [],
    perOp: opStats(records, repeat),
    totals: { prefillMs: 0.5, decodeMsPerToken: 0.1, source: 'gpu', cpuPrefillMs: 4, cpuDecodeMsPerToken: 0.5 },
  };
}

describe('toChromeTrace', () => {
  it('writes a valid trace with GPU and CPU tracks, counters and names', () => {
    const trace = toChromeTrace(report(), { quantization: 'disabled' });
    expect(validateTrace(trace)).toEqual([]);
    const ev = trace.traceEvents;
    const gpuX = ev.filter((e) => e.ph === 'X' && e.pid === TRACE_IDS.gpu);
    expect(gpuX.length).toBe(report().records.length);
    expect(new Set(gpuX.map((e) => e.tid))).toEqual(new Set([TRACE_IDS.tid.prefill, TRACE_IDS.tid.decode]));
    expect(ev.filter((e) => e.ph === 'X' && e.pid === TRACE_IDS.cpu).length).toBe(2 * 4);
    const counters = ev.filter((e) => e.ph === 'C' && e.name === 'tokens/s');
    expect(counters).toHaveLength(1);
    expect(counters[0]!.args).toEqual({ prefill: 16 * 2000, decode: 10000 });
    // Per decode step of the first repeat: each CPU span lasts 0.5 ms → 2000 tokens/s.
    const steps = ev.filter((e) => e.ph === 'C' && e.name === 'decode tokens/s');
    expect(steps.map((e) => e.args)).toEqual(Array.from({ length: report().decodeTokens }, () => ({ step: 2000 })));
    expect(ev.filter((e) => e.ph === 'C')).toHaveLength(1 + report().decodeTokens);
    const names = ev.filter((e) => e.ph === 'M').map((e) => `${e.name}:${e.pid}:${e.tid}:${String(e.args?.['name'])}`);
    expect(names).toContain(`process_name:${TRACE_IDS.gpu}:0:GPU`);
    expect(names).toContain(`thread_name:${TRACE_IDS.gpu}:${TRACE_IDS.tid.decode}:decode`);
    expect(trace.displayTimeUnit).toBe('ns');
    expect(trace.otherData['quantization']).toBe('disabled');
    expect(trace.otherData['adapter']).toEqual({ vendor: 'mesa', description: 'llvmpipe, "quoted"' });
    // ts in µs from ns: the first prefill dispatch of repeat 0 lasts 3 µs.
    const first = gpuX.find((e) => e.args?.['repeat'] === 0 && e.args['layer'] === 0 && e.name === 'attn_norm');
    expect(first?.dur).toBe(3);
  });

  it('lays repeats and reports out one after another (monotone tracks) and skips untimed records', () => {
    const a = report({ variant: 'seq=16 chunk=32' });
    const b = report({ variant: 'seq=16 chunk=64', timed: false });
    const trace = toChromeTrace([a, b]);
    expect(validateTrace(trace)).toEqual([]);
    const gpuX = trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === TRACE_IDS.gpu);
    expect(gpuX.every((e) => e.args?.['variant'] === 'seq=16 chunk=32')).toBe(true);
    const lastA = Math.max(...trace.traceEvents.filter((e) => e.ph === 'X' && e.args?.['variant'] === a.variant).map((e) => e.ts + (e.dur ?? 0)));
    const firstB = Math.min(...trace.traceEvents.filter((e) => e.ph === 'X' && e.args?.['variant'] === b.variant).map((e) => e.ts));
    expect(firstB).toBeGreaterThan(lastA);
    expect(trace.traceEvents.filter((e) => e.ph === 'C' && e.name === 'tokens/s')).toHaveLength(2);
    expect(trace.otherData['precision']).toEqual([
      { variant: a.variant, mode: 'per-op', timestamps: true, quantized: false, quantumNs: 1000 },
      { variant: b.variant, mode: 'per-op', timestamps: false, quantized: false, quantumNs: null },
    ]);
  });

  it('puts fused-mode submit spans on the GPU tracks', () => {
    const rep = report({ timed: false, decode: 2 });
    rep.mode = 'fused';
    for (let r = 0; r < rep.repeat; r++) {
      rep.gpuSpans.push({ variant: rep.variant, repeat: r, phase: 'prefill', token: 0, startNs: 7000, endNs: 9000 });
      rep.gpuSpans.push({ variant: rep.variant, repeat: r, phase: 'decode', token: 16, startNs: 20000, endNs: 20500 });
      rep.gpuSpans.push({ variant: rep.variant, repeat: r, phase: 'decode', token: 17, startNs: 30000, endNs: 30500 });
    }
    const trace = toChromeTrace(rep);
    expect(validateTrace(trace)).toEqual([]);
    const gpuX = trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === TRACE_IDS.gpu);
    expect(gpuX.map((e) => e.name)).toEqual(['prefill 16 tokens (submit)', 'decode @16 (submit)', 'decode @17 (submit)', 'prefill 16 tokens (submit)', 'decode @16 (submit)', 'decode @17 (submit)']);
    expect(gpuX[0]!.dur).toBe(2);
    expect(gpuX[1]!.ts - gpuX[0]!.ts).toBe(13); // relative to the repeat's first timestamp, in µs
  });

  it('adds per-layer saturation counters from capture records on a named Capture process', () => {
    // 2 heads × 10 entries: α thresholds 1e-3 (3 + 1 saturated) and 1e-2; a logit threshold on gate.a.
    const sat = (layer: number, pos0: number, point: CaptureRecord['point']): CaptureRecord => ({
      layer,
      point,
      pos0,
      T: pos0 === 0 ? 16 : 1,
      saturation:
        point === 'gate.a'
          ? [{ kind: 'logit', threshold: 6, low: [1, 0], high: [0, 1], count: 10 }]
          : [
              { kind: 'alpha', threshold: 1e-3, low: [1, 2], high: [0, 1], count: 10 },
              { kind: 'alpha', threshold: 1e-2, low: [2, 2], high: [4, 2], count: 10 },
            ],
    });
    const records: CaptureRecord[] = [
      sat(0, 0, 'gate.logA'), sat(0, 0, 'gate.a'), sat(1, 0, 'gate.logA'), sat(0, 16, 'gate.logA'), sat(0, 17, 'gate.logD'),
      { layer: 0, point: 'state', pos0: 0, T: 16, stateNorm: [1, 2] }, // no saturation: no counter
    ];
    expect(saturationSeries(records[0]!)).toEqual({ 'α ε=0.001': 0.2, 'α ε=0.01': 0.5 });
    expect(saturationSeries(records[1]!)).toEqual({ 'a |x|>6': 0.1 });
    expect(saturationSeries(records[4]!)).toEqual({ 'δ ε=0.001': 0.2, 'δ ε=0.01': 0.5 });
    const a = report({ variant: 'a' });
    const b = report({ variant: 'b' });
    const trace = toChromeTrace([a, b], {}, { captures: [records, undefined] });
    expect(validateTrace(trace)).toEqual([]);
    const names = trace.traceEvents.filter((e) => e.ph === 'M').map((e) => `${e.name}:${e.pid}:${String(e.args?.['name'])}`);
    expect(names).toContain(`process_name:${TRACE_IDS.capture}:Capture`);
    const sc = trace.traceEvents.filter((e) => e.ph === 'C' && e.pid === TRACE_IDS.capture);
    // Layer 0: prefill (logA + gate.a merged), decode @16, decode @17; layer 1: prefill.
    expect(sc.map((e) => e.name).sort()).toEqual(['saturation L0', 'saturation L0', 'saturation L0', 'saturation L1']);
    const l0 = sc.filter((e) => e.name === 'saturation L0');
    expect(l0[0]!.args).toEqual({ 'α ε=0.001': 0.2, 'α ε=0.01': 0.5, 'a |x|>6': 0.1 });
    expect(l0[2]!.args).toEqual({ 'δ ε=0.001': 0.2, 'δ ε=0.01': 0.5 });
    // Placed at the first measured repeat's prefill and decode steps (CPU spans) of report a.
    const cpu = trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === TRACE_IDS.cpu && e.args?.['variant'] === 'a' && e.args['repeat'] === 0);
    const at = (token: number): number => cpu.find((e) => e.args?.['token'] === token)!.ts;
    expect(l0.map((e) => e.ts)).toEqual([at(0), at(16), at(17)]);
    expect(sc.every((e) => e.ts < Math.min(...trace.traceEvents.filter((x) => x.ph === 'X' && x.args?.['variant'] === 'b').map((x) => x.ts)))).toBe(true);
    // The tokens/s counter is still one per report.
    expect(trace.traceEvents.filter((e) => e.name === 'tokens/s')).toHaveLength(2);
    // Without records there is no Capture process.
    expect(toChromeTrace(a, {}, { captures: [[records[5]!]] }).traceEvents.some((e) => e.pid === TRACE_IDS.capture)).toBe(false);
  });

  it('the validator rejects counters with non-finite or missing values', () => {
    const good = toChromeTrace(report());
    const bad = structuredClone(good);
    bad.traceEvents.push({ name: 'saturation L0', ph: 'C', pid: TRACE_IDS.gpu, tid: 0, ts: 1e9, args: { 'α ε=0.001': NaN } });
    expect(validateTrace(bad).join()).toMatch(/not a finite number/);
    const empty = structuredClone(good);
    empty.traceEvents.push({ name: 'saturation L0', ph: 'C', pid: TRACE_IDS.gpu, tid: 0, ts: 1e9, args: {} });
    expect(validateTrace(empty).join()).toMatch(/counter without args/);
    const unnamed = structuredClone(good);
    unnamed.traceEvents.push({ name: 'saturation L0', ph: 'C', pid: TRACE_IDS.capture, tid: 0, ts: 1e9, args: { x: 1 } });
    expect(validateTrace(unnamed).join()).toMatch(/process 3 has no process_name/);
  });

  it('the validator catches broken traces', () => {
    const good = toChromeTrace(report());
    const broken = structuredClone(good);
    const x = broken.traceEvents.find((e) => e.ph === 'X')!;
    x.dur = -1;
    expect(validateTrace(broken).join()).toMatch(/dur -1/);
    const unsorted = structuredClone(good);
    unsorted.traceEvents.reverse();
    expect(validateTrace(unsorted).join()).toMatch(/ts .* < /);
    const unnamed = structuredClone(good);
    unnamed.traceEvents = unnamed.traceEvents.filter((e) => e.ph !== 'M');
    expect(validateTrace(unnamed).join()).toMatch(/no process_name/);
    const nan = structuredClone(good);
    nan.traceEvents.push({ name: 'x', ph: 'X', pid: 1, tid: 1, ts: NaN, dur: 1 });
    expect(validateTrace(nan).length).toBeGreaterThan(0);
    expect(validateTrace({ traceEvents: 3 })).toEqual(['traceEvents is not an array']);
  });
});

describe('toCsv', () => {
  it('quotes commas, quotes and newlines and round-trips through a CSV parser', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(NaN)).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvField(1 / 3)).toBe('0.333333');
    const rep = report({ variant: 'seq=16, "chunk"=32', op: 'gla,chunk\n"x"' });
    const rows = parseCsv(toCsv(rep));
    expect(rows[0]).toEqual([...CSV_HEADER]);
    expect(rows.length).toBe(1 + rep.perOp.length);
    for (const r of rows) expect(r).toHaveLength(CSV_HEADER.length);
    expect(rows.some((r) => r[3] === 'gla,chunk\n"x"' && r[0] === 'seq=16, "chunk"=32')).toBe(true);
    const untimed = parseCsv(toCsv(report({ timed: false })));
    expect(untimed[1]![6]).toBe(''); // NaN median → empty field
  });
});

describe('precision and statistics', () => {
  it('detects 65,536-ns quantization', () => {
    expect(detectPrecision(report({ quantum: 65536 }).records)).toEqual({ timestamps: true, quantized: true, quantumNs: 65536 });
    expect(detectPrecision(report({ quantum: 1000 }).records)).toEqual({ timestamps: true, quantized: false, quantumNs: 1000 });
    // One delta that is not a multiple breaks quantization.
    const recs = [{ startNs: 0, endNs: 65536 }, { startNs: 0, endNs: 131072 }, { startNs: 0, endNs: 70000 }];
    expect(detectPrecision(recs).quantized).toBe(false);
    expect(detectPrecision([{ startNs: NaN, endNs: NaN }])).toEqual({ timestamps: false, quantized: false, quantumNs: NaN });
  });

  it('computes counts per repeat, quantiles and throughput', () => {
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([0, 10], 0.1)).toBeCloseTo(1, 12);
    expect(quantile([NaN], 0.5)).toBeNaN();
    const rep = report({ repeat: 3, decode: 4 });
    const gla = rep.perOp.find((s) => s.op === 'gla_step')!;
    expect(gla.phase).toBe('decode');
    expect(gla.count).toBe(2 * 4); // 2 layers × 4 tokens per repeat
    expect(gla.medianUs).toBe(1.5);
    expect(gla.p10Us).toBe(1);
    expect(gla.p90Us).toBe(2);
    // 1 MFLOP per 1.5 µs on average → 666.7 GFLOP/s.
    expect(gla.gflops).toBeCloseTo(1e6 / 1500, 6);
    expect(gla.gbps).toBeCloseTo(4e5 / 1500, 6);
    const untimed = opStats(report({ timed: false }).records, 2);
    expect(untimed.every((s) => Number.isNaN(s.medianUs) && Number.isNaN(s.gflops) && s.count > 0)).toBe(true);
  });
});
