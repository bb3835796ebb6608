// The Runner passes a run's interventions to its session, without a GPU: a recording stand-in for the
// Session (same `interventions` setter contract: validates, keeps the previous list on error) and a
// stand-in GPU context just able to make the analysis' staging pool. Checks that generation and the
// analysis prefill run under the run's list, the run records it, crossScore scores each run under its
// own list, the session is left with none after every job (also after a failure), and a list that
// does not fit the model is refused before any run exists. (profile() is covered by the e2e run only:
// profileRun needs a real device for its timestamp queries.)
import { beforeEach, describe, expect, it } from 'vitest';
import { InterventionError, parseConfig, validateInterventions, type GenerateOptions, type GenerateResult, type GpuContext, type Intervention, type ModelConfig } from '../../shaders/index.js';
import { Runner, logSoftmaxRows, withInterventions } from '../../renderer/session/runner.js';
import { useStore } from '../../renderer/state/store.js';
import type { LoadedModel } from '../../renderer/state/types.js';
import { VARIANTS } from '../gpu/variants.js';

const config = parseConfig({ ...VARIANTS['regla'], num_hidden_layers: 4 });
const V = config.vocabSize;
const KEY = 'sample:regla';
const FORCE: Intervention = { kind: 'force_r', layers: 'all', value: 0 };
const CLAMP: Intervention = { kind: 'clamp_g', layers: [1, 2], min: 0, max: 0.5 };

/** What the stand-in session saw: each call with the interventions set at that moment. */
type Call = { op: 'reset' | 'generate' | 'prefill'; interventions: string; n?: number };

/** Logits that depend on the interventions set, so scores under different lists differ. */
function fakeLogits(T: number, list: readonly Intervention[]): Float32Array {
  const k = 1 + list.length;
  return Float32Array.from({ length: T * V }, (_, i) => Math.sin(i * 0.37 * k) * 2);
}

class FakeSession {
  readonly calls: Call[] = [];
  tap: unknown = null;
  chunkSize = 64;
  failGenerate = false;
  private list: readonly Intervention[] = [];
  constructor(readonly config: ModelConfig) {}
  get interventions(): readonly Intervention[] {
    return this.list;
  }
  set interventions(l: readonly Intervention[]) {
    validateInterventions(this.config, l);
    this.list = [...l];
  }
  private note(op: Call['op'], n?: number): void {
    this.calls.push({ op, interventions: JSON.stringify(this.list), ...(n !== undefined ? { n } : {}) });
  }
  async reset(): Promise<void> {
    this.note('reset');
  }
  async generate(prompt: ArrayLike<number>, _s: unknown, o: GenerateOptions): Promise<GenerateResult> {
    this.note('generate', prompt.length);
    if (this.failGenerate) throw new Error('device lost in the middle');
    const tokens: number[] = [];
    for (let i = 0; i < o.maxTokens; i++) {
      const t = (prompt.length + i * 7) % V;
      tokens.push(t);
      o.onToken?.(t, i);
    }
    return { tokens, stopReason: 'length', prefillMs: 1, decodeMs: 1 };
  }
  async prefill(ids: ArrayLike<number>): Promise<Float32Array> {
    this.note('prefill', ids.length);
    return fakeLogits(ids.length, this.list);
  }
  cancel(): void {}
  dispose(): void {}
}

/** Just enough of a GpuContext for the analysis' Capture and TensorDump to be made and closed. */
const fakeCtx = {
  label: 'fake',
  features: new Set<string>(),
  device: { createBuffer: () => ({ destroy: () => undefined }) },
  onSubmit: () => () => undefined,
  onFlush: () => () => undefined,
  flush: () => undefined,
} as unknown as GpuContext;

const initial = useStore.getState();
let runner: Runner;
let session: FakeSession;

beforeEach(() => {
  useStore.setState(initial, true);
  runner = new Runner(fakeCtx);
  session = new FakeSession(config);
  const model: LoadedModel = { ref: { key: KEY, name: 'regla', kind: 'sample', variant: 'regla' }, config, weightBytes: 0, trainingLog: null };
  const tokenizer = { encode: (s: string) => ({ ids: [...s].map((c) => c.charCodeAt(0) % V) }), decode: (ids: number[]) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join('') };
  (runner as unknown as { open: Map<string, unknown> }).open.set(KEY, { model, session, tokenizer });
});

