// joinChunks: dump chunks → one tensor per (layer, point), rows in position order, gaps flagged.
import { describe, expect, it } from 'vitest';
import { joinChunks, type DumpChunk } from '../../shaders/index.js';

const chunk = (layer: number, point: DumpChunk['point'], pos0: number, rows: number, width: number, base: number): DumpChunk => ({
  layer,
  point,
  pos0,
  rows,
  rowShape: [width],
  data: Float32Array.from({ length: rows * width }, (_, i) => base + i),
});

describe('joinChunks', () => {
  it('groups by layer and point in first-seen order and orders rows by position', () => {
    const j = joinChunks([chunk(1, 'phi.q', 4, 2, 3, 100), chunk(0, 'phi.q', 0, 4, 3, 0), chunk(1, 'phi.q', 0, 4, 3, 10), chunk(1, 'gate.a', 0, 1, 2, 7)]);
    expect(j.map((t) => `${t.layer}:${t.point}`)).toEqual(['1:phi.q', '0:phi.q', '1:gate.a']);
    const [a] = j;
    expect(a?.shape).toEqual([6, 3]);
    expect(a?.tokens).toEqual({ lo: 0, hi: 6 });
    expect(a?.contiguous).toBe(true);
    expect(Array.from(a?.data ?? [])).toEqual([...Array.from({ length: 12 }, (_, i) => 10 + i), ...Array.from({ length: 6 }, (_, i) => 100 + i)]);
  });

  it('flags a gap left by a dropped chunk', () => {
    const [t] = joinChunks([chunk(0, 'attn.o', 0, 2, 1, 0), chunk(0, 'attn.o', 5, 2, 1, 9)]);
    expect(t?.shape).toEqual([4, 1]);
    expect(t?.tokens).toEqual({ lo: 0, hi: 7 });
    expect(t?.contiguous).toBe(false);
  });

  it('returns nothing for no chunks', () => {
    expect(joinChunks([])).toEqual([]);
  });
});
