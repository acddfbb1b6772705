// safetensors reading and writing: round trips of every dtype, the
// PyTorch-written fixture file, and every kind of malformed file failing with
// a clear Error before any tensor memory is allocated.
// Run: node tools/run-tests.mjs safetensors
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  getBackend, loadSafetensors, readSafetensorsMetadata, saveSafetensors, tensor, Tensor,
} from '../src/index.js';

const FIXTURE = new URL('./fixtures/ops.safetensors', import.meta.url);

/** A file from a header (object or raw JSON text) and data bytes, with an optional forged header length. */
function file(header: unknown, data: ArrayLike<number> = [], headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}

const f64Bytes = (...values: number[]): number[] => [...new Uint8Array(new Float64Array(values).buffer)];
const i64Bytes = (...values: bigint[]): number[] => [...new Uint8Array(new BigInt64Array(values).buffer)];

/** Loading `bytes` throws an Error matching `pattern`, and the backend holds no new memory afterwards. */
function rejects(bytes: Uint8Array, pattern: RegExp): void {
  const be = getBackend();
  const before = be.bytesInUse();
  try {
    loadSafetensors(bytes);
  } catch (e) {
    assert.instance(e, Error);
    assert.match((e as Error).message, /^safetensors: /);
    assert.match((e as Error).message, pattern);
    assert.is(be.bytesInUse(), before, 'memory was allocated before the file was rejected');
    return;
  }
  assert.unreachable(`a malformed file loaded (expected ${pattern})`);
}

function same(a: Tensor, b: Tensor): void {
  assert.is(a.dtype, b.dtype);
  assert.equal([...a.shape], [...b.shape]);
  const x = a.dataSync(), y = b.dataSync();
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) assert.unreachable(`element ${i}: ${x[i]} vs ${y[i]}`);
  }
}

// ---- round trips --------------------------------------------------------------------------

test('save → load round trip keeps every dtype, shape, value and the metadata', () => {
  const record: Record<string, Tensor> = {
    f32: tensor([[1.5, -0, Infinity], [-Infinity, NaN, 3.4e38]], { dtype: 'float32' }),
    f64: tensor(new Float64Array([Math.PI, -1e-300, 2 ** 60, NaN, -0, 1 / 3]), [3, 2]),
    i32: tensor(new Int32Array([-2147483648, 2147483647, 0, -1, 7]), [5]),
    bool: tensor([[true, false, true], [false, false, true]]),
    scalar: tensor(new Float64Array([2.25]), []),
    empty: tensor(new Float32Array(0), [0, 3]),
    'layer.0.weight': tensor([[1, 2], [3, 4]]),
  };
  const meta = { format: 'pt', note: 'ünïcödé ✓' };
  const bytes = saveSafetensors(record, meta);
  assert.is(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0, 'header padded to 8 bytes');
  const back = loadSafetensors(bytes);
  assert.equal(Object.keys(back), Object.keys(record));
  for (const k of Object.keys(record)) same(back[k], record[k]);
  assert.equal(readSafetensorsMetadata(bytes), meta);
});

test('save writes views (transposed, sliced) in row-major order; no metadata means none is read', () => {
  const base = tensor(new Float64Array([0, 1, 2, 3, 4, 5]), [2, 3]);
  const bytes = saveSafetensors({ t: base.transpose(0, 1), s: base.slice(null, [0, null, 2]) });
  const back = loadSafetensors(bytes);
  assert.equal(back.t.arraySync(), [[0, 3], [1, 4], [2, 5]]);
  assert.equal(back.s.arraySync(), [[0, 2], [3, 5]]);
  assert.equal(readSafetensorsMetadata(bytes), {});
});

test('an ArrayBuffer and an unaligned Uint8Array view are read too', () => {
  const bytes = saveSafetensors({ x: tensor(new Float64Array([1, 2, 3])) });
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  same(loadSafetensors(shifted.subarray(3)).x, tensor(new Float64Array([1, 2, 3])));
  same(loadSafetensors(bytes.slice().buffer).x, tensor(new Float64Array([1, 2, 3])));
});

