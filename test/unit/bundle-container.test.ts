// The engine's typed safetensors container (session bundles' tensors) and the host's model content
// hash: every dtype round-trips bit for bit (NaN payloads, −0, ±Inf, 0xffffffff), F32-only files
// read back through the weights reader too, bad files get named errors (truncation its own), and
// hashModelFolder equals sha256sum for whole files and the chunked form for large ones.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SafetensorsError,
  SafetensorsTruncatedError,
  readSafetensors,
  readTypedSafetensors,
  writeTypedSafetensors,
  type TypedData,
  type TypedTensor,
} from '../../shaders/model/safetensors.js';
import type { FolderReader } from '../../shaders/model/folder.js';
import { hashModelFolder } from '../../renderer/host/folder.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Raw bytes of a typed array (what "bit for bit" compares). */
const bits = (a: TypedData): number[] => [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];

function nanWithPayload(): Float32Array {
  const u = new Uint32Array([0x7fc00001, 0xffa00005, 0x7f800001]);
  return new Float32Array(u.buffer);
}

describe('writeTypedSafetensors / readTypedSafetensors', () => {
  const tensors: Array<[string, TypedTensor]> = [
    ['f32', { shape: [2, 4], data: Float32Array.of(1.5, -0, Infinity, -Infinity, NaN, 3.4028234663852886e38, 1e-45, -2) }],
    ['f32.nan', { shape: [3], data: nanWithPayload() }],
    ['f64', { shape: [3], data: Float64Array.of(Math.PI, -0, Number.MIN_VALUE) }],
    ['u32', { shape: [2, 2], data: Uint32Array.of(0, 1, 0xffffffff, 4095) }],
    ['i32', { shape: [2], data: Int32Array.of(-2147483648, 7) }],
    ['u8', { shape: [3], data: Uint8Array.of(0, 255, 7) }],
    ['empty', { shape: [0, 5], data: new Float32Array(0) }],
  ];

  it('round-trips every dtype bit for bit, with the metadata', () => {
    const file = writeTypedSafetensors(tensors, { metadata: { format: 'x', doc: '{"a":"é ✓"}' } });
    const back = readTypedSafetensors(file, 'x.safetensors');
    expect(back.metadata).toEqual({ format: 'x', doc: '{"a":"é ✓"}' });
    expect([...back.tensors.keys()].sort()).toEqual(tensors.map(([n]) => n).sort());
    for (const [name, t] of tensors) {
      const got = back.tensors.get(name)!;
      expect(got.data.constructor, name).toBe(t.data.constructor);
      expect(got.shape, name).toEqual(t.shape);
      expect(bits(got.data), name).toEqual(bits(t.data));
    }
    // Widest elements first: every tensor starts aligned to its element size.
    const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + Number(new DataView(file.buffer).getUint32(0, true))))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    expect(header['f64']?.data_offsets[0]).toBe(0);
    for (const [name, e] of Object.entries(header)) if (name !== '__metadata__') expect(e.data_offsets[0] % { F64: 8, F32: 4, U32: 4, I32: 4, U8: 1 }[e.dtype]!, name).toBe(0);
  });

  it('a file of F32 tensors reads back through the weights reader (readSafetensors) identically', () => {
    const f32 = tensors.filter(([, t]) => t.data instanceof Float32Array);
    const { tensors: back, header } = readSafetensors(writeTypedSafetensors(f32, { metadata: { k: 'v' } }));
    expect(header.metadata).toEqual({ k: 'v' });
    for (const [name, t] of f32) expect(bits(back.get(name)!.data), name).toEqual(bits(t.data));
  });

  it('the weights reader refuses the other dtypes with a named error', () => {
    const file = writeTypedSafetensors([['ids', { shape: [1], data: Uint32Array.of(3) }]]);
    expect(() => readSafetensors(file, 'w.safetensors')).toThrow(SafetensorsError);
    expect(() => readSafetensors(file, 'w.safetensors')).toThrow(/unsupported dtype "U32" \(supported: F32, F16, BF16\)/);
  });

  it('refuses bad input: duplicate names, wrong element counts, the metadata key', () => {
    const one = { shape: [1], data: Float32Array.of(1) };
    expect(() => writeTypedSafetensors([['a', one], ['a', one]])).toThrow(/given twice/);
    expect(() => writeTypedSafetensors([['a', { shape: [2], data: Float32Array.of(1) }]])).toThrow(/has 2 elements but data has 1/);
    expect(() => writeTypedSafetensors([['__metadata__', one]])).toThrow(SafetensorsError);
  });

  it('every cut of the file is a SafetensorsTruncatedError (or, inside the header JSON, a SafetensorsError)', () => {
    const file = writeTypedSafetensors(tensors, { metadata: { m: 'x' } });
    const headerEnd = 8 + new DataView(file.buffer).getUint32(0, true);
    for (const cut of [0, 3, 7, 8, 20, headerEnd - 1, headerEnd, headerEnd + 1, file.length - 8, file.length - 1]) {
      let err: unknown = null;
      try {
        readTypedSafetensors(file.subarray(0, cut), 'cut.safetensors');
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${cut}`).toBeInstanceOf(SafetensorsTruncatedError);
      expect((err as Error).name).toBe('SafetensorsTruncatedError');
    }
  });
});

/** A folder held in memory (the FolderReader the renderer's hosts implement over HTTP, Files or IPC). */
function memFolder(files: Record<string, Uint8Array>): FolderReader {
  return {
    name: 'mem',
    size: async (f) => files[f]?.length ?? null,
    read: async (f, offset, length) => {
      const b = files[f];
      if (!b) throw new Error(`no ${f}`);
      return offset === undefined ? b : b.subarray(offset, length === undefined ? undefined : offset + length);
    },
  };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('hashModelFolder', () => {
  it('equals sha256sum of each file of the ReGLA sample, and the digest hashes the file lines', async () => {
    const dir = join(ROOT, 'samples/models/regla');
    const names = ['config.json', 'model.safetensors', 'tokenizer.json', 'training_log.json'];
    const files = Object.fromEntries(names.map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
    const h = await hashModelFolder(memFolder(files));
    expect(h.files.map((f) => f.file)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    for (const f of h.files) {
      expect(f.sha256, f.file).toBe(sha(files[f.file]!));
      expect(f.bytes).toBe(files[f.file]!.length);
    }
    expect(h.digest).toBe(sha(new TextEncoder().encode(h.files.map((f) => `${f.file}\t${f.bytes}\t${f.sha256}\n`).join(''))));
  });

  it('hashes large files by chunks, reads shards from the index, and changes with any byte', async () => {
    const big = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);
    const files = {
      'config.json': new TextEncoder().encode('{}'),
      'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify({ weight_map: { a: 'b.safetensors', c: 'a.safetensors', d: 'b.safetensors' } })),
      'a.safetensors': big,
      'b.safetensors': big.subarray(0, 90),
    };
    const h = await hashModelFolder(memFolder(files), 100);
    expect(h.chunkBytes).toBe(100);
    expect(h.files.map((f) => f.file)).toEqual(['config.json', 'model.safetensors.index.json', 'a.safetensors', 'b.safetensors']);
    const chunks = Buffer.concat(Array.from({ length: 10 }, (_, i) => createHash('sha256').update(big.subarray(100 * i, 100 * i + 100)).digest()));
    expect(h.files[2]?.sha256).toBe(sha(chunks));
    expect(h.files[3]?.sha256).toBe(sha(big.subarray(0, 90))); // one chunk: the plain SHA-256
    const changed = big.slice();
    changed[555] = (changed[555] ?? 0) ^ 1;
    const h2 = await hashModelFolder(memFolder({ ...files, 'a.safetensors': changed }), 100);
    expect(h2.digest).not.toBe(h.digest);
    expect(h2.files.filter((f, i) => f.sha256 !== h.files[i]?.sha256).map((f) => f.file)).toEqual(['a.safetensors']);
  });

  it('a folder without config.json or weights cannot be hashed', async () => {
    await expect(hashModelFolder(memFolder({ 'model.safetensors': new Uint8Array(8) }))).rejects.toThrow(/no config\.json/);
    await expect(hashModelFolder(memFolder({ 'config.json': new Uint8Array(2) }))).rejects.toThrow(/no model\.safetensors\.index\.json/);
  });
});
