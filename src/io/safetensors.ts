/**
 * safetensors: read and write the format PyTorch, JAX and the Hugging Face hub
 * use for weights (https://github.com/huggingface/safetensors).
 *
 *   [8 bytes: N, little-endian u64] [N bytes: JSON header] [data bytes]
 *   header = { "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
 *              "__metadata__": {"<key>": "<string>"} }   (optional metadata, strings only)
 *
 * Offsets are relative to the start of the data bytes; data is little-endian
 * and row-major. As the format requires, the tensors must cover the data
 * bytes exactly, with no gap and no overlap.
 *
 * Reading is defensive: the header length, the JSON, every dtype, shape and
 * offset pair are checked before any tensor memory is allocated, so a
 * malformed or hostile file fails with an Error and allocates nothing
 * unbounded. Supported dtypes: F32, F64, I32, BOOL, and I64 (read into int32;
 * a value outside the int32 range is an error). F16/BF16 and the rest are
 * refused with an "unsupported dtype" error.
 */
import type { Backend } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import type { DType, TypedArray } from '../dtype.js';
import { fromStorage } from '../ops/core.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** The largest header we accept (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** safetensors dtype name → [torchlet dtype, bytes per element]. */
const READABLE: Record<string, [DType, number]> = {
  F32: ['float32', 4],
  F64: ['float64', 8],
  I32: ['int32', 4],
  I64: ['int32', 8],
  BOOL: ['bool', 1],
};
/** Known to the format but not to torchlet: named in the error so it is clear the file is valid. */
const KNOWN_UNSUPPORTED = new Set(['F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'I8', 'U8', 'I16', 'U16', 'U32', 'U64', 'C64']);

const WRITTEN: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };

export interface LoadOptions {
  /** Where the tensors are created (default: the current backend). */
  backend?: Backend;
}

interface Entry {
  name: string;
  stDtype: string;
  dtype: DType;
  size: number;
  shape: number[];
  begin: number;
  end: number;
}

interface Parsed {
  entries: Entry[];
  metadata: Record<string, string>;
  /** Absolute position of the data bytes in the file. */
  dataStart: number;
}

function fail(msg: string): never {
  throw new Error(`safetensors: ${msg}`);
}

function asBytes(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  return fail(`expected a Uint8Array or ArrayBuffer, got ${Object.prototype.toString.call(bytes)}`);
}

/** Parse and validate the header; allocates nothing but the header's own JSON. */
function parse(bytes: Uint8Array): Parsed {
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo; // exact below 2^53; larger values fail the checks below anyway
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > bytes.length - 8) fail(`header length ${n} runs past the end of the file (${bytes.length} bytes; at most ${bytes.length - 8} available)`);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (text[0] !== '{') fail(`header must be a JSON object starting with '{', got ${JSON.stringify(text.slice(0, 16))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header must be a JSON object');

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ value for '${k}' must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor '${name}'`;
    if (typeof info !== 'object' || info === null || Array.isArray(info)) fail(`${where}: entry must be an object with dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`${where}: dtype must be a string`);
    const known = READABLE[dtype];
    if (!known) {
      if (KNOWN_UNSUPPORTED.has(dtype)) fail(`${where}: unsupported dtype ${dtype} (torchlet reads F32, F64, I32, I64, BOOL)`);
      fail(`${where}: unknown dtype ${JSON.stringify(dtype)} (torchlet reads F32, F64, I32, I64, BOOL)`);
    }
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      fail(`${where}: data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLength) fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes)`);
    const [dt, size] = known;
    // numel × size, stopping as soon as it exceeds the bytes at hand (no overflow, no huge numbers)
    let bytesNeeded = shape.includes(0) ? 0 : size;
    for (const d of shape as number[]) {
      if (bytesNeeded === 0) break;
      bytesNeeded *= d;
      if (bytesNeeded > end - begin) break;
    }
    if (bytesNeeded !== end - begin) {
      fail(`${where}: shape ${fmtShape(shape as number[])} of ${dtype} needs ${bytesNeeded > end - begin ? `more than ${end - begin}` : bytesNeeded} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, stDtype: dtype, dtype: dt, size, shape: [...(shape as number[])], begin, end });
  }

  // The tensors must tile the data bytes: sorted by offset, each starts where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < pos) fail(`tensor '${e.name}' (data_offsets [${e.begin}, ${e.end}]) overlaps tensor '${prev!.name}' ([${prev!.begin}, ${prev!.end}])`);
    if (e.begin > pos) fail(`tensor '${e.name}' starts at ${e.begin}, leaving a gap of ${e.begin - pos} bytes after ${prev ? `tensor '${prev.name}'` : 'the header'} (the data must be tiled without holes)`);
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLength) fail(`the tensors cover ${pos} data bytes, but the file has ${dataLength} after the header (trailing bytes or a truncated header)`);
  return { entries, metadata, dataStart };
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy in a fresh (so aligned) buffer. Not `bytes.slice`: on a Node Buffer that is a view. */
function copyOut(bytes: Uint8Array, start: number, end: number): ArrayBuffer {
  const out = new Uint8Array(end - start);
  out.set(bytes.subarray(start, end));
  return out.buffer;
}

