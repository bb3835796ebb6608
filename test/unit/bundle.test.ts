// Session bundles in Node: a realistic session (runs with every CaptureRecord field, TokenMatrix of
// f32 and u32, dumps, attention, a kernel profile with NaN times, every intervention kind, special
// numbers everywhere) deep-equals itself after save → open; wrong format, newer or unknown
// versions, truncated files, invalid documents and dangling tensors get named errors; models
// resolve as usable / mismatch (a warning naming the files) / unverified / missing; the store
// restores runs (fresh ids, recorded configs for the panels) and the whole view.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { TokenMatrix, parseConfig, readTypedSafetensors, writeTypedSafetensors, type CaptureRecord, type ModelConfig, type ProfileReport } from '../../shaders/index.js';
import type { ModelHash } from '../../renderer/host/folder.js';
import {
  ANALYSIS_CAPTURE,
  BUNDLE_VERSION,
  BundleError,
  BundleTruncatedError,
  BundleVersionError,
  ModelHashMismatchError,
  ModelHashes,
  bundleName,
  decodeSession,
  encodeSession,
  recordedKey,
  resolveModels,
  restorePlan,
  snapshotSession,
  type Candidate,
  type SessionSnapshot,
} from '../../renderer/session/bundle.js';
import { currentConfig, currentRun, useStore } from '../../renderer/state/store.js';
import { dumpKey, type DumpTensor, type ModelRef, type Run } from '../../renderer/state/types.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIG: ModelConfig = parseConfig(JSON.parse(readFileSync(join(ROOT, 'samples/models/regla/config.json'), 'utf8')));
const REF: ModelRef = { key: 'sample:regla', name: 'regla', kind: 'sample', variant: 'regla', about: 'ReGLA sample', parameters: 1234567 };
const FOLDER_REF: ModelRef = { key: 'folder:mine#1', name: 'mine', kind: 'folder', variant: 'gla' };

const hex = (c: string): string => c.repeat(64);
function hashOf(weights: string, config = 'c', tok = 'e'): ModelHash {
  return {
    algorithm: 'sha256',
    chunkBytes: 64 * 2 ** 20,
    files: [
      { file: 'config.json', bytes: 196, sha256: hex(config) },
      { file: 'model.safetensors', bytes: 5519984, sha256: hex(weights) },
      { file: 'tokenizer.json', bytes: 111610, sha256: hex(tok) },
    ],
    digest: hex(weights === 'a' && config === 'c' && tok === 'e' ? 'd' : weights),
  };
}

let seed = 1;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2;
const f32 = (n: number, special = true): Float32Array => {
  const a = Float32Array.from({ length: n }, rnd);
  if (special && n > 4) {
    a[0] = NaN;
    a[1] = -0;
    a[2] = Infinity;
    a[3] = -Infinity;
  }
  return a;
};
const nums = (n: number): number[] => [...f32(n, false)].map((x) => x);
const tm = (rows: number, cols: number): TokenMatrix => new TokenMatrix(rows, cols, f32(rows * cols));

