// safetensors reader and writer (F32/F16/BF16 widened to f32), on plain Uint8Arrays so the browser
// and Node share it. Owns header validation (every offset and shape checked before any data is
// touched) and the exact half-precision conversions (round-to-nearest-even, subnormals, inf, NaN).

import { WeightsFormatError } from '../errors.js';
import { utf8Decode } from './utf8.js';

/** A malformed or unsupported safetensors file; the message names the file and the tensor. */
export class SafetensorsError extends WeightsFormatError {
  override readonly name: string = 'SafetensorsError';
}

/** The file ends before its header or a tensor's data does (a partial download or copy). */
export class SafetensorsTruncatedError extends SafetensorsError {
  override readonly name: string = 'SafetensorsTruncatedError';
}

export type StDtype = 'F32' | 'F16' | 'BF16';

export interface StTensorInfo<D extends string = StDtype> {
  name: string;
  dtype: D;
  shape: number[];
  /** Absolute byte offsets in the file (header included). */
  begin: number;
  end: number;
}

export interface StHeader<D extends string = StDtype> {
  tensors: Array<StTensorInfo<D>>;
  metadata: Record<string, string>;
  /** Absolute offset of the first data byte: 8 + header length. */
  dataStart: number;
  fileSize: number;
}

const DTYPE_SIZE: Readonly<Record<StDtype, number>> = { F32: 4, F16: 2, BF16: 2 };
const SUPPORTED = 'F32, F16, BF16';
/** The reference implementation's limit; also keeps a corrupt length from allocating gigabytes. */
const MAX_HEADER = 100 * 1024 * 1024;
const METADATA_KEY = '__metadata__';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(source: string, what: string): never {
  throw new SafetensorsError(`${source}: ${what}`);
}

function truncated(source: string, what: string): never {
  throw new SafetensorsTruncatedError(`${source}: ${what}`);
}

// ------------------------------------------------------------------------------------- UTF-8
// The engine's lib is ES2022 only (no TextEncoder/TextDecoder typings); decoding lives in utf8.ts.

function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    // Lone surrogates become U+FFFD, as TextEncoder does.
    const c = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return new Uint8Array(out);
}

// ----------------------------------------------------------------------- half-precision bits

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

export function bf16ToF32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0]!;
}

/** f32 bit pattern → f16 bits, round-to-nearest-even; NaN keeps its top payload bits (never becomes inf). */
function f32BitsToF16(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant === 0 ? 0 : mant >>> 13 || 0x200);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: units of 2^-24; the implicit bit joins the mantissa before the shift.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h; // a carry into 0x400 is exactly the smallest normal
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent (up to inf) is correct
  return sign | h;
}