/** The values of one validated entry, converted to torchlet's element type. */
function decode(bytes: Uint8Array, e: Entry, dataStart: number): TypedArray {
  const start = dataStart + e.begin, n = (e.end - e.begin) / e.size;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + start, e.end - e.begin);
  switch (e.stDtype) {
    case 'F32': {
      if (littleEndianHost) return new Float32Array(copyOut(bytes, start, dataStart + e.end));
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    }
    case 'F64': {
      if (littleEndianHost) return new Float64Array(copyOut(bytes, start, dataStart + e.end));
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    }
    case 'I32': {
      if (littleEndianHost) return new Int32Array(copyOut(bytes, start, dataStart + e.end));
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    }
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v < -2147483648n || v > 2147483647n) fail(`tensor '${e.name}': I64 value ${v} at element ${i} does not fit in int32`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[start + i] ? 1 : 0;
      return out;
    }
  }
  return fail(`tensor '${e.name}': unsupported dtype ${e.stDtype}`);
}

/** The `__metadata__` strings of a safetensors file (an empty object when it has none). */
export function readSafetensorsMetadata(bytes: Uint8Array | ArrayBuffer): Record<string, string> {
  return parse(asBytes(bytes)).metadata;
}

/**
 * Every tensor of a safetensors file, by name (like `safetensors.torch.load`).
 * The whole file is validated first; I64 values are read into int32 with a range check.
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer, opts: LoadOptions = {}): Record<string, Tensor> {
  const b = asBytes(bytes);
  const { entries, dataStart } = parse(b);
  // I64 is range-checked for every entry before any tensor is made
  const values = entries.map((e) => decode(b, e, dataStart));
  const be = opts.backend ?? getBackend();
  const out: Record<string, Tensor> = {};
  entries.forEach((e, i) => { out[e.name] = fromStorage(be.upload(values[i], e.dtype), e.shape); });
  return out;
}

/**
 * A safetensors file holding `tensors` (in the record's order) and optional
 * string metadata (like `safetensors.torch.save`). The tensors are read with
 * `dataSync()`, so they must live on a backend that reads synchronously.
 */
export function saveSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(`metadata value for '${k}' must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') fail("'__metadata__' is reserved and cannot name a tensor");
    const dtype = WRITTEN[t.dtype];
    if (!dtype) fail(`tensor '${name}': cannot write dtype ${t.dtype}`);
    const data = t.dataSync();
    const raw = new Uint8Array(data.byteLength);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) {
      if (dtype === 'F32') dv.setFloat32(4 * i, data[i], true);
      else if (dtype === 'F64') dv.setFloat64(8 * i, data[i], true);
      else if (dtype === 'I32') dv.setInt32(4 * i, data[i], true);
      else raw[i] = data[i] ? 1 : 0;
    }
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + raw.length] };
    chunks.push(raw);
    offset += raw.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // pad the header with spaces so the data starts 8-byte aligned (as the reference writer does)
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const c of chunks) { out.set(c, pos); pos += c.length; }
  return out;
}
