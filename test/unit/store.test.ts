// The renderer's store slices in Node: catalog, runs (put/update/remove keep order and the current
// run consistent), selection (hover vs lock, Esc clears, clamps), compare (2–4 runs, toggling),
// UI notices. Also the per-token helpers the prompt panel uses (pieces, log-probs, entropy, top-k).
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_COMPARE, currentRun, focusToken, useStore } from '../../renderer/state/store.js';
import type { Run } from '../../renderer/state/types.js';
import { PieceStream, sliced, tokenPieces, tokenStats, tokenStatsSliced } from '../../renderer/session/tokens.js';
import { logSoftmaxRows } from '../../renderer/session/runner.js';

const initial = useStore.getState();
beforeEach(() => useStore.setState(initial, true));

function run(id: string, over: Partial<Run> = {}): Run {
  return {
    id,
    model: { key: 'sample:regla', name: 'regla', kind: 'sample', variant: 'regla' },
    prompt: 'p',
    sampling: { temperature: 0 },
    interventions: [],
    maxTokens: 4,
    status: 'generating',
    error: null,
    tokens: [],
    promptLength: 1,
    stats: { prefillMs: 0, decodeMs: 0, generated: 0, stopReason: null },
    analysis: null,
    attention: null,
    profile: null,
    ...over,
  };
}

describe('runs slice', () => {
  it('keeps creation order, updates by id, and moves the current run off a removed one', () => {
    const s = useStore.getState();
    s.putRun(run('a'));
    s.putRun(run('b'));
    s.putRun(run('a', { status: 'done' })); // replacing keeps the order
    s.setCurrentRun('b');
    expect(useStore.getState().runOrder).toEqual(['a', 'b']);
    expect(useStore.getState().runs['a']?.status).toBe('done');
    s.updateRun('b', (r) => ({ tokens: [...r.tokens, { pos: 0, id: 5, text: 'x', prompt: true, logprob: null, entropy: null, top: [] }] }));
    expect(currentRun(useStore.getState())?.tokens).toHaveLength(1);
    s.updateRun('missing', { status: 'error' }); // no-op
    expect(Object.keys(useStore.getState().runs)).toEqual(['a', 'b']);
    s.toggleCompare('b');
    s.removeRun('b');
    const after = useStore.getState();
    expect(after.runOrder).toEqual(['a']);
    expect(after.currentRun).toBe('a');
    expect(after.compare).toEqual([]);
  });
});

describe('selection slice', () => {
  it('previews the hovered token until one is locked; clicking the locked one unlocks; clear resets both', () => {
    const s = useStore.getState();
    s.setHover(3);
    expect(focusToken(useStore.getState())).toBe(3);
    s.toggleLock(5);
    s.setHover(7);
    expect(focusToken(useStore.getState())).toBe(5);
    s.toggleLock(5);
    expect(focusToken(useStore.getState())).toBe(7);
    s.toggleLock(2);
    s.clearSelection();
    expect(useStore.getState().lockedToken).toBeNull();
    expect(useStore.getState().hoverToken).toBeNull();
  });

  it('clamps layer, head and threshold', () => {
    const s = useStore.getState();
    s.setLayer(-2);
    s.setHead(2.7);
    s.setThreshold(3);
    expect(useStore.getState().layer).toBe(0);
    expect(useStore.getState().head).toBe(2);
    expect(useStore.getState().threshold).toBe(0.5);
    s.setThreshold(0);
    expect(useStore.getState().threshold).toBeGreaterThan(0);
  });
});

describe('compare slice', () => {
  it(`toggles runs in and out and keeps at most ${MAX_COMPARE}, dropping the oldest`, () => {
    const s = useStore.getState();
    for (const id of ['a', 'b', 'c', 'd', 'e']) s.toggleCompare(id);
    expect(useStore.getState().compare).toEqual(['b', 'c', 'd', 'e']);
    s.toggleCompare('c');
    expect(useStore.getState().compare).toEqual(['b', 'd', 'e']);
  });
});

describe('ui slice', () => {
  it('keeps the last five notices and dismisses by id', () => {
    const s = useStore.getState();
    for (let i = 0; i < 7; i++) s.notify('info', `n${i}`);
    const n = useStore.getState().notices;
    expect(n.map((x) => x.text)).toEqual(['n2', 'n3', 'n4', 'n5', 'n6']);
    s.dismiss(n[0]?.id ?? -1);
    expect(useStore.getState().notices.map((x) => x.text)).toEqual(['n3', 'n4', 'n5', 'n6']);
  });
});

describe('token helpers', () => {
  // A byte-level toy: ids are bytes; decode is UTF-8 with replacement characters for partial sequences.
  const decode = (ids: number[]): string => new TextDecoder().decode(Uint8Array.from(ids));

  it('pieces hold a split UTF-8 character back until it is complete', () => {
    const bytes = [...new TextEncoder().encode('aé€b')];
    expect(tokenPieces(bytes, decode)).toEqual(['a', '', 'é', '', '', '€', 'b']);
    const s = new PieceStream(decode);
    expect([104, 105].map((b) => s.push(b)).join('')).toBe('hi');
  });

  it('log-probabilities, entropy and top-k from logits rows (row t predicts token t + 1)', async () => {
    const V = 3;
    const logits = Float32Array.from([0, 0, 0, Math.log(1), Math.log(2), Math.log(5)]);
    const st = tokenStats(logits, 3, V, [0, 1, 2], (id) => `t${id}`, 2);
    expect(st[0]).toEqual({ logprob: null, entropy: null, top: [] });
    expect(st[1]?.logprob).toBeCloseTo(Math.log(1 / 3), 6);
    expect(st[1]?.entropy).toBeCloseTo(Math.log(3), 6);
    expect(st[2]?.logprob).toBeCloseTo(Math.log(5 / 8), 6);
    expect(st[2]?.top.map((a) => a.id)).toEqual([2, 1]);
    expect(st[2]?.top[0]?.p).toBeCloseTo(5 / 8, 6);
    // The sliced form gives the same records, and it does yield: a 0 ms slice yields after every item.
    expect(await tokenStatsSliced(logits, 3, V, [0, 1, 2], (id) => `t${id}`, 2, 0)).toEqual(st);
    const order: string[] = [];
    const done = sliced(0, 3, (i) => order.push(`item${i}`), 0);
    order.push('caller');
    await done;
    expect(order).toEqual(['item0', 'caller', 'item1', 'item2']);
    const ls = logSoftmaxRows(logits, 2, V);
    expect(Math.exp(ls[3] as number) + Math.exp(ls[4] as number) + Math.exp(ls[5] as number)).toBeCloseTo(1, 6);
  });
});