/** f32 bit pattern → bf16 bits, round-to-nearest-even; NaN stays NaN (quiet bit set if truncation would give inf). */
function f32BitsToBf16(b: number): number {
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) {
    const h = b >>> 16;
    return (h & 0x7f) === 0 ? h | 0x40 : h;
  }
  return ((b >>> 0) + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

/** x is taken as an f32 (rounded to f32 first), then rounded to the nearest f16, ties to even. */
export function f32ToF16(x: number): number {
  scratchF32[0] = x;
  return f32BitsToF16(scratchU32[0]!);
}

/** x is taken as an f32 (rounded to f32 first), then rounded to the nearest bf16, ties to even. */
export function f32ToBf16(x: number): number {
  scratchF32[0] = x;
  return f32BitsToBf16(scratchU32[0]!);
}

/** f16 bits → f32 bits for all 65,536 patterns, built on first use (256 KiB); NaN payloads kept. */
let f16Table: Uint32Array | null = null;
function getF16Table(): Uint32Array {
  if (f16Table) return f16Table;
  const t = new Uint32Array(65536);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 31) t[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    else if (exp === 0) {
      f[0] = mant * 2 ** -24; // exact: at most 10 significant bits
      t[h] = (sign | u[0]!) >>> 0;
    } else t[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  }
  return (f16Table = t);
}

// --------------------------------------------------------------------------------- reading

export function readHeaderLength(first8: Uint8Array, fileSize: number, source: string): number {
  if (first8.length < 8 || fileSize < 8) {
    truncated(source, `file is too short for a safetensors header length: ${Math.min(first8.length, fileSize)} bytes, expected at least 8`);
  }
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo; // may be inexact past 2^53, but then it is rejected below anyway
  if (n > MAX_HEADER) fail(source, `header length ${n} bytes exceeds the limit of ${MAX_HEADER} bytes (100 MB)`);
  if (n > fileSize - 8) {
    truncated(source, `header length ${n} bytes runs past the end of the file (${fileSize} bytes, at most ${fileSize - 8} available)`);
  }
  if (n < 2) fail(source, `header length ${n} bytes is too small for a JSON object`);
  return n;
}

/** Names of the top-level keys in source order (JSON.parse silently keeps the last of duplicates). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        keys.push(JSON.parse(text.slice(i, j + 1)) as string);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return keys;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isDtype(v: unknown): v is StDtype {
  return v === 'F32' || v === 'F16' || v === 'BF16';
}

export function parseHeader(headerBytes: Uint8Array, fileSize: number, source: string): StHeader {
  return parseHeaderOf(headerBytes, fileSize, source, DTYPE_SIZE);
}

/**
 * parseHeader for the dtypes `sizes` names (dtype → bytes per element); every other dtype is
 * refused. Weights use F32/F16/BF16 only (parseHeader); session bundles also hold F64 and U32.
 */
export function parseHeaderOf<D extends string>(headerBytes: Uint8Array, fileSize: number, source: string, sizes: Readonly<Record<D, number>>): StHeader<D> {
  const isD = (v: unknown): v is D => typeof v === 'string' && Object.hasOwn(sizes, v);
  const supported = Object.keys(sizes).join(', ');
  const text = utf8Decode(headerBytes, (i) => fail(source, `header is not valid UTF-8 (byte ${i})`));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new SafetensorsError(`${source}: header is not valid JSON (${detail})`, { cause: e });
  }
  if (!isRecord(json)) {
    fail(source, `header must be a JSON object of tensors, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`);
  }
  const seen = new Set<string>();
  for (const k of topLevelKeys(text)) {
    if (seen.has(k)) fail(source, `tensor "${k}" appears twice in the header`);
    seen.add(k);
  }

  const dataStart = 8 + headerBytes.length;
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Array<StTensorInfo<D>> = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === METADATA_KEY) {
      if (!isRecord(entry)) fail(source, `${METADATA_KEY} must be an object of strings`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') fail(source, `${METADATA_KEY}.${k} must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `${source}: tensor "${name}"`;
    const bad = (what: string): never => {
      throw new SafetensorsError(`${where}: ${what}`);
    };
    if (!isRecord(entry)) bad(`entry must be an object {dtype, shape, data_offsets}, got ${JSON.stringify(entry)}`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (!isD(dtype)) bad(`unsupported dtype ${JSON.stringify(dtype)} (supported: ${supported})`);
    const dt = dtype as D;
    const elemSize = sizes[dt];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      bad(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const dims = shape as number[];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      bad(`data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) bad(`data_offsets end ${end} is before begin ${begin}`);
    let numel = 1;
    for (const d of dims) {
      numel *= d;
      if (!Number.isSafeInteger(numel * elemSize)) bad(`shape ${JSON.stringify(dims)} is too large`);
    }
    const expected = numel * elemSize;
    if (end - begin !== expected) {
      bad(`byte length ${end - begin} (data_offsets [${begin}, ${end}]) does not match ${dt} shape ${JSON.stringify(dims)}: expected ${expected} bytes`);
    }
    if (end > dataSize) {
      throw new SafetensorsTruncatedError(`${where}: data_offsets [${begin}, ${end}] run past the end of the data (${Math.max(dataSize, 0)} bytes after the header; the file may be truncated)`);
    }
    tensors.push({ name, dtype: dt, shape: [...dims], begin: dataStart + begin, end: dataStart + end });
  }

  const byOffset = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]!;
    const cur = byOffset[i]!;
    // Zero-size tensors own no bytes, so they cannot overlap anything.
    if (cur.begin < prev.end && cur.end > cur.begin) {
      fail(
        source,
        `tensor "${cur.name}" (bytes ${cur.begin - dataStart}..${cur.end - dataStart}) overlaps tensor "${prev.name}" (bytes ${prev.begin - dataStart}..${prev.end - dataStart})`,
      );
    }
  }
  return { tensors, metadata, dataStart, fileSize };
}

export function decodeTensor(info: StTensorInfo, bytes: Uint8Array, source: string): Float32Array {
  const expected = info.end - info.begin;
  if (bytes.length !== expected) {
    fail(source, `tensor "${info.name}": got ${bytes.length} bytes of data, expected ${expected} (${info.dtype} ${JSON.stringify(info.shape)})`);
  }
  const n = expected / DTYPE_SIZE[info.dtype];
  const out = new Float32Array(n);
  if (info.dtype === 'F32') {
    if (LITTLE_ENDIAN) {
      // Copy the bytes once into the output; this works whatever the alignment of `bytes`.
      new Uint8Array(out.buffer).set(bytes);
    } else {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
    }
    return out;
  }
  const outBits = new Uint32Array(out.buffer);
  const aligned = LITTLE_ENDIAN && bytes.byteOffset % 2 === 0;
  const src = aligned ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : null;
  const dv = aligned ? null : new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const at = (i: number): number => (src ? src[i]! : dv!.getUint16(2 * i, true));
  if (info.dtype === 'BF16') {
    if (src) for (let i = 0; i < n; i++) outBits[i] = src[i]! << 16;
    else for (let i = 0; i < n; i++) outBits[i] = at(i) << 16;
  } else {
    const t = getF16Table();
    if (src) for (let i = 0; i < n; i++) outBits[i] = t[src[i]!]!;
    else for (let i = 0; i < n; i++) outBits[i] = t[at(i)]!;
  }
  return out;
}

export function readSafetensors(
  file: Uint8Array,
  source = 'model.safetensors',
): { header: StHeader; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  const n = readHeaderLength(file.subarray(0, 8), file.length, source);
  const header = parseHeader(file.subarray(8, 8 + n), file.length, source);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const info of header.tensors) {
    tensors.set(info.name, { shape: info.shape, data: decodeTensor(info, file.subarray(info.begin, info.end), source) });
  }
  return { header, tensors };
}

// --------------------------------------------------------------------------------- writing

/** The file with its header written (space-padded so the data starts 8-byte aligned) and room for `dataBytes`. */
function frame(header: Record<string, unknown>, dataBytes: number): { out: Uint8Array; dv: DataView; dataStart: number } {
  const json = utf8Encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const dataStart = 8 + headerLen;
  const out = new Uint8Array(dataStart + dataBytes);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, headerLen % 2 ** 32, true);
  dv.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, dataStart);
  return { out, dv, dataStart };
}

export function writeSafetensors(
  tensors: Iterable<[string, { shape: readonly number[]; data: Float32Array }]>,
  o: { dtype?: StDtype; metadata?: Record<string, string> } = {},
): Uint8Array {
  const dtype = o.dtype ?? 'F32';
  if (!isDtype(dtype)) throw new SafetensorsError(`writeSafetensors: unsupported dtype ${JSON.stringify(dtype)} (supported: ${SUPPORTED})`);
  const size = DTYPE_SIZE[dtype];
  const list = [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (o.metadata) header[METADATA_KEY] = { ...o.metadata };
  let offset = 0;
  for (let i = 0; i < list.length; i++) {
    const [name, t] = list[i]!;
    if (name === METADATA_KEY) throw new SafetensorsError(`writeSafetensors: "${METADATA_KEY}" cannot be a tensor name`);
    if (i > 0 && list[i - 1]![0] === name) throw new SafetensorsError(`writeSafetensors: tensor "${name}" given twice`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`writeSafetensors: tensor "${name}": shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (numel !== t.data.length) {
      throw new SafetensorsError(`writeSafetensors: tensor "${name}": shape ${JSON.stringify(t.shape)} has ${numel} elements but data has ${t.data.length}`);
    }
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + numel * size] };
    offset += numel * size;
  }
  const { out, dv, dataStart } = frame(header, offset);

  let pos = dataStart;
  for (const [, t] of list) {
    const n = t.data.length;
    if (dtype === 'F32') {
      if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, n * 4), pos);
      else for (let i = 0; i < n; i++) dv.setFloat32(pos + 4 * i, t.data[i]!, true);
    } else {
      const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, n);
      const conv = dtype === 'F16' ? f32BitsToF16 : f32BitsToBf16;
      if (LITTLE_ENDIAN) {
        const dst = new Uint16Array(out.buffer, pos, n); // pos is even: dataStart and every offset are
        for (let i = 0; i < n; i++) dst[i] = conv(bits[i]!);
      } else for (let i = 0; i < n; i++) dv.setUint16(pos + 2 * i, conv(bits[i]!), true);
    }
    pos += n * size;
  }
  return out;
}

