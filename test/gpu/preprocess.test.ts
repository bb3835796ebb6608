// The WGSL preprocessor (#include, #if/#elif/#else, ${NAME}) and compile errors mapped to source lines.
import { describe, expect, it } from 'vitest';
import { preprocess } from '../../shaders/gpu/preprocess.js';
import { ShaderCompileError } from '../../shaders/errors.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

const lib = 'fn twice(x: f32) -> f32 {\n  return 2.0 * x;\n}';
const main = [
  '#include "lib.wgsl"',
  '#if MODE == fast',
  'const K: u32 = ${K}u;',
  '#elif MODE == slow',
  'const K: u32 = 1u;',
  '#else',
  'const K: u32 = 0u;',
  '#endif',
  '#if !FLAG',
  'const F: f32 = 0.0;',
  '#endif',
  '@group(0) @binding(1) var<storage, read_write> y: array<f32>;',
  '@compute @workgroup_size(1) fn main() { y[0] = twice(f32(K)); }',
].join('\n');

describe('preprocessor', () => {
  it('includes once, selects branches, substitutes and maps lines', () => {
    const p = preprocess('main.wgsl', { 'main.wgsl': main, 'lib.wgsl': lib }, { MODE: 'fast', K: 7 });
    expect(p.code).toContain('const K: u32 = 7u;');
    expect(p.code).not.toContain('const K: u32 = 1u;');
    expect(p.code).toContain('const F: f32 = 0.0;');
    expect(p.lineMap[0]).toEqual({ file: 'lib.wgsl', line: 1 });
    const kLine = p.code.split('\n').indexOf('const K: u32 = 7u;');
    expect(p.lineMap[kLine]).toEqual({ file: 'main.wgsl', line: 3 });
    expect(preprocess('main.wgsl', { 'main.wgsl': main, 'lib.wgsl': lib }, { MODE: 'slow', FLAG: true }).code).toContain('const K: u32 = 1u;');
    expect(preprocess('main.wgsl', { 'main.wgsl': main, 'lib.wgsl': lib }, { MODE: 'x', FLAG: 1 }).code).not.toContain('const F');
  });

  it('names bad directives, unknown includes and missing defines', () => {
    expect(() => preprocess('a.wgsl', { 'a.wgsl': '#include "nope.wgsl"' })).toThrowError(/unknown file 'nope.wgsl'/);
    expect(() => preprocess('a.wgsl', { 'a.wgsl': '#if X\nfoo' })).toThrowError(/unterminated #if/);
    expect(() => preprocess('a.wgsl', { 'a.wgsl': 'x = ${MISSING};' })).toThrowError(/a.wgsl:1:1: undefined \$\{MISSING\}/);
    expect(() => preprocess('a.wgsl', { 'a.wgsl': '#pragma once' })).toThrowError(/unknown directive #pragma/);
  });

  it('a compile error points at the original file and line', async () => {
    const ctx = await getContext();
    const broken = lib.replace('return 2.0 * x;', 'return 2.0 * undefined_name;');
    ctx.kernel({ file: 'main.wgsl', sources: { 'main.wgsl': main, 'lib.wgsl': broken }, defines: { MODE: 'fast', K: 3 } });
    const err = await ctx.compileCheck().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ShaderCompileError);
    expect((err as ShaderCompileError).file).toBe('lib.wgsl');
    expect((err as ShaderCompileError).line).toBe(2);
    // the good variant compiles and runs
    const k = ctx.kernel({ file: 'main.wgsl', sources: { 'main.wgsl': main, 'lib.wgsl': lib }, defines: { MODE: 'fast', K: 3 } });
    await ctx.compileCheck();
    const y = ctx.tensor([1], 'f32', 'y');
    ctx.dispatch({ kernel: k, bindings: [y], workgroups: [1], info: { kernel: 'test', op: 'test' } });
    expect(Array.from(await ctx.readF32(y))).toEqual([6]);
    y.dispose();
  });
});
