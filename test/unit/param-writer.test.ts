// ParamWriter: scalars and u32 blocks land in order, as u32 bits, padded to whole vec4s.
import { describe, expect, it } from 'vitest';
import { params } from '../../shaders/gpu/context.js';

describe('ParamWriter', () => {
  it('scalars, f32 bits and blocks in order, padded to a multiple of 4 words', () => {
    const block = Uint32Array.of(7, 8, 0xffffffff);
    const u = new Uint32Array(params().u32(1).i32(-1).f32(1.5).u32s(block).u32(2).u32s(Uint32Array.of(9)).build());
    expect(Array.from(u)).toEqual([1, 0xffffffff, 0x3fc00000, 7, 8, 0xffffffff, 2, 9]);
    expect(Array.from(new Uint32Array(params().u32s(block).build()))).toEqual([7, 8, 0xffffffff, 0]);
    expect(Array.from(new Uint32Array(params().build()))).toEqual([0, 0, 0, 0]);
    expect(Array.from(block)).toEqual([7, 8, 0xffffffff]); // the block is not modified
  });
});