// ------------------------------------------------------------------ typed tensors (any container)

/**
 * Element types of a typed safetensors file (a session bundle's tensors): each is written and read
 * back bit for bit as its own typed array (NaN payloads and −0 included), never widened.
 */
export type TypedDtype = 'F32' | 'F64' | 'U32' | 'I32' | 'U8';
export type TypedData = Float32Array | Float64Array | Uint32Array | Int32Array | Uint8Array;
export interface TypedTensor {
  shape: readonly number[];
  data: TypedData;
}

const TYPED_SIZE: Readonly<Record<TypedDtype, number>> = { F32: 4, F64: 8, U32: 4, I32: 4, U8: 1 };

export function typedDtype(data: TypedData): TypedDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Int32Array) return 'I32';
  return 'U8';
}

function typedArray(dtype: TypedDtype, n: number): TypedData {
  switch (dtype) {
    case 'F32':
      return new Float32Array(n);
    case 'F64':
      return new Float64Array(n);
    case 'U32':
      return new Uint32Array(n);
    case 'I32':
      return new Int32Array(n);
    case 'U8':
      return new Uint8Array(n);
  }
}

/** Little-endian element access for big-endian hosts (the file is little-endian). */
function elementIo(dv: DataView, dtype: TypedDtype): { get: (at: number) => number; set: (at: number, v: number) => void } {
  switch (dtype) {
    case 'F32':
      return { get: (at) => dv.getFloat32(at, true), set: (at, v) => dv.setFloat32(at, v, true) };
    case 'F64':
      return { get: (at) => dv.getFloat64(at, true), set: (at, v) => dv.setFloat64(at, v, true) };
    case 'U32':
      return { get: (at) => dv.getUint32(at, true), set: (at, v) => dv.setUint32(at, v, true) };
    case 'I32':
      return { get: (at) => dv.getInt32(at, true), set: (at, v) => dv.setInt32(at, v, true) };
    case 'U8':
      return { get: (at) => dv.getUint8(at), set: (at, v) => dv.setUint8(at, v) };
  }
}

