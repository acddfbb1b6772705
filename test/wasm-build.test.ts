// Proves the AssemblyScript SIMD toolchain: build/kernels.wasm (npm run build:wasm)
// loads, its SIMD kernel matches the scalar specification bit for bit, and JS
// views survive memory growth when re-taken.
// Run: node --import tsx node_modules/uvu/bin.js test wasm-build
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { loadKernels, simdSupported, type WasmKernels } from '../src/backends/wasm/loader.js';

const WASM_URL = new URL('../build/kernels.wasm', import.meta.url);
const F32 = 4;

/** Bodies of the code section (id 10) of a wasm binary. */
function codeSection(bytes: Uint8Array): Uint8Array {
  let p = 8; // after magic + version
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    if (id === 10) return bytes.subarray(p, p + size);
    p += size;
  }
  throw new Error('no code section');
}

function contains(haystack: Uint8Array, needle: number[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Allocates n floats and checks the address is usable for v128 and Float32Array. */
function allocF32(k: WasmKernels, n: number): number {
  const ptr = k.alloc(n * F32);
  assert.ok(ptr > 0, `alloc returned ${ptr}`);
  assert.is(ptr % 16, 0, `alloc returned ${ptr}, not 16-byte aligned`);
  return ptr;
}

test('the engine has SIMD and the built module really uses f32x4.add', async () => {
  assert.ok(simdSupported());
  const bytes = new Uint8Array(await readFile(WASM_URL));
  assert.ok(WebAssembly.validate(bytes));
  const code = codeSection(bytes);
  // f32x4.add = prefix 0xfd, opcode 228 as LEB128 (0xe4 0x01); v128.load = 0xfd 0x00.
  assert.ok(contains(code, [0xfd, 0xe4, 0x01]), 'no f32x4.add in the code section');
  assert.ok(contains(code, [0xfd, 0x0b]), 'no v128.store in the code section');
  const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name).sort();
  for (const name of ['addF32', 'addF32Scalar', 'alloc', 'free', 'memory']) assert.ok(names.includes(name), `export '${name}' is missing`);
});

test('addF32 and addF32Scalar on n = 1027 (SIMD bulk + scalar tail) give a[i] + b[i]', async () => {
  const k = await loadKernels();
  const n = 1027; // 256 f32x4 iterations, then 3 tail elements
  const a = allocF32(k, n);
  const b = allocF32(k, n);
  const outSimd = allocF32(k, n);
  const outScalar = allocF32(k, n);
  // Views taken after the last allocation.
  const va = k.f32(a, n);
  const vb = k.f32(b, n);
  for (let i = 0; i < n; i++) {
    va[i] = i * 0.5;
    vb[i] = 1 - i;
  }
  k.f32(outSimd, n).fill(NaN);
  k.f32(outScalar, n).fill(NaN);

  k.addF32(a, b, outSimd, n);
  k.addF32Scalar(a, b, outScalar, n);

  const s = k.f32(outSimd, n);
  const r = k.f32(outScalar, n);
  for (let i = 0; i < n; i++) {
    const expected = 1 - 0.5 * i; // exact in float32 for these i
    if (s[i] !== expected) assert.unreachable(`addF32[${i}] = ${s[i]}, expected ${expected}`);
    if (r[i] !== expected) assert.unreachable(`addF32Scalar[${i}] = ${r[i]}, expected ${expected}`);
  }
  assert.is(s[n - 1], 1 - 0.5 * (n - 1), 'last tail element');
});

test('addF32 equals addF32Scalar bit for bit on random values, and both equal fround(a + b)', async () => {
  const k = await loadKernels();
  const n = 4099;
  const a = allocF32(k, n);
  const b = allocF32(k, n);
  const o1 = allocF32(k, n);
  const o2 = allocF32(k, n);
  const va = k.f32(a, n);
  const vb = k.f32(b, n);
  let seed = 12345;
  const rand = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    // Mixed magnitudes so that rounding actually happens.
    va[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 20);
    vb[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 20);
  }
  va[0] = Infinity;
  vb[0] = 1;
  va[1] = -0;
  vb[1] = -0;
  va[n - 1] = 3.4e38;
  vb[n - 1] = 3.4e38; // overflows to +Infinity in the tail
  k.addF32(a, b, o1, n);
  k.addF32Scalar(a, b, o2, n);
  const bits1 = new Uint32Array(k.memory.buffer, o1, n);
  const bits2 = new Uint32Array(k.memory.buffer, o2, n);
  const r = k.f32(o1, n);
  for (let i = 0; i < n; i++) {
    if (bits1[i] !== bits2[i]) {
      assert.unreachable(`element ${i}: SIMD bits ${bits1[i].toString(16)} != scalar bits ${bits2[i].toString(16)}`);
    }
    // float32 + float32 computed in float64 then rounded once is the float32 sum.
    const expected = Math.fround(va[i] + vb[i]);
    if (!Object.is(r[i], expected)) assert.unreachable(`element ${i}: ${r[i]} != ${expected}`);
  }
  assert.ok(Object.is(r[1], -0), '-0 + -0 = -0');
  assert.is(r[n - 1], Infinity);
});