describe('Runner and interventions (no GPU)', () => {
  it('generation and the analysis prefill run under the run’s list; the run records it; the session is cleared', async () => {
    const id = await runner.generate(KEY, 'abcd', { temperature: 0, seed: 4 }, 3, [FORCE, CLAMP]);
    const run = useStore.getState().runs[id];
    expect(run?.status).toBe('done');
    expect(run?.interventions).toEqual([FORCE, CLAMP]);
    expect(run?.tokens).toHaveLength(7);
    const want = JSON.stringify([FORCE, CLAMP]);
    const work = session.calls.filter((c) => c.op !== 'reset');
    expect(work).toEqual([
      { op: 'generate', interventions: want, n: 4 },
      { op: 'prefill', interventions: want, n: 7 },
    ]);
    // The analysis' log-probs are the intervened model's (the stand-in's logits under the list).
    const ls = logSoftmaxRows(fakeLogits(7, [FORCE, CLAMP]), 7, V);
    const ids = run?.tokens.map((t) => t.id) ?? [];
    expect(run?.tokens[3]?.logprob).toBeCloseTo(ls[2 * V + (ids[3] as number)] as number, 6);
    expect(session.interventions).toEqual([]);
  });

  it('a plain run runs with none, and the run’s record is a copy', async () => {
    const list: Intervention[] = [{ kind: 'clamp_g', layers: [0], min: 0, max: 0.9 }];
    const id = await runner.generate(KEY, 'abcd', { temperature: 0 }, 1, list);
    (list[0] as unknown as { layers: number[] }).layers.push(3);
    expect(useStore.getState().runs[id]?.interventions).toEqual([{ kind: 'clamp_g', layers: [0], min: 0, max: 0.9 }]);
    session.calls.length = 0;
    const plain = await runner.generate(KEY, 'abcd', { temperature: 0 }, 1);
    expect(useStore.getState().runs[plain]?.interventions).toEqual([]);
    expect(session.calls.filter((c) => c.op !== 'reset').every((c) => c.interventions === '[]')).toBe(true);
  });

  it('a list that does not fit the model is refused before any run exists', async () => {
    const before = useStore.getState().runOrder.length;
    await expect(runner.generate(KEY, 'abcd', { temperature: 0 }, 2, [{ kind: 'force_r', layers: [7], value: 1 }])).rejects.toThrow(InterventionError);
    expect(useStore.getState().runOrder.length).toBe(before);
    expect(session.calls).toEqual([]);
  });

  it('a failure mid-run still leaves the session with no interventions', async () => {
    session.failGenerate = true;
    const id = await runner.generate(KEY, 'abcd', { temperature: 0 }, 2, [FORCE]);
    expect(useStore.getState().runs[id]).toMatchObject({ status: 'error', error: 'Error: device lost in the middle' });
    expect(session.interventions).toEqual([]);
  });

  it('crossScore scores each run under its own list (the same model twice), teacher-forced', async () => {
    const ids = [3, 9, 4, 20, 7];
    const s = await runner.crossScore(ids, [{ key: KEY, interventions: [] }, { key: KEY, interventions: [FORCE] }, { key: KEY }]);
    expect(session.calls.filter((c) => c.op === 'prefill').map((c) => c.interventions)).toEqual(['[]', JSON.stringify([FORCE]), '[]']);
    expect(session.interventions).toEqual([]);
    const a = logSoftmaxRows(fakeLogits(5, []), 5, V);
    const b = logSoftmaxRows(fakeLogits(5, [FORCE]), 5, V);
    for (let t = 1; t < 5; t++) {
      expect(s.logprobs[0]?.[t]).toBeCloseTo(a[(t - 1) * V + (ids[t] as number)] as number, 6);
      expect(s.logprobs[1]?.[t]).toBeCloseTo(b[(t - 1) * V + (ids[t] as number)] as number, 6);
      expect(s.logprobs[2]?.[t]).toBe(s.logprobs[0]?.[t]);
      let kl = 0;
      for (let j = 0; j < V; j++) kl += Math.exp(a[(t - 1) * V + j] as number) * ((a[(t - 1) * V + j] as number) - (b[(t - 1) * V + j] as number));
      expect(s.kl[1]?.[t]).toBeCloseTo(kl, 5);
      expect(s.kl[1]?.[t]).toBeGreaterThan(0);
      expect(s.kl[2]?.[t]).toBe(0);
    }
    await expect(runner.crossScore(ids, [{ key: KEY }, { key: KEY, interventions: [{ kind: 'scale_head', layer: 0, head: 5, scale: 0 }] }])).rejects.toThrow(/head 5 is out of range/);
  });

  it('withInterventions sets the list for the job and clears it after, also when the job throws', async () => {
    const s = new FakeSession(config);
    await expect(withInterventions(s, [FORCE], async () => JSON.stringify(s.interventions))).resolves.toBe(JSON.stringify([FORCE]));
    expect(s.interventions).toEqual([]);
    await expect(
      withInterventions(s, [CLAMP], async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(s.interventions).toEqual([]);
    await expect(withInterventions(s, [{ kind: 'force_r', layers: 'all', value: 2 as 0 }], async () => 1)).rejects.toThrow(InterventionError);
    expect(s.interventions).toEqual([]);
  });
});