/** One record with every field CaptureRecord has, and more of each kind. */
function records(T: number): CaptureRecord[] {
  const full: CaptureRecord = {
    layer: 1,
    point: 'gate.a',
    pos0: 0,
    T,
    tokens: { lo: 1, hi: T },
    heads: [0, 1],
    histogram: { lo: 0, hi: 1, scale: 'logit', value: 'exp', counts: [nums(8), nums(8)], under: [0, 1], over: [2, 0], nan: [0, 3] },
    saturation: [
      { kind: 'alpha', threshold: 0.001, low: [1, 2], high: [0, 0], count: 96 },
      { kind: 'logit', threshold: 6, low: [0, 0], high: [5, 1], count: 96 },
    ],
    means: { count: 96, mean: [NaN, 0.5], meanSq: [-0, 0.25], memoryLength: [Infinity, 2], gOneMinusG: [0.1, 0.2], dFdg: [0.3, 0.4] },
    stateNorm: [1.5, 2.5],
    tokenStateNorm: tm(T, 2),
    tokenNorm: tm(T, 2),
    phiZeros: [3, 4],
    phiSparsity: [0.1, 0.2],
    phiEntropy: [1.1, 1.2],
    tokenEntropy: tm(T, 2),
    topk: { k: 3, ids: new TokenMatrix(T, 3, Uint32Array.from({ length: T * 3 }, (_, i) => (i === 4 ? 0xffffffff : i * 97))), values: tm(T, 3) },
    channelMeanAlpha: [nums(4), nums(4)],
    channelMemoryLength: [nums(4), [Infinity, 1, 2, 3]],
  };
  return [
    full,
    { layer: 0, point: 'gate.logA', pos0: 0, T, histogram: full.histogram!, saturation: full.saturation!, means: { count: 10, mean: [0.9], meanSq: [0.81], memoryLength: [10] }, channelMeanAlpha: [nums(4)], channelMemoryLength: [nums(4)] },
    { layer: 0, point: 'state', pos0: 0, T, stateNorm: [3, 4] },
    { layer: 0, point: 'state.in', pos0: 0, T, tokenStateNorm: tm(T, 2) },
    { layer: 0, point: 'attn.o', pos0: 0, T, tokenNorm: tm(T, 2), histogram: { ...full.histogram!, scale: 'linear', value: 'identity' } },
    { layer: 0, point: 'attn.y', pos0: 0, T, tokenNorm: tm(T, 1) },
    { layer: 0, point: 'phi.q', pos0: 0, T, phiZeros: [1], phiSparsity: [0.5], phiEntropy: [2], tokenEntropy: tm(T, 2) },
    { layer: 4, point: 'logits', pos0: 0, T, topk: full.topk!, histogram: full.histogram! },
  ];
}

function profile(): ProfileReport {
  return {
    variant: 'regla',
    mode: 'per-op',
    adapter: { description: 'lavapipe' },
    features: ['timestamp-query'],
    promptTokens: 6,
    decodeTokens: 2,
    repeat: 1,
    warmup: 1,
    precision: { timestamps: false, quantized: true, quantumNs: 1000 },
    records: [
      { variant: 'regla', repeat: 0, layer: null, op: 'embed', kernel: 'embedding', phase: 'prefill', token: 0, workgroups: [1, 2, 3], flops: 10, bytes: 20, startNs: NaN, endNs: NaN },
      { variant: 'regla', repeat: 0, layer: 1, op: 'gate', kernel: 'gate', phase: 'decode', token: 6, workgroups: [4, 1, 1], flops: 1e9, bytes: 2e9, startNs: 5, endNs: 9 },
    ],
    spans: [{ variant: 'regla', repeat: 0, phase: 'prefill', token: 0, startMs: 0.5, endMs: 1.5 }],
    gpuSpans: [{ variant: 'regla', repeat: 0, phase: 'decode', token: 6, startNs: 0, endNs: 100 }],
    perOp: [{ phase: 'prefill', op: 'gate', kernel: 'gate', count: 4, medianUs: 3, p10Us: 2, p90Us: 4, gflops: NaN, gbps: Infinity }],
    totals: { prefillMs: 1, decodeMsPerToken: 0.5, source: 'cpu', cpuPrefillMs: 1.2, cpuDecodeMsPerToken: 0.6 },
  };
}

function makeRun(id: string, model: ModelRef, full: boolean): Run {
  const T = 9;
  const dumps = new Map<string, DumpTensor>();
  for (const [point, layer, shape] of [['gate.a', 2, [2, 32]], ['phi.q', 0, [2, 64]], ['attn.o', 3, [2, 64]]] as const) {
    dumps.set(dumpKey(point, layer), { layer, point, pos0: 0, rows: T, rowShape: [...shape], data: f32(T * shape[0] * shape[1]) });
  }
  return {
    id,
    model,
    prompt: 'It was the best of times',
    sampling: { temperature: 0.8, topK: 40, topP: 0.95, seed: 7 },
    interventions: full
      ? [
          { kind: 'clamp_g', layers: 'all', min: 0.1, max: 0.9 },
          { kind: 'force_r', layers: [0, 2], value: 1 },
          { kind: 'scale_head', layer: 1, head: 0, scale: -0 },
          { kind: 'feature_map', layers: [3], map: 'relu' },
          { kind: 'no_output_norm', layers: 'all' },
        ]
      : [],
    maxTokens: 8,
    status: full ? 'done' : 'error',
    error: full ? null : 'something broke',
    tokens: Array.from({ length: T }, (_, pos) => ({
      pos,
      id: pos * 31,
      text: pos === 3 ? '' : ` t${pos} ✓`,
      prompt: pos < 6,
      logprob: pos === 0 ? null : pos === 5 ? -Infinity : -1.25 * pos,
      entropy: pos === 0 ? null : 2.5,
      top: pos === 0 ? [] : [{ id: 1, text: 'a', p: 0.5 }, { id: 2, text: '"b"', p: 0.25 }],
    })),
    promptLength: 6,
    stats: { prefillMs: 12.5, decodeMs: 40, generated: 3, stopReason: full ? 'length' : null },
    analysis: full ? { T, records: records(T), dumps, ms: 321.5 } : null,
    attention: full ? { layer: 1, head: 1, lo: 0, hi: T, matrix: f32(T * T) } : null,
    profile: full ? profile() : null,
  };
}

