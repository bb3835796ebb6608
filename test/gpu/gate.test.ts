import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { logGate64, logRefined64 } from '../../shaders/cpu/gate.js';
import { logGate } from '../../shaders/ops/gate.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

const B = 1;
const T = 5;
const H = 2;
const dk = 16;
const dv = 32;

/** Logits spanning ±30 with the saturated ends planted at fixed places. */
function logits(rng: Rng, n: number): Float32Array {
  const x = rng.uniforms(n, -30, 30);
  for (let i = 0; i < n; i += 7) x[i] = i % 2 ? 30 : -30;
  for (let i = 3; i < n; i += 11) x[i] = rng.normal();
  return x;
}

function allFinite(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i] as number)) return false;
  return true;
}

describe('log gates vs float64 twin', () => {
  const cases = [
    { kind: 'gla', normalizer: 16, clampMin: null, repeat: 1 },
    { kind: 'gla', normalizer: 16, clampMin: -0.5, repeat: 1 },
    { kind: 'sigmoid', normalizer: 16, clampMin: null, repeat: 1 },
    { kind: 'refined', normalizer: 1, clampMin: null, repeat: 1 },
    { kind: 'refined', normalizer: 4, clampMin: -3, repeat: 2 },
    { kind: 'fast_decay', normalizer: 2, clampMin: null, repeat: 1 },
    { kind: 'fast_decay', normalizer: 1, clampMin: -2, repeat: 1 },
    { kind: 'gla', normalizer: 16, clampMin: null, repeat: 2 },
  ] as const;
  for (const cse of cases) {
    it(`${cse.kind} τ=${cse.normalizer} clamp=${cse.clampMin} repeat=${cse.repeat}`, async () => {
      const ctx = await getContext();
      const rng = new Rng(17 + cse.normalizer * 3 + (cse.clampMin ?? 0) * 5 + cse.repeat);
      const a = logits(rng, B * T * H * dk);
      const c = logits(rng, B * T * H * dk);
      const b = logits(rng, B * T * H * dv);
      const ta = ctx.upload(a, [B, T, H, dk], 'a');
      const tc = ctx.upload(c, [B, T, H, dk], 'c');
      const tb = ctx.upload(b, [B, T, H, dv], 'b');
      const out = logGate(ctx, { kind: cse.kind, a: ta, c: tc, b: tb, normalizer: cse.normalizer, clampMin: cse.clampMin, repeat: cse.repeat });
      const want = logGate64({ kind: cse.kind, a, c, b, width: dk, normalizer: cse.normalizer, clampMin: cse.clampMin, repeat: cse.repeat });
      expect(out.A?.shape).toEqual([B, T, H, dk * cse.repeat]);
      const gotA = await ctx.readF32(out.A!);
      expect(allFinite(gotA)).toBe(true);
      // Relative comparison down to 1e-30: the saturated end logσ(30) ≈ −9.4e-14 must come out right, not as 0.
      const rep = expectClose(gotA, want.A!, { rtol: 2e-5, atol: 1e-30, label: `${cse.kind} A` });
      expect(rep.worstRel).toBeLessThan(2e-5);
      for (let i = 0; i < gotA.length; i++) expect(gotA[i]).toBeLessThanOrEqual(0);
      if (cse.kind === 'fast_decay') {
        expect(out.D?.shape).toEqual([B, T, H, dv]);
        const gotD = await ctx.readF32(out.D!);
        expect(allFinite(gotD)).toBe(true);
        expectClose(gotD, want.D!, { rtol: 2e-5, atol: 1e-30, label: 'D' });
      } else {
        expect(out.D).toBeUndefined();
      }
      out.A?.dispose();
      out.D?.dispose();
      [ta, tc, tb].forEach((t) => t.dispose());
    });
  }

  it('saturated ends are exact: logσ(±30), refined F at the four corners', async () => {
    const ctx = await getContext();
    const a = new Float32Array([30, -30, 30, -30]);
    const c = new Float32Array([30, 30, -30, -30]);
    const ta = ctx.upload(a, [1, 1, 1, 4], 'a');
    const tc = ctx.upload(c, [1, 1, 1, 4], 'c');
    const sig = logGate(ctx, { kind: 'sigmoid', a: ta, normalizer: 1, clampMin: null });
    const ref = logGate(ctx, { kind: 'refined', a: ta, c: tc, normalizer: 1, clampMin: null });
    const s = await ctx.readF32(sig.A!);
    const r = await ctx.readF32(ref.A!);
    const eps = Math.exp(-30) / (1 + Math.exp(-30));
    // logσ(−30) = −30 − 9.4e-14 rounds to −30 in f32; logσ(30) = −log1p(e^−30).
    expect(s[1]).toBe(-30);
    expect(Math.abs(s[0]! / -Math.log1p(Math.exp(-30)) - 1)).toBeLessThan(1e-5);
    // F = g(g + 2r(1 − g)) at the corners, ε = σ(−30): (g, r) → (1, 1): 1 − 3ε²; (0, 1): ≈ 2ε;
    // (1, 0): ≈ 1 − 2ε; (0, 0): ≈ 3ε².
    const exact = [-3 * eps * eps, Math.log(eps) + Math.LN2, -2 * eps, 2 * Math.log(eps) + Math.log(3)];
    for (let i = 0; i < 4; i++) {
      expect(Number.isFinite(r[i]!)).toBe(true);
      expect(Math.abs(r[i]! - exact[i]!)).toBeLessThanOrEqual(Math.abs(exact[i]!) * 2e-5);
      expect(Math.abs(logRefined64(a[i]!, c[i]!) - exact[i]!)).toBeLessThanOrEqual(Math.abs(exact[i]!) * 1e-12);
    }
    [ta, tc, sig.A!, ref.A!].forEach((t) => t.dispose());
  });

  it("refined's stable forms equal log of F = g(g + 2r(1 − g)) computed directly (float64)", () => {
    const rng = new Rng(5);
    const a = rng.uniforms(200, -8, 8);
    const c = rng.uniforms(200, -8, 8);
    a[0] = 0;
    a[1] = -1e-9;
    const got = logGate64({ kind: 'refined', a, c, width: 200, normalizer: 1, clampMin: null }).A!;
    for (let i = 0; i < 200; i++) {
      const g = 1 / (1 + Math.exp(-a[i]!));
      const r = 1 / (1 + Math.exp(-c[i]!));
      expect(got[i]).toBeCloseTo(Math.log(g * (g + 2 * r * (1 - g))), 10);
    }
  });

  it("'none' returns no gate tensors", async () => {
    const ctx = await getContext();
    expect(logGate(ctx, { kind: 'none', normalizer: 16, clampMin: null })).toEqual({});
  });
});