test('I64 is read into int32; a value outside int32 is an error', () => {
  const ok = loadSafetensors(file({ i: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }, i64Bytes(-2147483648n, 5n, 2147483647n)));
  assert.is(ok.i.dtype, 'int32');
  assert.equal(ok.i.arraySync(), [-2147483648, 5, 2147483647]);
  rejects(file({
    a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
    i: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
  }, [...f64Bytes(1), ...i64Bytes(1n, 2147483648n)]), /tensor 'i': I64 value 2147483648 at element 1 does not fit in int32/);
});

test('saving refuses a tensor named __metadata__ and non-string metadata', () => {
  assert.throws(() => saveSafetensors({ __metadata__: tensor([1]) }), /'__metadata__' is reserved/);
  assert.throws(() => saveSafetensors({ x: tensor([1]) }, { n: 3 as unknown as string }), /metadata value for 'n' must be a string/);
});

// ---- the PyTorch-written fixture ------------------------------------------------------------

test('reads the PyTorch-written fixture: metadata, dtypes, shapes and values', () => {
  const bytes = readFileSync(FIXTURE);
  const meta = readSafetensorsMetadata(bytes);
  assert.is(meta.generator, 'tools/fixtures/ops.py');
  const cases = JSON.parse(meta.cases) as { name: string; inputs: string[]; outputs: string[] }[];
  assert.ok(cases.length > 100);
  const t = loadSafetensors(bytes);
  for (const c of cases) for (const k of [...c.inputs, ...c.outputs]) assert.ok(t[k], `missing ${k}`);

  // float64 a + b is exact in both PyTorch and here: the bytes were decoded right
  const [a, b] = [t['add.in0'], t['add.in1']];
  assert.is(a.dtype, 'float64');
  assert.equal([...a.shape], [3, 4]);
  same(t['add.out'], a.add(b));
  // I32 indices (int64 in PyTorch) and BOOL results
  assert.is(t['gather_dim1.in1'].dtype, 'int32');
  assert.equal([...t['gather_dim1.in1'].shape], [3, 4]);
  assert.is(t['eq.out'].dtype, 'bool');
  same(t['eq.out'], t['eq.in0'].eq(t['eq.in1']));
  // 0-d outputs
  assert.equal([...t['sum_all.out'].shape], []);
});

test('save → load of the fixture reproduces its tensors', () => {
  const bytes = readFileSync(FIXTURE);
  const t = loadSafetensors(bytes);
  const again = loadSafetensors(saveSafetensors(t, readSafetensorsMetadata(bytes)));
  for (const k of Object.keys(t)) same(again[k], t[k]);
});

// ---- malformed files -------------------------------------------------------------------------

const goodHeader = { x: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } };
const goodData = f64Bytes(1, 2);

test('a well-formed hand-built file loads (the baseline the malformed cases break)', () => {
  assert.equal(loadSafetensors(file(goodHeader, goodData)).x.arraySync(), [1, 2]);
  // the header may be padded with trailing spaces
  assert.equal(loadSafetensors(file(JSON.stringify(goodHeader) + '    ', goodData)).x.arraySync(), [1, 2]);
});

test('too short for the header length', () => {
  rejects(new Uint8Array([1, 0, 0]), /too short for the 8-byte header length/);
  rejects(new Uint8Array(0), /too short/);
});

test('header length too large: above the 100 MB limit, or past the end of the file', () => {
  rejects(file(goodHeader, goodData, 2n ** 63n + 5n), /exceeds the 100000000-byte limit/);
  rejects(file(goodHeader, goodData, 100_000_001n), /exceeds the 100000000-byte limit/);
  rejects(file(goodHeader, goodData, 5000n), /header length 5000 runs past the end of the file/);
  rejects(file(goodHeader, goodData, 1n), /too small/);
});

test('truncated data, and trailing bytes', () => {
  const whole = file(goodHeader, goodData);
  rejects(whole.subarray(0, whole.length - 3), /run past the end of the data \(13 bytes\)/);
  rejects(file(goodHeader, [...goodData, 0, 0, 0]), /cover 16 data bytes, but the file has 19/);
  const real = readFileSync(FIXTURE);
  rejects(real.subarray(0, real.length - 1), /run past the end of the data/);
});