function snapshot(): SessionSnapshot {
  const runs = [makeRun('run1', REF, true), makeRun('run2', REF, false), makeRun('run3', FOLDER_REF, true)];
  return {
    savedAt: '2026-12-02T16:00:00.000Z',
    gpu: { adapter: 'Google SwiftShader', features: ['timestamp-query', 'shader-f16'], quantized: null },
    capture: ANALYSIS_CAPTURE,
    models: [
      { ref: REF, config: CONFIG, hash: hashOf('a') },
      { ref: FOLDER_REF, config: parseConfig({ ...JSON.parse(readFileSync(join(ROOT, 'samples/models/gla/config.json'), 'utf8')) }), hash: null },
    ],
    runs,
    ui: {
      currentRun: 'run3',
      compare: ['run1', 'run3'],
      sharedScale: false,
      hoverToken: 5,
      lockedToken: 4,
      layer: 2,
      head: 1,
      gateQuantity: 'g',
      scale: 'logit',
      tokenMetric: 'entropy',
      threshold: 0.01,
      panel: 'saturation',
      activeModel: 'sample:regla',
      derivedFrom: { run3: 'run1' },
      tourStep: 4,
      tourCompare: 'run1',
    },
  };
}

async function named(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('no error');
}

/** A bundle whose JSON document was edited. */
function withDoc(bytes: Uint8Array, edit: (doc: Record<string, unknown>) => void, metadata: Record<string, string> = {}): Uint8Array {
  const f = readTypedSafetensors(bytes);
  const doc = JSON.parse(f.metadata['session']!) as Record<string, unknown>;
  edit(doc);
  return writeTypedSafetensors([...f.tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data }]), { metadata: { ...f.metadata, session: JSON.stringify(doc), ...metadata } });
}