/**
 * A safetensors file of typed tensors, each in its own dtype (the array's type), plus string
 * metadata. Tensors are laid out widest element first, then by name, without gaps, so every
 * tensor starts aligned to its element size. Files of F32 tensors only read back with
 * readSafetensors too.
 */
export function writeTypedSafetensors(tensors: Iterable<[string, TypedTensor]>, o: { metadata?: Record<string, string> } = {}): Uint8Array {
  const list = [...tensors].map(([name, t]) => ({ name, t, dtype: typedDtype(t.data) }));
  list.sort((a, b) => TYPED_SIZE[b.dtype] - TYPED_SIZE[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (o.metadata) header[METADATA_KEY] = { ...o.metadata };
  const seen = new Set<string>();
  let offset = 0;
  for (const { name, t, dtype } of list) {
    if (name === METADATA_KEY) throw new SafetensorsError(`writeTypedSafetensors: "${METADATA_KEY}" cannot be a tensor name`);
    if (seen.has(name)) throw new SafetensorsError(`writeTypedSafetensors: tensor "${name}" given twice`);
    seen.add(name);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`writeTypedSafetensors: tensor "${name}": shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (numel !== t.data.length) {
      throw new SafetensorsError(`writeTypedSafetensors: tensor "${name}": shape ${JSON.stringify(t.shape)} has ${numel} elements but data has ${t.data.length}`);
    }
    const bytes = numel * TYPED_SIZE[dtype];
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const { out, dv, dataStart } = frame(header, offset);
  let pos = dataStart;
  for (const { t, dtype } of list) {
    const size = TYPED_SIZE[dtype];
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    else {
      const io = elementIo(dv, dtype);
      for (let i = 0; i < t.data.length; i++) io.set(pos + size * i, t.data[i]!);
    }
    pos += t.data.length * size;
  }
  return out;
}

/**
 * Reads a typed safetensors file: every tensor as a fresh typed array of its dtype (F32, F64, U32,
 * I32, U8), and the metadata. Header and offsets are checked as for weights; a file that ends
 * early throws SafetensorsTruncatedError.
 */
export function readTypedSafetensors(
  file: Uint8Array,
  source = 'tensors.safetensors',
): { metadata: Record<string, string>; tensors: Map<string, { dtype: TypedDtype; shape: number[]; data: TypedData }> } {
  const n = readHeaderLength(file.subarray(0, 8), file.length, source);
  const header = parseHeaderOf(file.subarray(8, 8 + n), file.length, source, TYPED_SIZE);
  const tensors = new Map<string, { dtype: TypedDtype; shape: number[]; data: TypedData }>();
  for (const info of header.tensors) {
    const bytes = file.subarray(info.begin, info.end);
    const size = TYPED_SIZE[info.dtype];
    const data = typedArray(info.dtype, bytes.length / size);
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(bytes);
    else {
      const io = elementIo(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), info.dtype);
      for (let i = 0; i < data.length; i++) data[i] = io.get(size * i);
    }
    tensors.set(info.name, { dtype: info.dtype, shape: info.shape, data });
  }
  return { metadata: header.metadata, tensors };
}
