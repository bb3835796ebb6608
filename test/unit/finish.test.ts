// The CPU finishes of the capture reductions (shaders/capture/reduce.ts) skip the all-zero lanes of the
// workgroup tree; they must give the same f32 bits as the plain emulation of every lane of the GPU's
// tree (kernels/capture.wgsl tree_sum over 256 lanes), −0 and chunk counts around the lane count included.
// (test/gpu/capture.test.ts checks the finish against the GPU's own finish pass, bit for bit.)
import { describe, expect, it } from 'vitest';
import { finishSums } from '../../shaders/capture/reduce.js';
import { Rng } from '../../shaders/cpu/random.js';

const WG = 256;

/** Every lane, every level: the GPU's order written out plainly. */
function tree(r: Float32Array): number {
  for (let s = WG / 2; s > 0; s >>= 1) for (let lid = 0; lid < s; lid++) r[lid] = (r[lid] as number) + (r[lid + s] as number);
  return r[0] as number;
}

function finishPlain(words: Float32Array, chunks: number, H: number): Float32Array {
  const out = new Float32Array(H * 2);
  for (let h = 0; h < H; h++) {
    for (let k = 0; k < 2; k++) {
      const r = new Float32Array(WG);
      for (let lid = 0; lid < WG; lid++) for (let c = lid; c < chunks; c += WG) r[lid] = (r[lid] as number) + (words[(c * H + h) * 2 + k] as number);
      out[h * 2 + k] = tree(r);
    }
  }
  return out;
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('capture finishes: the same bits as every lane of the GPU tree', () => {
  for (const chunks of [0, 1, 2, 3, 100, 255, 256, 257, 700]) {
    it(`finishSums over ${chunks} chunks`, () => {
      const rng = new Rng(chunks + 1);
      const H = 3;
      const words = rng.normals(Math.max(1, chunks) * H * 2, 1e3, 7);
      for (let i = 0; i < words.length; i += 5) words[i] = -0; // signed zeros must come out as the GPU's
      for (let i = 2; i < words.length; i += 11) words[i] = Math.fround(1e-30);
      expect(bits(finishSums(words, 0, chunks, H))).toEqual(bits(finishPlain(words, chunks, H)));
    });
  }

  it('finishSums of all −0 partials is +0 (as the GPU tree adds its +0 lanes)', () => {
    const words = new Float32Array(6).fill(-0);
    expect(bits(finishSums(words, 0, 1, 3))).toEqual(bits(new Float32Array(6)));
  });
});