describe('encodeSession → decodeSession', () => {
  it('deep-equals the session: every record kind, TokenMatrix (f32, u32), dumps, attention, profile, interventions, special numbers', () => {
    const s = snapshot();
    const bytes = encodeSession(s);
    const back = decodeSession(bytes, 'x.reglasession');
    expect(back).toEqual(s);
    // Exactly, not just numerically: classes revived, typed arrays of the same type and bits, −0 and NaN kept.
    const rec = back.runs[0]!.analysis!.records[0]!;
    expect(rec.tokenNorm).toBeInstanceOf(TokenMatrix);
    expect(rec.topk?.ids.data).toBeInstanceOf(Uint32Array);
    expect(rec.topk?.ids.at(1, 1)).toBe(0xffffffff);
    expect(rec.topk?.values.data).toBeInstanceOf(Float32Array);
    expect(Object.is(rec.means?.meanSq[0], -0)).toBe(true);
    expect(Number.isNaN(rec.means?.mean[0])).toBe(true);
    expect(back.runs[0]!.analysis!.dumps).toBeInstanceOf(Map);
    expect([...back.runs[0]!.analysis!.dumps.keys()]).toEqual([...s.runs[0]!.analysis!.dumps.keys()]);
    const d = back.runs[0]!.analysis!.dumps.get('gate.a@2')!;
    expect(new Uint8Array(d.data.buffer)).toEqual(new Uint8Array(s.runs[0]!.analysis!.dumps.get('gate.a@2')!.data.buffer));
    expect(Object.is((back.runs[0]!.interventions[2] as { scale: number }).scale, -0)).toBe(true);
    expect(back.runs[0]!.profile?.records[0]?.startNs).toBeNaN();
    // Runs share their model's ref object, as in the store.
    expect(back.runs[0]!.model).toBe(back.runs[1]!.model);
  });

  it('names the tensors by run and tap point (run1/gate.a@2), and an opened session saves again to the same session', () => {
    const bytes = encodeSession(snapshot());
    const names = [...readTypedSafetensors(bytes).tensors.keys()];
    expect(names).toContain('run1/gate.a@2');
    expect(names).toContain('run3/phi.q@0');
    expect(names).toContain('run1/attention.matrix');
    expect(names).toContain('run1/records.0.topk.ids');
    const once = decodeSession(bytes);
    expect(decodeSession(encodeSession(once))).toEqual(once);
  });

  it('a wrong or newer version is a BundleVersionError', async () => {
    const bytes = encodeSession(snapshot());
    const newer = await named(() => decodeSession(withDoc(bytes, (d) => (d['version'] = BUNDLE_VERSION + 1)), 'new.reglasession'));
    expect(newer).toBeInstanceOf(BundleVersionError);
    expect(newer.name).toBe('BundleVersionError');
    expect((newer as BundleVersionError).newer).toBe(true);
    expect(newer.message).toMatch(/new\.reglasession was saved by a newer ReGLA Studio \(session format version 2; this app reads version 1\)/);
    for (const v of [0, '1', null, 1.5]) {
      const e = await named(() => decodeSession(withDoc(bytes, (d) => (d['version'] = v))));
      expect(e, String(v)).toBeInstanceOf(BundleVersionError);
      expect((e as BundleVersionError).newer).toBe(false);
      expect(e.message).toMatch(/unknown session format version/);
    }
  });

  it('a truncated file is a BundleTruncatedError wherever it is cut', async () => {
    const bytes = encodeSession(snapshot());
    for (const cut of [0, 5, 8, 100, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const e = await named(() => decodeSession(bytes.subarray(0, cut), 'part.reglasession'));
      expect(e, `cut at ${cut}`).toBeInstanceOf(BundleTruncatedError);
      expect(e.name).toBe('BundleTruncatedError');
      expect(e.message).toMatch(/part\.reglasession is truncated/);
    }
  });

  it('other files and invalid documents are BundleErrors that say what is wrong', async () => {
    const bytes = encodeSession(snapshot());
    const cases: Array<[Uint8Array, RegExp]> = [
      [new TextEncoder().encode('{"not": "a bundle"} and some more bytes'), /is not a session bundle/],
      [writeTypedSafetensors([['a', { shape: [1], data: Float32Array.of(1) }]], { metadata: { format: 'regla-capture' } }), /is not a ReGLA session bundle/],
      [withDoc(bytes, () => undefined, { session: '{"format": "regla-session", "version": 1,' }), /not valid JSON/],
      [withDoc(bytes, (d) => ((d['ui'] as Record<string, unknown>)['gateQuantity'] = 'Q')), /gateQuantity/],
      [withDoc(bytes, (d) => ((d['runs'] as Array<Record<string, unknown>>)[0]!['extra'] = 1)), /Unrecognized key: "extra"/],
      [withDoc(bytes, (d) => ((d['runs'] as Array<Record<string, unknown>>)[0]!['model'] = 'sample:nope')), /run run1 refers to model sample:nope/],
      [withDoc(bytes, (d) => ((d['ui'] as Record<string, unknown>)['currentRun'] = 'run9')), /refers to run run9/],
      [withDoc(bytes, (d) => ((d['models'] as Array<Record<string, unknown>>)[0]!['config'] = { model_type: 'regla', hidden_size: -1 })), /model config: config\.hidden_size/],
      [
        withDoc(bytes, (d) => {
          const a = (d['runs'] as Array<{ analysis: { dumps: Array<{ tensor: string; rows: number }> } }>)[0]!.analysis;
          a.dumps[0]!.rows = 8;
        }),
        /tensor run1\/gate\.a@2 is F32 \[9, 2, 32\], expected F32 \[8, 2, 32\]/,
      ],
      [
        (() => {
          const f = readTypedSafetensors(bytes);
          f.tensors.delete('run1/attention.matrix');
          return writeTypedSafetensors([...f.tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data }]), { metadata: f.metadata });
        })(),
        /no tensor run1\/attention\.matrix in the bundle/,
      ],
      [
        (() => {
          const f = readTypedSafetensors(bytes);
          return writeTypedSafetensors([...[...f.tensors].map(([n, t]): [string, { shape: number[]; data: Float32Array }] => [n, { shape: t.shape, data: t.data as Float32Array }]), ['stray', { shape: [1], data: Float32Array.of(0) }]], { metadata: f.metadata });
        })(),
        /tensors no run refers to: stray/,
      ],
    ];
    for (const [file, msg] of cases) {
      const e = await named(() => decodeSession(file, 'b.reglasession'));
      expect(e, String(msg)).toBeInstanceOf(BundleError);
      expect(e.message, String(msg)).toMatch(msg);
    }
  });

  it('the suggested file name names the model and the time', () => {
    expect(bundleName(snapshot())).toBe('regla-mine-2026-12-02T16-00-00.reglasession');
  });
});

