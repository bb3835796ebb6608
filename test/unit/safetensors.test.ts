import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../../shaders/errors.js';
import {
  SafetensorsError,
  bf16ToF32,
  decodeTensor,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  parseHeader,
  readHeaderLength,
  readSafetensors,
  writeSafetensors,
  type StDtype,
} from '../../shaders/model/safetensors.js';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** A file from a header string (unpadded, as a hand-written or foreign tool might produce) and data bytes. */
function craft(header: string, data: number[] | Uint8Array = []): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function expectStError(f: () => unknown, ...parts: (string | RegExp)[]): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  expect(err).toBeInstanceOf(WeightsFormatError);
  const msg = (err as Error).message;
  for (const p of parts) expect(msg).toMatch(p);
}

const f32Bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;
const fromBits = (b: number): number => new Float32Array(new Uint32Array([b]).buffer)[0]!;

describe('half-precision conversions', () => {
  it('round-trips all 65,536 f16 patterns f16 → f32 → f16 (NaNs stay NaN)', () => {
    let nans = 0;
    for (let h = 0; h < 65536; h++) {
      const x = f16ToF32(h);
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) {
        nans++;
        expect(Number.isNaN(x)).toBe(true);
        const back = f32ToF16(x);
        expect(back & 0x7c00).toBe(0x7c00);
        expect(back & 0x3ff).not.toBe(0);
      } else if (f32ToF16(x) !== h) {
        expect.fail(`f16 0x${h.toString(16)} → ${x} → 0x${f32ToF16(x).toString(16)}`);
      }
    }
    expect(nans).toBe(2 * 1023);
  });

  it('decodes every f16 pattern in bulk exactly as f16ToF32 does, keeping NaN payloads', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const info = { name: 'all', dtype: 'F16' as const, shape: [65536], begin: 0, end: 131072 };
    const out = decodeTensor(info, new Uint8Array(bits.buffer), 'all.safetensors');
    for (let h = 0; h < 65536; h++) {
      const want = f16ToF32(h);
      if (Number.isNaN(want)) expect(Number.isNaN(out[h])).toBe(true);
      else if (!Object.is(out[h], want)) expect.fail(`0x${h.toString(16)}: ${out[h]} vs ${want}`);
    }
    // Bulk f16 → f16 via the writer is bit-exact, NaN payloads included.
    const file = writeSafetensors([['all', { shape: [65536], data: out }]], { dtype: 'F16' });
    const back = new Uint16Array(file.buffer.slice(file.length - 131072));
    expect(back).toEqual(bits);
  });

  it('round-trips all 65,536 bf16 patterns bf16 → f32 → bf16 (NaNs stay NaN)', () => {
    for (let h = 0; h < 65536; h++) {
      const x = bf16ToF32(h);
      // A NaN's bits are not observable through a JS number (engines may quiet it), so only non-NaNs.
      if (!Number.isNaN(x)) expect(f32Bits(x)).toBe((h << 16) >>> 0);
      const back = f32ToBf16(x);
      if (Number.isNaN(x)) {
        expect(back & 0x7f80).toBe(0x7f80);
        expect(back & 0x7f).not.toBe(0);
      } else if (back !== h) expect.fail(`bf16 0x${h.toString(16)} → ${x} → 0x${back.toString(16)}`);
    }
    const bits = new Uint16Array(65536).map((_, i) => i);
    const out = decodeTensor({ name: 'b', dtype: 'BF16', shape: [256, 256], begin: 0, end: 131072 }, new Uint8Array(bits.buffer), 'x');
    const file = writeSafetensors([['b', { shape: [256, 256], data: out }]], { dtype: 'BF16' });
    expect(new Uint16Array(file.buffer.slice(file.length - 131072))).toEqual(bits);
  });

  it('converts known values', () => {
    const cases: [number, number][] = [
      [1.0, 0x3c00],
      [-2.5, 0xc100],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [0, 0x0000],
      [-0, 0x8000],
    ];
    for (const [x, h] of cases) {
      expect(f32ToF16(x)).toBe(h);
      expect(Object.is(f16ToF32(h), x)).toBe(true);
    }
    expect(Number.isNaN(f16ToF32(0x7e00))).toBe(true);
    expect(f32ToF16(NaN) & 0x7c00).toBe(0x7c00);
    expect(f32ToF16(NaN) & 0x3ff).not.toBe(0);
    // bf16: 1.0 = 0x3f80, -2.5 = 0xc020, inf, the largest finite bf16.
    expect([f32ToBf16(1), f32ToBf16(-2.5), f32ToBf16(Infinity), f32ToBf16(-Infinity)]).toEqual([0x3f80, 0xc020, 0x7f80, 0xff80]);
    expect(bf16ToF32(0x7f7f)).toBe(fromBits(0x7f7f0000));
    expect(Number.isNaN(bf16ToF32(f32ToBf16(NaN)))).toBe(true);
    // An f32 NaN whose payload sits only in the low 16 bits must not truncate to inf.
    expect(Number.isNaN(bf16ToF32(f32ToBf16(fromBits(0x7f800001))))).toBe(true);
    expect(Number.isNaN(f16ToF32(f32ToF16(fromBits(0x7f800001))))).toBe(true);
    // Same through the writer, where the bits never pass through a JS number (which may quiet them).
    const sNaN = new Float32Array(new Uint32Array([0x7f800001, 0xff800100, 0x7fc00000]).buffer);
    for (const dtype of ['F16', 'BF16'] as const) {
      const file = writeSafetensors([['n', { shape: [3], data: sNaN }]], { dtype });
      for (const b of new Uint16Array(file.buffer.slice(file.length - 6))) {
        const [expMask, mantMask] = dtype === 'F16' ? [0x7c00, 0x3ff] : [0x7f80, 0x7f];
        expect(b & expMask).toBe(expMask);
        expect(b & mantMask).not.toBe(0);
      }
    }
  });

  it('rounds f32 → f16 to nearest, ties to even, with overflow and subnormals', () => {
    const ulp1 = 2 ** -10; // f16 spacing in [1, 2)
    expect(f32ToF16(1 + ulp1 / 2)).toBe(0x3c00); // tie → even (down)
    expect(f32ToF16(1 + ulp1 * 1.5)).toBe(0x3c02); // tie → even (up)
    expect(f32ToF16(1 + ulp1 / 2 + 2 ** -20)).toBe(0x3c01); // above the tie → up
    expect(f32ToF16(1 + ulp1 / 2 - 2 ** -20)).toBe(0x3c00);
    expect(f32ToF16(-(1 + ulp1 * 1.5))).toBe(0xbc02);
    expect(f32ToF16(65519)).toBe(0x7bff); // below the midpoint of 65504 and 65536
    expect(f32ToF16(65520)).toBe(0x7c00); // tie with 2^16 → even → inf
    expect(f32ToF16(1e6)).toBe(0x7c00);
    expect(f32ToF16(-1e6)).toBe(0xfc00);
    expect(f32ToF16(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24 → even (0)
    expect(f32ToF16(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(f32ToF16(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 units → 2
    expect(f32ToF16(5 * 2 ** -25)).toBe(0x0002); // tie between 2 and 3 units → 2
    expect(f32ToF16(2 ** -14 - 2 ** -25)).toBe(0x0400); // tie at the top subnormal → smallest normal
    expect(f32ToF16(2 ** -30)).toBe(0x0000);
    expect(f32ToF16(-(2 ** -30))).toBe(0x8000);
    // bf16 ties: 1 + 2^-8 is halfway between 1 and 1 + 2^-7.
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(f32ToBf16(fromBits(0x7f7fffff))).toBe(0x7f80); // max f32 rounds to inf
  });

  it('picks a nearest f16 for random f32 values across the whole range', () => {
    let s = 12345;
    const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s);
    for (let i = 0; i < 20000; i++) {
      // Exponents 95..146 span zero, subnormal, normal and overflowing f16 values.
      const x = fromBits(((rand() & 0x80000000) | ((95 + (rand() % 52)) << 23) | (rand() & 0x7fffff)) >>> 0);
      if (Number.isNaN(x)) continue;
      const h = f32ToF16(x);
      const y = f16ToF32(h);
      // No f16 is strictly closer than the chosen one (neighbours by bit pattern).
      const err = Math.abs(y - x);
      for (const nb of [h - 1, h + 1]) {
        if ((nb & 0x7fff) > 0x7c00 || nb < 0 || ((nb ^ h) & 0x8000) !== 0) continue;
        const z = f16ToF32(nb);
        if (Number.isFinite(y)) expect(Math.abs(z - x)).toBeGreaterThanOrEqual(err);
      }
    }
  });
});

describe('safetensors round trips', () => {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>([
    ['model.norm.weight', { shape: [4], data: new Float32Array([1, -2.5, 0.125, 3]) }],
    ['a.scalar', { shape: [], data: new Float32Array([7.5]) }],
    ['z.empty', { shape: [0, 3], data: new Float32Array(0) }],
    ['m.matrix', { shape: [2, 3], data: new Float32Array([0, 1, 2, -3, 4.5, 6.25]) }],
  ]);

  for (const dtype of ['F32', 'F16', 'BF16'] as StDtype[]) {
    it(`writes and reads ${dtype} with metadata, scalars and zero-size tensors`, () => {
      const file = writeSafetensors(tensors, { dtype, metadata: { format: 'pt', note: 'ünïcödé ✓' } });
      const headerLen = Number(new DataView(file.buffer).getBigUint64(0, true));
      expect(headerLen % 8).toBe(0);
      const { header, tensors: back } = readSafetensors(file, 'rt.safetensors');
      expect(header.metadata).toEqual({ format: 'pt', note: 'ünïcödé ✓' });
      expect(header.dataStart).toBe(8 + headerLen);
      expect(header.fileSize).toBe(file.length);
      // Sorted by name, contiguous.
      expect(header.tensors.map((t) => t.name)).toEqual(['a.scalar', 'm.matrix', 'model.norm.weight', 'z.empty']);
      let pos = header.dataStart;
      for (const t of header.tensors) {
        expect(t.dtype).toBe(dtype);
        expect(t.begin).toBe(pos);
        pos = t.end;
      }
      expect(pos).toBe(file.length);
      for (const [name, t] of tensors) {
        expect(back.get(name)?.shape).toEqual(t.shape);
        expect(back.get(name)?.data).toEqual(t.data); // all values are exact in bf16 and f16
      }
    });
  }

  it('rounds on write: f32 values come back as their nearest f16/bf16', () => {
    const data = new Float32Array([0.1, 1 / 3, 1e-6, 70000, -1e-8]);
    const f16 = readSafetensors(writeSafetensors([['x', { shape: [5], data }]], { dtype: 'F16' })).tensors.get('x')!.data;
    expect([...f16]).toEqual([...data].map((x) => f16ToF32(f32ToF16(x))));
    expect(f16[3]).toBe(Infinity);
    const bf = readSafetensors(writeSafetensors([['x', { shape: [5], data }]], { dtype: 'BF16' })).tensors.get('x')!.data;
    expect([...bf]).toEqual([...data].map((x) => bf16ToF32(f32ToBf16(x))));
    for (let i = 0; i < 5; i++) expect(Math.abs(bf[i]! - data[i]!)).toBeLessThanOrEqual(Math.abs(data[i]!) * 2 ** -8);
  });

  it('reads tensors from an unaligned view of the file', () => {
    for (const dtype of ['F32', 'F16', 'BF16'] as StDtype[]) {
      const f = writeSafetensors(tensors, { dtype });
      const shifted = new Uint8Array(f.length + 1);
      shifted.set(f, 1);
      const back = readSafetensors(shifted.subarray(1)).tensors;
      for (const [name, t] of tensors) expect(back.get(name)?.data).toEqual(t.data);
    }
  });

  it('rejects bad input to the writer', () => {
    expectStError(() => writeSafetensors([['x', { shape: [2, 2], data: new Float32Array(3) }]]), '"x"', '4 elements', '3');
    expectStError(() => writeSafetensors([['x', { shape: [1], data: new Float32Array(1) }], ['x', { shape: [1], data: new Float32Array(1) }]]), 'twice');
    expectStError(() => writeSafetensors([['__metadata__', { shape: [1], data: new Float32Array(1) }]]), '__metadata__');
  });
});

describe('golden files (as other tools write them)', () => {
  it('reads a hand-computed F16 + metadata file, and the writer produces the same bytes', () => {
    // Python: save_file({"b": torch.tensor([1.0, -2.5], dtype=torch.float16), "a": torch.tensor([[65504.0]], dtype=torch.float16)},
    // metadata={"format": "pt"}) → keys sorted, header space-padded to a multiple of 8.
    const header = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F16","shape":[1,1],"data_offsets":[0,2]},"b":{"dtype":"F16","shape":[2],"data_offsets":[2,6]}}';
    expect(header.length).toBe(140); // 140 = 17·8 + 4 → 4 spaces of padding → 144 = 0x90
    const golden = new Uint8Array([
      0x90, 0, 0, 0, 0, 0, 0, 0,
      ...ascii(header), 0x20, 0x20, 0x20, 0x20,
      0xff, 0x7b, // 65504 = 0x7bff
      0x00, 0x3c, // 1.0 = 0x3c00
      0x00, 0xc1, // -2.5 = 0xc100
    ]);
    const { header: h, tensors } = readSafetensors(golden, 'golden.safetensors');
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.dataStart).toBe(152);
    expect(h.tensors).toEqual([
      { name: 'a', dtype: 'F16', shape: [1, 1], begin: 152, end: 154 },
      { name: 'b', dtype: 'F16', shape: [2], begin: 154, end: 158 },
    ]);
    expect([...tensors.get('a')!.data]).toEqual([65504]);
    expect([...tensors.get('b')!.data]).toEqual([1, -2.5]);
    const written = writeSafetensors(
      [
        ['b', { shape: [2], data: new Float32Array([1, -2.5]) }],
        ['a', { shape: [1, 1], data: new Float32Array([65504]) }],
      ],
      { dtype: 'F16', metadata: { format: 'pt' } },
    );
    expect(written).toEqual(golden);
  });

  it('reads an unpadded, unsorted, mixed-dtype file with a gap-free F32/BF16 layout', () => {
    const header = '{"w":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"s":{"data_offsets":[0,4],"shape":[],"dtype":"F32"}}';
    const golden = new Uint8Array([
      header.length, 0, 0, 0, 0, 0, 0, 0,
      ...ascii(header),
      0x00, 0x00, 0xc0, 0x3f, // F32 1.5 = 0x3fc00000
      0x80, 0x3f, // BF16 1.0 = 0x3f80
      0x49, 0x40, // BF16 3.140625 = 0x4049
    ]);
    const { header: h, tensors } = readSafetensors(golden, 'mixed.safetensors');
    expect(h.metadata).toEqual({});
    expect(h.tensors.map((t) => [t.name, t.dtype])).toEqual([
      ['w', 'BF16'],
      ['s', 'F32'],
    ]);
    expect(tensors.get('s')).toEqual({ shape: [], data: new Float32Array([1.5]) });
    expect([...tensors.get('w')!.data]).toEqual([1, 3.140625]);
  });
});

describe('malformed files', () => {
  const good = writeSafetensors([['t', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }]]);

  it('file shorter than 8 bytes', () => {
    expectStError(() => readSafetensors(new Uint8Array(5), 'short.safetensors'), 'short.safetensors', '5 bytes', 'at least 8');
    expectStError(() => readSafetensors(new Uint8Array(0), 'empty.st'), 'empty.st');
  });

  it('truncated data', () => {
    expectStError(() => readSafetensors(good.subarray(0, good.length - 3), 'trunc.st'), 'trunc.st', '"t"', 'past the end', 'truncated');
  });

  it('header length past the end of the file', () => {
    const f = good.slice();
    new DataView(f.buffer).setUint32(0, f.length, true);
    expectStError(() => readSafetensors(f, 'len.st'), 'len.st', `${f.length}`, 'past the end');
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(4, 0xffffffff, true); // ~2^64: must not allocate or hang
    expectStError(() => readSafetensors(huge, 'huge.st'), 'huge.st', 'exceeds');
  });

  it('header over 100 MB (only the 8-byte prefix is crafted)', () => {
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setUint32(0, 100 * 1024 * 1024 + 1, true);
    expectStError(() => readHeaderLength(prefix, 2 ** 40, 'big.st'), 'big.st', '104857601', '100 MB');
    new DataView(prefix.buffer).setUint32(0, 100 * 1024 * 1024, true);
    expect(readHeaderLength(prefix, 2 ** 40, 'ok.st')).toBe(100 * 1024 * 1024);
  });

  it('non-JSON header, invalid UTF-8, and JSON that is not an object', () => {
    expectStError(() => readSafetensors(craft('{"t": {dtype'), 'nj.st'), 'nj.st', 'not valid JSON');
    const bad = craft('{"a":1}');
    bad[10] = 0xff;
    expectStError(() => readSafetensors(bad, 'u.st'), 'UTF-8');
    expectStError(() => readSafetensors(craft('[1,2,3]'), 'arr.st'), 'arr.st', 'JSON object', 'array');
    expectStError(() => readSafetensors(craft('"str"'), 's.st'), 'JSON object', 'string');
    expectStError(() => readSafetensors(craft('null'), 'n.st'), 'JSON object', 'null');
    expectStError(() => readSafetensors(craft('{"t":[1]}'), 'e.st'), '"t"', 'dtype, shape, data_offsets');
    expectStError(() => readSafetensors(craft('{"__metadata__":{"k":1}}'), 'm.st'), '__metadata__.k', 'string');
  });

  it('unknown dtype lists the supported ones', () => {
    const f = craft('{"t":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}', new Array<number>(8).fill(0));
    expectStError(() => readSafetensors(f, 'dt.st'), 'dt.st', '"t"', 'F64', 'F32, F16, BF16');
    expectStError(() => readSafetensors(craft('{"t":{"shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0])), '"t"', 'undefined');
  });

  it('dtype/shape mismatch in byte length', () => {
    const f = craft('{"t":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}}', new Array<number>(16).fill(0));
    expectStError(() => readSafetensors(f, 'mm.st'), 'mm.st', '"t"', 'byte length 16', 'expected 8 bytes', 'F16', '[2,2]');
  });

  it('out-of-bounds, reversed and malformed offsets', () => {
    const f = craft('{"t":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', new Array<number>(8).fill(0));
    expectStError(() => readSafetensors(f, 'oob.st'), 'oob.st', '"t"', '[4, 12]', 'past the end', '8 bytes');
    expectStError(() => readSafetensors(craft('{"t":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}', new Array<number>(8).fill(0))), '"t"', 'before begin');
    for (const off of ['[0]', '[0,4,8]', '[0.5,4.5]', '[-4,0]', '"0,4"', '[0,1e300]']) {
      expectStError(() => readSafetensors(craft(`{"t":{"dtype":"F32","shape":[1],"data_offsets":${off}}}`, [0, 0, 0, 0])), '"t"', 'data_offsets');
    }
  });

  it('overlapping offsets', () => {
    const h = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    expectStError(() => readSafetensors(craft(h, new Array<number>(12).fill(0)), 'ov.st'), 'ov.st', '"b"', 'overlaps', '"a"');
    // Zero-size tensors own no bytes, so sitting inside another tensor is fine.
    const z = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}';
    expect(readSafetensors(craft(z, new Array<number>(8).fill(0))).tensors.get('b')?.data.length).toBe(0);
  });

  it('negative, non-integer and non-array shapes', () => {
    for (const shape of ['[-1]', '[1.5]', '"4"', '[null]', '{"0":4}', '[1e400]']) {
      expectStError(() => readSafetensors(craft(`{"t":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`, [0, 0, 0, 0]), 'sh.st'), 'sh.st', '"t"', 'shape', 'non-negative integers');
    }
    const big = craft('{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}', [0, 0, 0, 0]);
    expectStError(() => readSafetensors(big), '"t"', 'too large');
  });

  it('duplicate tensor names', () => {
    const h = '{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectStError(() => readSafetensors(craft(h, new Array<number>(8).fill(0)), 'dup.st'), 'dup.st', '"t"', 'twice');
    // Same name nested (not top level), or escaped differently but distinct, is fine.
    const ok = '{"a\\"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[1],"data_offsets":[4,8],"a\\"b":1}}';
    expect([...readSafetensors(craft(ok, new Array<number>(8).fill(0))).tensors.keys()]).toEqual(['a"b', 'c']);
    const esc = '{"\\u0074":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectStError(() => readSafetensors(craft(esc, new Array<number>(8).fill(0))), '"t"', 'twice');
  });

  it('decodeTensor checks the byte length it is given', () => {
    const info = { name: 'w', dtype: 'BF16' as const, shape: [3], begin: 100, end: 106 };
    expectStError(() => decodeTensor(info, new Uint8Array(4), 'd.st'), 'd.st', '"w"', 'got 4 bytes', 'expected 6');
    expect([...decodeTensor(info, new Uint8Array([0x80, 0x3f, 0, 0, 0x20, 0xc0]), 'd.st')]).toEqual([1, 0, -2.5]);
  });

  it('parseHeader reports every tensor with absolute offsets', () => {
    const h = new TextEncoder().encode('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  ');
    const parsed = parseHeader(h, 8 + h.length + 4, 'p.st');
    expect(parsed.tensors).toEqual([{ name: 'x', dtype: 'F32', shape: [1], begin: 8 + h.length, end: 12 + h.length }]);
    expectStError(() => parseHeader(h, 8 + h.length + 3, 'p.st'), 'p.st', '"x"', 'past the end');
  });
});