test('every length 0..11 writes exactly n elements (no tail overrun, n = 0 is a no-op)', async () => {
  const k = await loadKernels();
  const cap = 16;
  const a = allocF32(k, cap);
  const b = allocF32(k, cap);
  const out = allocF32(k, cap);
  k.f32(a, cap).set(Array.from({ length: cap }, (_, i) => i + 1));
  k.f32(b, cap).set(Array.from({ length: cap }, (_, i) => 100 * (i + 1)));
  for (const kernel of ['addF32', 'addF32Scalar'] as const) {
    for (let n = 0; n <= 11; n++) {
      const vo = k.f32(out, cap);
      vo.fill(-7);
      k[kernel](a, b, out, n);
      for (let i = 0; i < cap; i++) {
        const expected = i < n ? 101 * (i + 1) : -7;
        assert.is(vo[i], expected, `${kernel} n=${n} element ${i}`);
      }
    }
  }
});

test('memory growth detaches old views; re-taken views see the data and kernels work across it', async () => {
  const k = await loadKernels();
  const n = 1027;
  const a = allocF32(k, n);
  const stale = k.f32(a, n);
  for (let i = 0; i < n; i++) stale[i] = i * 0.5;
  const before = k.memory.buffer.byteLength;

  // 16 MiB in each of two blocks: far beyond the initial memory, so memory.grow must run.
  const big = 4 * 1024 * 1024;
  const b = allocF32(k, big);
  const out = allocF32(k, big);
  const after = k.memory.buffer.byteLength;
  assert.ok(after >= before + 2 * big * F32, `memory did not grow: ${before} -> ${after}`);
  assert.is(stale.length, 0, 'a view taken before growth is detached (this is why views are re-taken)');

  const va = k.f32(a, n); // re-taken
  for (let i = 0; i < n; i++) if (va[i] !== i * 0.5) assert.unreachable(`a[${i}] = ${va[i]} after growth`);

  const vb = k.f32(b, big);
  for (let i = 0; i < big; i++) vb[i] = 1 - i;
  k.addF32(a, b, out, n); // a from the first page, b and out from grown memory
  const vo = k.f32(out, big);
  for (let i = 0; i < n; i++) if (vo[i] !== 1 - 0.5 * i) assert.unreachable(`out[${i}] = ${vo[i]}`);

  // The whole big block through SIMD: out = b + b.
  k.addF32(b, b, out, big);
  const vo2 = k.f32(out, big);
  for (let i = 0; i < big; i += 997) if (vo2[i] !== 2 * (1 - i)) assert.unreachable(`out[${i}] = ${vo2[i]}`);
  assert.is(vo2[big - 1], 2 * (1 - (big - 1)));
});

test('free returns memory to the heap: 200 alloc/free rounds of 1 MiB do not grow memory', async () => {
  const k = await loadKernels();
  const p0 = k.alloc(1 << 20);
  k.free(p0);
  const size = k.memory.buffer.byteLength;
  for (let i = 0; i < 200; i++) {
    const p = k.alloc(1 << 20);
    k.f32(p, 4).fill(i);
    k.free(p);
  }
  assert.is(k.memory.buffer.byteLength, size);
  k.free(0); // freeing null is a no-op
});

test('bad input gives clear errors instead of wrong results', async () => {
  const k = await loadKernels();
  assert.throws(() => k.alloc(-1), /alloc: -1 is not a byte count/);
  assert.throws(() => k.alloc(2 ** 32 + 16), /is not a byte count/);
  assert.throws(() => k.alloc(1.5), /is not a byte count/);
  // Beyond the allocator's block limit: AssemblyScript's abort reaches JS as an Error.
  assert.throws(() => k.alloc(2 ** 31), /abort: Allocation too large/);
  // A view past the end of memory is refused by the typed-array constructor.
  assert.throws(() => k.f32(k.memory.buffer.byteLength, 1), RangeError);

  try {
    await loadKernels(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]));
    assert.unreachable('a malformed module loaded');
  } catch (e) {
    assert.match((e as Error).message, /not a valid WebAssembly module/);
  }
  try {
    await loadKernels(new URL('./does-not-exist.wasm', import.meta.url));
    assert.unreachable('a missing file loaded');
  } catch (e) {
    assert.match((e as Error).message, /cannot read .*does-not-exist\.wasm/);
  }
});

test.run();