describe('resolveModels', () => {
  const snap = snapshot();
  const cand = (ref: ModelRef, hash: ModelHash | null | 'fail'): Candidate => ({ ref, hash: async () => (hash === 'fail' ? Promise.reject(new Error('unreadable')) : hash) });

  it('a sample with the same content is usable under its local key', async () => {
    const r = await resolveModels(snap.models, [cand({ ...REF, key: 'sample:regla' }, hashOf('a'))]);
    expect(r.get('sample:regla')).toEqual({ status: 'usable', key: 'sample:regla', local: { ...REF, key: 'sample:regla' } });
  });

  it('an open folder of another name but the same content is usable', async () => {
    const renamed: ModelRef = { key: 'folder:copy#4', name: 'copy', kind: 'folder', variant: 'regla' };
    const r = await resolveModels(snap.models, [cand(REF, hashOf('b')), cand(renamed, hashOf('a'))]);
    expect(r.get('sample:regla')).toMatchObject({ status: 'usable', key: 'folder:copy#4' });
  });

  it('a same-named model with other content is a mismatch naming the files that differ (a warning)', async () => {
    const r = await resolveModels(snap.models, [cand(REF, hashOf('b', 'c', 'f'))]);
    const m = r.get('sample:regla');
    expect(m).toMatchObject({ status: 'mismatch', key: recordedKey(snap.models[0]!) });
    expect(m?.status === 'mismatch' && m.message).toBe('the local regla differs from the session\'s model regla (sample) (model.safetensors, tokenizer.json differ)');
    expect(m?.status === 'mismatch' && m.warning).toBeInstanceOf(ModelHashMismatchError);
    expect(m?.status === 'mismatch' && m.warning.name).toBe('ModelHashMismatchError');
    const unreadable = await resolveModels(snap.models, [cand(REF, 'fail')]);
    expect(unreadable.get('sample:regla')).toMatchObject({ status: 'mismatch', message: expect.stringMatching(/could not be hashed/) });
  });

  it('no local model: missing; saved without a hash: unverified', async () => {
    const r = await resolveModels(snap.models, []);
    expect(r.get('sample:regla')).toEqual({ status: 'missing', key: recordedKey(snap.models[0]!), message: 'model regla (sample) is not available' });
    expect(r.get('folder:mine#1')).toMatchObject({ status: 'missing', key: 'recorded:mine#nohash' });
    const u = await resolveModels(snap.models, [cand({ ...FOLDER_REF, key: 'folder:mine#7' }, hashOf('a'))]);
    expect(u.get('folder:mine#1')).toMatchObject({ status: 'unverified', key: 'recorded:mine#nohash' });
  });
});