test('offsets out of range, reversed, not integers', () => {
  rejects(file({ x: { dtype: 'F64', shape: [2], data_offsets: [8, 24] } }, goodData), /data_offsets \[8, 24\] run past the end of the data \(16 bytes\)/);
  rejects(file({ x: { dtype: 'F64', shape: [2], data_offsets: [16, 0] } }, goodData), /end before they begin/);
  rejects(file({ x: { dtype: 'F64', shape: [2], data_offsets: [-16, 0] } }, goodData), /data_offsets must be \[begin, end\] with non-negative integers/);
  rejects(file({ x: { dtype: 'F64', shape: [2], data_offsets: [0, 16.5] } }, goodData), /data_offsets must be/);
  rejects(file({ x: { dtype: 'F64', shape: [2], data_offsets: [0] } }, goodData), /data_offsets must be/);
  rejects(file({ x: { dtype: 'F64', shape: [2] } }, goodData), /data_offsets must be/);
});

test('overlapping entries, and gaps between them', () => {
  rejects(file({
    a: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
    b: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
  }, goodData), /tensor '(a|b)' .* overlaps tensor '(a|b)'/);
  rejects(file({
    a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
    b: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
  }, f64Bytes(1)), /overlaps/);
  rejects(file({ a: { dtype: 'F64', shape: [1], data_offsets: [8, 16] } }, goodData), /tensor 'a' starts at 8, leaving a gap of 8 bytes after the header/);
  // out of order in the header is fine as long as the offsets tile the data
  const t = loadSafetensors(file({
    b: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
    a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
  }, goodData));
  assert.equal([t.a.item(), t.b.item()], [1, 2]);
});

test('byte length must equal numel × element size', () => {
  rejects(file({ x: { dtype: 'F64', shape: [3], data_offsets: [0, 16] } }, goodData), /shape \[3\] of F64 needs more than 16 bytes, but data_offsets \[0, 16\] hold 16/);
  rejects(file({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 16] } }, goodData), /shape \[2\] of F32 needs 8 bytes/);
  // a huge claimed shape is refused without computing (or allocating) its size
  rejects(file({ x: { dtype: 'F64', shape: [2 ** 40, 2 ** 40, 2 ** 40], data_offsets: [0, 16] } }, goodData), /needs more than 16 bytes/);
  rejects(file({ x: { dtype: 'F64', shape: [2, -1], data_offsets: [0, 16] } }, goodData), /shape must be a list of non-negative integers/);
  rejects(file({ x: { dtype: 'F64', shape: '2', data_offsets: [0, 16] } }, goodData), /shape must be a list/);
});

test('unknown and unsupported dtypes', () => {
  rejects(file({ x: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, goodData), /tensor 'x': unknown dtype "F128"/);
  rejects(file({ x: { dtype: 'F16', shape: [8], data_offsets: [0, 16] } }, goodData), /tensor 'x': unsupported dtype F16/);
  rejects(file({ x: { dtype: 'BF16', shape: [8], data_offsets: [0, 16] } }, goodData), /unsupported dtype BF16/);
  rejects(file({ x: { dtype: 7, shape: [2], data_offsets: [0, 16] } }, goodData), /dtype must be a string/);
});

test('bad JSON, a header that is not an object, bad UTF-8, bad metadata', () => {
  rejects(file('{"x": {"dtype": "F64",', goodData), /header is not valid JSON/);
  rejects(file('[1, 2, 3]', []), /must be a JSON object starting with '\{'/);
  rejects(file('{"x": 3}', []), /tensor 'x': entry must be an object/);
  const badUtf8 = file('{"x":1}  ');
  badUtf8[8 + 2] = 0xff;
  rejects(badUtf8, /header is not valid UTF-8/);
  rejects(file({ __metadata__: { n: 3 } }), /__metadata__ value for 'n' must be a string/);
  rejects(file({ __metadata__: ['a'] }), /__metadata__ must be an object of strings/);
  assert.throws(() => readSafetensorsMetadata(file('nope')), /safetensors: .*JSON object/);
});

test('a file with only metadata and no tensors is valid', () => {
  const bytes = file({ __metadata__: { a: 'b' } });
  assert.equal(loadSafetensors(bytes), {});
  assert.equal(readSafetensorsMetadata(bytes), { a: 'b' });
});

test.run();