describe('restoring into the store', () => {
  const initial = useStore.getState();
  beforeEach(() => useStore.setState(initial, true));

  it('adds the runs with fresh ids, keeps the panels drawing from recorded configs, and restores the view', async () => {
    const snap = decodeSession(encodeSession(snapshot()));
    const st = useStore.getState();
    st.putRun(makeRun('run1', REF, false)); // a run of this page with a clashing id
    const resolution = await resolveModels(snap.models, [{ ref: REF, hash: async () => hashOf('a') }]);
    st.restoreSession(restorePlan(snap, resolution, 's1'));
    const s = useStore.getState();
    expect(s.runOrder).toEqual(['run1', 's1/run1', 's1/run2', 's1/run3']);
    expect(s.runs['run1']?.status).toBe('error'); // untouched
    expect(s.runs['s1/run1']?.model.key).toBe('sample:regla');
    expect(s.runs['s1/run3']?.model.key).toBe('recorded:mine#nohash');
    expect(s.currentRun).toBe('s1/run3');
    expect(s.compare).toEqual(['s1/run1', 's1/run3']);
    // The interventions baseline link and the tour follow the fresh ids.
    expect(s.derivedFrom['s1/run3']).toBe('s1/run1');
    expect({ step: s.tourStep, beside: s.tourCompare }).toEqual({ step: 4, beside: 's1/run1' });
    expect({ hover: s.hoverToken, locked: s.lockedToken, layer: s.layer, head: s.head, q: s.gateQuantity, scale: s.scale, metric: s.tokenMetric, eps: s.threshold, panel: s.panel, shared: s.sharedScale }).toEqual({
      hover: 5,
      locked: 4,
      layer: 2,
      head: 1,
      q: 'g',
      scale: 'logit',
      metric: 'entropy',
      eps: 0.01,
      panel: 'saturation',
      shared: false,
    });
    // The folder model is not open anywhere: its recorded config serves the panels.
    expect(currentConfig(s)).toEqual(snap.models[1]!.config);
    expect(s.recorded['recorded:mine#nohash']).toMatchObject({ status: 'missing', message: 'model mine is not available' });
    expect(s.recorded['sample:regla']).toMatchObject({ status: 'usable', message: null });
    const restored = currentRun(s)!;
    const { id: _id, model: _model, ...rest } = restored;
    const { id: _id0, model: _model0, ...orig } = snap.runs[2]!;
    expect(rest).toEqual(orig);
  });

  it('snapshotSession saves what the store holds (in-flight runs as cancelled, recorded hashes kept) and reopens to the same view', async () => {
    const st = useStore.getState();
    st.setLoaded({ ref: REF, config: CONFIG, weightBytes: 1, trainingLog: null });
    st.putRun(makeRun('run1', REF, true));
    st.putRun({ ...makeRun('run2', REF, false), status: 'generating', error: null });
    st.putRun(makeRun('run3', { ...REF, key: 'sample:unknown' }, true)); // no config anywhere: left out
    st.setCurrentRun('run1');
    st.toggleLock(3);
    st.setLayer(3);
    st.setPanel('attention');
    const asked: string[] = [];
    const { snapshot: snap, skipped, unhashed } = await snapshotSession(useStore.getState(), async (k) => (asked.push(k), hashOf('a')), new Date('2026-12-02T17:00:00Z'));
    expect(asked).toEqual(['sample:regla']);
    expect(skipped).toEqual(['run3']);
    expect(unhashed).toEqual([]);
    expect(snap.runs.map((r) => [r.id, r.status, r.error])).toEqual([
      ['run1', 'done', null],
      ['run2', 'cancelled', 'saved while generating'],
    ]);
    expect(snap.ui).toMatchObject({ currentRun: 'run1', lockedToken: 3, layer: 3, panel: 'attention', activeModel: null });
    const back = decodeSession(encodeSession(snap));
    expect(back).toEqual(snap);
    // Restored, then saved again: the recorded (not open) model keeps the hash it was saved with.
    useStore.setState(initial, true);
    useStore.getState().restoreSession(restorePlan(back, await resolveModels(back.models, []), 's2'));
    const again = await snapshotSession(useStore.getState(), async () => {
      throw new Error('not asked for recorded models');
    });
    expect(again.snapshot.models[0]?.hash).toEqual(hashOf('a'));
    expect(again.snapshot.runs.map((r) => r.id)).toEqual(['s2/run1', 's2/run2']);
  });
});

describe('ModelHashes', () => {
  it('hashes a tracked model once, on first request, and names the untracked', async () => {
    const files: Record<string, Uint8Array> = { 'config.json': new TextEncoder().encode('{}'), 'model.safetensors': new Uint8Array(16) };
    let reads = 0;
    const reader = {
      name: 'm',
      size: async (f: string) => files[f]?.length ?? null,
      read: async (f: string) => (reads++, files[f]!),
    };
    const h = new ModelHashes();
    h.track('folder:m#1', reader);
    expect(reads).toBe(0);
    const a = await h.hash('folder:m#1');
    const b = await h.hash('folder:m#1');
    expect(a).toBe(b);
    expect(reads).toBe(2);
    await expect(h.hash('folder:other')).rejects.toThrow(/was not opened from a folder/);
  });
});
