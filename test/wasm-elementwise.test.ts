// The wasm elementwise kernels (assembly/elementwise.ts, assembly/cast.ts;
// binding src/backends/wasm/native/elementwise.ts).
//
// (a) Each SIMD kernel against its scalar specification (the same export name +
//     "Scalar"): unary, logical_not, binary rows and N-d walks, where, casts,
//     assign. They do the same arithmetic lane for lane, so they must agree bit
//     for bit (NaN payloads aside) on every size 0..13 and 1027 (SIMD bulk and
//     every tail), on every stride pattern, with NaN, ±0, ±∞ and subnormals in
//     the inputs; and write exactly n elements.
// (b) The float32 math against float64 Math.* (and an accurate erfc) over 2^17
//     random float32 bit patterns and dense samples of [−20, 20]. Bounds, in
//     ulp of the float32 result (see the header of assembly/elementwise.ts):
//     exp 1, log 1, sin/cos 1 (0.5 measured), tanh 1.5, sigmoid 3, erf 2.5,
//     softplus 2.5, silu 4, gelu 6 and gelu_tanh 4 (where the result's
//     intermediates are normal floats: x > −13 for gelu, x > −10 for
//     gelu_tanh, x > −87 for silu), hardsigmoid 1, hardswish 2.5; rsqrt 1.5,
//     pow_scalar 1.5 for p = −½, else 0.5 (a float64 result rounded once).
//     Special values (±0, ±∞, NaN, overflow and underflow edges) must give what
//     the js reference gives, which follows PyTorch (sign of zero aside).
// (c) The wasm backend against the js backend (the reference kernels) through
//     the Backend interface, on random inputs with contiguous, permuted,
//     sliced, expanded (broadcast) and flipped views: exact for the ops that are
//     one IEEE operation, casts, where and assign; within 4 ulp (1e-37
//     absolute for subnormal tails, 1e-14 for gelu's tails, where the float64
//     reference itself cancels) for the math.
// (d) The native path is really taken: the wasm backend here has a kernel table
//     that counts calls and a reference fallback that throws for these ops, so a
//     binding that returned null would fail instead of passing slowly; the
//     cases the binding leaves to the reference (float64, int32 math) are
//     checked to fall back.
// The tests build their own backends, so they run the same in the suite's js and wasm runs.
// Run: node tools/run-tests.mjs wasm-elementwise
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BinaryOp, Storage, UnaryOp, View } from '../src/backends/backend.js';
import type { DType } from '../src/dtype.js';
import { JsBackend } from '../src/backends/js/index.js';
import { erf as erf64, sigmoid as sigmoid64, softplus as softplus64 } from '../src/backends/js/math.js';
import { WasmBackend } from '../src/backends/wasm/index.js';
import { coalesce } from '../src/backends/wasm/native/elementwise.js';
import { rng } from './helpers/assert.js';
import { countingKernels } from './helpers/wasm-spy.js';

// ---- backends: a spied wasm backend and the reference ---------------------------------------------

const { kernels, spied, count } = countingKernels();
const k = kernels; // raw exports for (a) and (b)
const wasm = new WasmBackend(spied);
// The reference fallback of these ops throws on this backend unless a test allows it.
const fallback = (wasm as unknown as { js: Record<string, (...a: unknown[]) => unknown> }).js;
let fallbackAllowed = false;
for (const m of ['copy', 'assign', 'unary', 'binary', 'where']) {
  const real = fallback[m].bind(fallback);
  fallback[m] = (...a: unknown[]) => {
    if (!fallbackAllowed) throw new Error(`${m}: the wasm backend fell back to the js reference`);
    return real(...a);
  };
}
const js = new JsBackend();

/** Run fn and assert it called one of the kernels `names` (unless `expected` is false: an empty tensor). */
function native<T>(names: string | string[], fn: () => T, expected = true): T {
  const list = typeof names === 'string' ? [names] : names;
  const before = list.reduce((a, n) => a + count(n), 0);
  const r = fn();
  if (expected) assert.ok(list.reduce((a, n) => a + count(n), 0) > before, `${list.join(' / ')} was not called`);
  return r;
}

/** Run fn with the reference fallback allowed, and assert it was used (no elementwise kernel ran). */
function viaReference<T>(fn: () => T): T {
  const names = ['unaryF32', 'logicalNotB8', 'binaryRow', 'binaryND', 'whereRow', 'whereND', 'castRow', 'assignRow', 'assignND'];
  const before = names.map(count);
  fallbackAllowed = true;
  try {
    return fn();
  } finally {
    fallbackAllowed = false;
    names.forEach((n, i) => assert.is(count(n), before[i], `${n} ran for a case the binding should leave to the reference`));
  }
}

// ---- data ----------------------------------------------------------------------------------------------

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const f32 = Math.fround;

/** Values that probe the edges: signed zeros, NaN, ±∞, subnormals, overflow and underflow thresholds, kinks. */
const SPECIAL = [
  0, -0, NaN, Infinity, -Infinity, 1, -1, 0.5, -0.5, 3, -3, 6, -6, 2, -2,
  1e-45, -1e-45, 1e-40, -1e-40, 1.1754943508222875e-38, -1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38,
  88.72283172607422, 88.72284, 89, -87.33654, -103.9, -104, -105, 1000, -1000, 0.625, -0.625, 0.75, -0.75,
  1.0606601717798212, 10.06, -10.06, 14.2, -14.2, 20, -20, 67108864, -67108864, 1e30, -1e30, 2147483648, -2147483648, 3e9, -3e9,
].map(f32);

/** n float32 values: the specials first, then mixed magnitudes and signs (every power of two from 2^−30 to 2^30). */
function mixed(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, (_, i) => i < SPECIAL.length && i % 3 !== 2 ? SPECIAL[i] : f32((r() - 0.5) * 2 ** Math.floor(r() * 60 - 30)));
}
function uniform(n: number, seed: number, lo = -4, hi = 4): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => f32(lo + (hi - lo) * r()));
}

// ---- raw kernel calls for (a) and (b) ---------------------------------------------------------------------

type Arr = Float32Array | Int32Array | Uint8Array;
/** Copy arrays into fresh wasm memory (a number: that many bytes of 0xAB garbage), run fn with their addresses, free them. */
function withMem<T>(arrays: (Arr | number)[], fn: (...ptrs: number[]) => T): T {
  const bytes = arrays.map((a) => (typeof a === 'number' ? a : a.byteLength));
  const ptrs = bytes.map((b) => k.alloc(Math.max(b, 16)));
  arrays.forEach((a, i) => {
    const dst = new Uint8Array(k.memory.buffer, ptrs[i], bytes[i]);
    if (typeof a === 'number') dst.fill(0xab);
    else dst.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  });
  try {
    return fn(...ptrs);
  } finally {
    for (const p of ptrs) k.free(p);
  }
}
const bytesAt = (p: number, n: number) => new Uint8Array(k.memory.buffer, p, n).slice();
const f32At = (p: number, n: number) => k.f32(p, n).slice();

/** Same bits, except that any NaN equals any NaN. */
function sameBits(a: ArrayLike<number>, e: ArrayLike<number>, msg: string): void {
  assert.is(a.length, e.length, `${msg}: length`);
  for (let i = 0; i < e.length; i++) {
    if (!(Object.is(a[i], e[i]) || (Number.isNaN(a[i]) && Number.isNaN(e[i])))) assert.unreachable(`${msg} [${i}]: SIMD ${a[i]}, specification ${e[i]}`);
  }
}

const SIZES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 1027];

// Unary op codes, as in the binding (its table is checked against the js backend in (c)).
const UNARY: [UnaryOp, number, number[]][] = [
  ['neg', 0, []], ['abs', 1, []], ['sign', 2, []], ['exp', 3, []], ['log', 4, []], ['sqrt', 5, []], ['rsqrt', 6, []],
  ['square', 7, []], ['reciprocal', 8, []], ['sin', 9, []], ['cos', 10, []], ['erf', 11, []], ['relu', 12, []],
  ['sigmoid', 13, []], ['tanh', 14, []], ['gelu', 15, []], ['gelu_tanh', 16, []], ['silu', 17, []], ['softplus', 18, []],
  ['hardsigmoid', 19, []], ['hardswish', 20, []], ['relu6', 21, []], ['leaky_relu', 22, [0.01]], ['clamp', 23, [-0.5, 0.7]],
  ['clamp', 23, [-Infinity, 2]], ['pow_scalar', 24, [3]], ['pow_scalar', 24, [-2]], ['pow_scalar', 24, [0]], ['pow_scalar', 24, [0.5]],
  ['pow_scalar', 24, [-0.5]], ['pow_scalar', 24, [1.3]], ['pow_scalar', 24, [1 / 3]],
];
const BINARY: [BinaryOp, number][] = [
  ['add', 0], ['sub', 1], ['mul', 2], ['div', 3], ['pow', 4], ['maximum', 5], ['minimum', 6],
  ['eq', 10], ['ne', 11], ['lt', 12], ['le', 13], ['gt', 14], ['ge', 15], ['logical_and', 20], ['logical_or', 21],
];

// ---- (a) SIMD kernels against their specifications ---------------------------------------------------------

test('unaryF32 = unaryF32Scalar bit for bit for every op on sizes 0..13 and 1027, writing exactly n elements', () => {
  for (const [op, code, args] of UNARY) {
    for (const n of SIZES) {
      const x = mixed(n, 100 + n);
      const [simd, spec] = withMem([x, 4 * n + 16, 4 * n + 16], (px, po, ps) => {
        k.fn.unaryF32(code, px, po, n, args[0] ?? 0, args[1] ?? 0);
        k.fn.unaryF32Scalar(code, px, ps, n, args[0] ?? 0, args[1] ?? 0);
        assert.equal([...bytesAt(po + 4 * n, 16)], new Array(16).fill(0xab), `${op} n=${n}: wrote past n`);
        return [f32At(po, n), f32At(ps, n)];
      });
      sameBits(simd, spec, `${op}(${args}) n=${n}`);
    }
  }
});

test('unaryF32 in place (out = x) equals the out-of-place result', () => {
  const x = mixed(1027, 7);
  for (const [op, code, args] of UNARY) {
    const [inPlace, outOfPlace] = withMem([x, 4 * 1027], (px, po) => {
      k.fn.unaryF32(code, px, po, 1027, args[0] ?? 0, args[1] ?? 0);
      k.fn.unaryF32(code, px, px, 1027, args[0] ?? 0, args[1] ?? 0);
      return [f32At(px, 1027), f32At(po, 1027)];
    });
    sameBits(inPlace, outOfPlace, `${op} in place`);
  }
});

test('logicalNotB8 = logicalNotB8Scalar on sizes 0..40 and 1027', () => {
  for (const n of [...Array(41).keys(), 1027]) {
    const r = rng(n);
    const x = Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
    const [simd, spec] = withMem([x, n + 16, n + 16], (px, po, ps) => {
      k.fn.logicalNotB8(px, po, n);
      k.fn.logicalNotB8Scalar(px, ps, n);
      assert.equal([...bytesAt(po + n, 16)], new Array(16).fill(0xab), `n=${n}: wrote past n`);
      return [bytesAt(po, n), bytesAt(ps, n)];
    });
    assert.equal([...simd], [...spec], `n=${n}`);
    assert.equal([...simd], [...x].map((v) => 1 - v), `n=${n}: !x`);
  }
});

/** Operand data for a row of n elements with stride s (negative: the row starts at the end). */
function rowOperand(n: number, s: number, make: (m: number) => Arr): { data: Arr; start: number } {
  const span = s === 0 ? 1 : Math.abs(s) * Math.max(n - 1, 0) + 1;
  return { data: make(span), start: s < 0 ? span - 1 : 0 };
}
const STRIDE_PATTERNS: [number, number][] = [[1, 1], [1, 0], [0, 1], [0, 0], [2, 1], [1, 3], [-1, 1], [1, -2]];

test('binaryRow = binaryRowScalar bit for bit for every op, stride pattern and size', () => {
  for (const [op, code] of BINARY) {
    const bool = code >= 20, boolOut = code >= 10, w = bool ? 1 : 4, wo = boolOut ? 1 : 4;
    for (const [sa, sb] of STRIDE_PATTERNS) {
      for (const n of SIZES) {
        const seed = code * 1000 + n;
        const mk = (salt: number) => (m: number): Arr => {
          if (bool) { const r = rng(seed + salt); return Uint8Array.from({ length: m }, () => (r() < 0.5 ? 1 : 0)); }
          const v = mixed(m, seed + salt);
          // ties, so eq/le/ge and maximum/minimum see equal operands
          if (salt === 2) { const a = mixed(m, seed + 1); for (let i = 0; i < m; i += 3) v[i] = a[i]; }
          return v;
        };
        const A = rowOperand(n, sa, mk(1)), B = rowOperand(n, sb, mk(2));
        const [simd, spec] = withMem([A.data, B.data, wo * n + 16, wo * n + 16], (pa, pb, po, ps) => {
          const qa = pa + w * A.start, qb = pb + w * B.start;
          k.fn.binaryRow(code, qa, sa, qb, sb, po, n);
          k.fn.binaryRowScalar(code, qa, sa, qb, sb, ps, n);
          assert.equal([...bytesAt(po + wo * n, 16)], new Array(16).fill(0xab), `${op} n=${n}: wrote past n`);
          return boolOut ? [bytesAt(po, n), bytesAt(ps, n)] : [f32At(po, n), f32At(ps, n)];
        });
        sameBits(simd, spec, `${op} strides (${sa}, ${sb}) n=${n}`);
      }
    }
  }
});

/** dims for an N-d kernel: shape, then each operand's strides. */
const dimsOf = (shape: number[], ...strides: number[][]) => Int32Array.from([...shape, ...strides.flat()]);

test('binaryND, whereND, assignND: the tiled walk (a transposed operand) equals the specification on partial tiles', () => {
  // [3, 37, 70]: the last two dims are 3 × 2 tiles of 16 × 64 with partial ones; a is stored [3, 70, 37] (transposed)
  const shape = [3, 37, 70], N = 3 * 37 * 70;
  const aT = [37 * 70, 1, 37], cont = [37 * 70, 70, 1], row = [0, 0, 1];
  const a = mixed(N, 11), b = mixed(N, 12), c = Uint8Array.from(uniform(N, 13), (v) => +(v > 0));
  for (const [op, code] of BINARY.filter(([, c]) => c < 20)) {
    const wo = code >= 10 ? 1 : 4;
    for (const [la, lb] of [[aT, cont], [cont, aT], [aT, row], [aT, aT]]) {
      const [simd, spec] = withMem([a, b, dimsOf(shape, la, lb), wo * N, wo * N], (pa, pb, pd, po, ps) => {
        k.fn.binaryND(code, pa, pb, po, 3, pd);
        k.fn.binaryNDScalar(code, pa, pb, ps, 3, pd);
        return wo === 1 ? [bytesAt(po, N), bytesAt(ps, N)] : [f32At(po, N), f32At(ps, N)];
      });
      sameBits(simd, spec, `${op} a ${la} b ${lb}`);
    }
  }
  const [w1, w2] = withMem([c, a, b, dimsOf(shape, cont, aT, row), 4 * N, 4 * N], (pc, pa, pb, pd, po, ps) => {
    k.fn.whereND(pc, pa, pb, po, 3, pd);
    k.fn.whereNDScalar(pc, pa, pb, ps, 3, pd);
    return [f32At(po, N), f32At(ps, N)];
  });
  sameBits(w1, w2, 'whereND with a transposed a');
  for (const [ld, ls] of [[cont, aT], [aT, cont]]) {
    const [d1, d2] = withMem([a, b, b, dimsOf(shape, ld, ls)], (ps, pd1, pd2, pdims) => {
      k.fn.assignND(4, pd1, ps, 3, pdims);
      k.fn.assignNDScalar(4, pd2, ps, 3, pdims);
      return [f32At(pd1, N), f32At(pd2, N)];
    });
    sameBits(d1, d2, `assignND dst ${ld} src ${ls}`);
  }
});

test('binaryND = binaryNDScalar over 3-d spaces with row and column broadcasts and strided operands', () => {
  // [5, 7, 9] spaces; a: contiguous, transposed, or broadcast along some dims; b likewise
  const shape = [5, 7, 9];
  const layouts: number[][] = [[63, 9, 1], [0, 9, 1], [63, 0, 1], [63, 9, 0], [0, 0, 1], [1, 5, 35], [126, 18, 2], [0, 1, 0]];
  for (const [op, code] of BINARY) {
    const bool = code >= 20, wo = code >= 10 ? 1 : 4;
    for (const la of layouts) for (const lb of layouts) {
      const span = 5 * 7 * 9 * 2;
      const a: Arr = bool ? Uint8Array.from(uniform(span, 1), (v) => +(v > 0)) : mixed(span, 1);
      const b: Arr = bool ? Uint8Array.from(uniform(span, 2), (v) => +(v > 0)) : mixed(span, 2);
      const [simd, spec] = withMem([a, b, dimsOf(shape, la, lb), wo * 315, wo * 315], (pa, pb, pd, po, ps) => {
        k.fn.binaryND(code, pa, pb, po, 3, pd);
        k.fn.binaryNDScalar(code, pa, pb, ps, 3, pd);
        return wo === 1 ? [bytesAt(po, 315), bytesAt(ps, 315)] : [f32At(po, 315), f32At(ps, 315)];
      });
      sameBits(simd, spec, `${op} a ${la} b ${lb}`);
    }
  }
});

test('whereRow = whereRowScalar for every stride pattern of (cond, a, b) and size; whereND = whereNDScalar', () => {
  const patterns = [[1, 1, 1], [1, 1, 0], [1, 0, 1], [1, 0, 0], [0, 1, 1], [0, 0, 1], [0, 1, 0], [2, 1, 1], [1, -1, 2]];
  for (const [sc, sa, sb] of patterns) {
    for (const n of SIZES) {
      const r = rng(n + 17 * sc);
      const C = rowOperand(n, sc, (m) => Uint8Array.from({ length: m }, () => (r() < 0.5 ? 1 : 0)));
      const A = rowOperand(n, sa, (m) => mixed(m, n + 1)), B = rowOperand(n, sb, (m) => mixed(m, n + 2));
      const [simd, spec] = withMem([C.data, A.data, B.data, 4 * n + 16, 4 * n + 16], (pc, pa, pb, po, ps) => {
        const qc = pc + C.start, qa = pa + 4 * A.start, qb = pb + 4 * B.start;
        k.fn.whereRow(qc, sc, qa, sa, qb, sb, po, n);
        k.fn.whereRowScalar(qc, sc, qa, sa, qb, sb, ps, n);
        assert.equal([...bytesAt(po + 4 * n, 16)], new Array(16).fill(0xab), `n=${n}: wrote past n`);
        return [f32At(po, n), f32At(ps, n)];
      });
      sameBits(simd, spec, `where strides (${sc}, ${sa}, ${sb}) n=${n}`);
    }
  }
  const shape = [4, 6, 11];
  const c = Uint8Array.from(uniform(264, 3), (v) => +(v > 0)), a = mixed(264, 4), b = mixed(264, 5);
  for (const [lc, la, lb] of [[[66, 11, 1], [0, 11, 1], [66, 0, 1]], [[0, 0, 1], [66, 11, 0], [1, 4, 24]], [[66, 11, 1], [66, 11, 1], [0, 0, 0]]]) {
    const [simd, spec] = withMem([c, a, b, dimsOf(shape, lc, la, lb), 4 * 264, 4 * 264], (pc, pa, pb, pd, po, ps) => {
      k.fn.whereND(pc, pa, pb, po, 3, pd);
      k.fn.whereNDScalar(pc, pa, pb, ps, 3, pd);
      return [f32At(po, 264), f32At(ps, 264)];
    });
    sameBits(simd, spec, `whereND ${lc} ${la} ${lb}`);
  }
});

const CASTS: [DType, DType, number][] = [
  ['float32', 'int32', 0], ['int32', 'float32', 1], ['float32', 'bool', 2], ['int32', 'bool', 3], ['bool', 'float32', 4], ['bool', 'int32', 5],
];
const I32_SPECIAL = [0, 1, -1, 2147483647, -2147483648, 16777217, -16777217, 123456789];

function castInput(from: DType, n: number, seed: number): Arr {
  const r = rng(seed);
  if (from === 'bool') return Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
  if (from === 'int32') return Int32Array.from({ length: n }, (_, i) => (i < I32_SPECIAL.length ? I32_SPECIAL[i] : Math.floor((r() - 0.5) * 2 ** (r() * 32))));
  return mixed(n, seed);
}

test('castRow = castRowScalar for every cast and size, and both give what typed-array stores give (bool: x != 0)', () => {
  for (const [from, to, kind] of CASTS) {
    for (const n of [...SIZES, 64]) {
      const x = castInput(from, n, n + kind);
      const wo = to === 'bool' ? 1 : 4;
      const [simd, spec] = withMem([x, wo * n + 16, wo * n + 16], (px, po, ps) => {
        k.fn.castRow(kind, px, po, n);
        k.fn.castRowScalar(kind, px, ps, n);
        assert.equal([...bytesAt(po + wo * n, 16)], new Array(16).fill(0xab), `${from}>${to} n=${n}: wrote past n`);
        const read = (p: number) => (to === 'bool' ? bytesAt(p, n) : to === 'int32' ? new Int32Array(k.memory.buffer, p, n).slice() : f32At(p, n));
        return [read(po), read(ps)];
      });
      sameBits(simd, spec, `${from}>${to} n=${n}`);
      const expected = to === 'bool' ? Uint8Array.from(x, (v) => +(v !== 0)) : to === 'int32' ? Int32Array.from(x) : Float32Array.from(x);
      sameBits(simd, expected, `${from}>${to} n=${n} against the typed-array conversion`);
    }
  }
});

test('assignRow = assignRowScalar (4-byte and bool elements, every stride pattern); assignND = assignNDScalar', () => {
  for (const width of [4, 1]) {
    for (const [sd, ss] of [[1, 1], [1, 0], [2, 1], [1, 3], [-1, 1], [3, 0]]) {
      for (const n of SIZES) {
        const span = (s: number) => (s === 0 ? 1 : Math.abs(s) * Math.max(n - 1, 0) + 1);
        const src = width === 4 ? mixed(span(ss), n) : Uint8Array.from(uniform(span(ss), n), (v) => +(v > 0));
        const dst0 = width === 4 ? mixed(span(sd) + 4, n + 1) : new Uint8Array(span(sd) + 4).fill(7);
        const [simd, spec] = withMem([src, dst0, dst0], (ps, pd1, pd2) => {
          const q = (p: number, s: number) => p + width * (s < 0 ? span(s) - 1 : 0);
          k.fn.assignRow(width, q(pd1, sd), sd, q(ps, ss), ss, n);
          k.fn.assignRowScalar(width, q(pd2, sd), sd, q(ps, ss), ss, n);
          return [bytesAt(pd1, dst0.byteLength), bytesAt(pd2, dst0.byteLength)];
        });
        assert.equal([...simd], [...spec], `width ${width} strides (${sd}, ${ss}) n=${n}`);
      }
    }
  }
  const shape = [3, 5, 7];
  const src = mixed(210, 9);
  for (const [ld, ls] of [[[70, 14, 2], [35, 7, 1]], [[35, 7, 1], [0, 7, 1]], [[1, 3, 15], [0, 1, 0]]]) {
    const dst0 = mixed(210, 10);
    const [simd, spec] = withMem([src, dst0, dst0, dimsOf(shape, ld, ls)], (ps, pd1, pd2, pdims) => {
      k.fn.assignND(4, pd1, ps, 3, pdims);
      k.fn.assignNDScalar(4, pd2, ps, 3, pdims);
      return [f32At(pd1, 210), f32At(pd2, 210)];
    });
    sameBits(simd, spec, `assignND dst ${ld} src ${ls}`);
  }
});

// ---- (b) the float32 math against float64 --------------------------------------------------------------------

/** erfc z for z ≥ 0 in float64: 1 − erf below 2.5, Lentz's continued fraction above (relative accuracy in the tail). */
function erfc64(z: number): number {
  if (z < 2.5) return 1 - erf64(z);
  let f = z, c = z, d = 0;
  for (let n = 1; n < 1000; n++) {
    const an = n / 2;
    d = 1 / (z + an * d);
    c = z + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
}
const gelu64 = (x: number) => (x < 0 ? x * 0.5 * erfc64(-x / Math.SQRT2) : x * (1 - 0.5 * erfc64(x / Math.SQRT2)));
const geluTanh64 = (x: number) => x * sigmoid64(2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3));

/** The spacing of float32 numbers at |r| (subnormal spacing below 2^−126). */
function ulp(r: number): number {
  const a = Math.abs(f32(r));
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

const MATH: { op: UnaryOp; code: number; args?: number[]; f: (x: number) => number; ulps: number; from?: number }[] = [
  { op: 'exp', code: 3, f: Math.exp, ulps: 1 },
  { op: 'log', code: 4, f: Math.log, ulps: 1 },
  { op: 'sin', code: 9, f: Math.sin, ulps: 1 },
  { op: 'cos', code: 10, f: Math.cos, ulps: 1 },
  { op: 'tanh', code: 14, f: Math.tanh, ulps: 1.5 },
  { op: 'sigmoid', code: 13, f: sigmoid64, ulps: 3 },
  { op: 'erf', code: 11, f: erf64, ulps: 2.5 },
  { op: 'softplus', code: 18, f: softplus64, ulps: 2.5 },
  { op: 'silu', code: 17, f: (x) => x * sigmoid64(x), ulps: 4, from: -87 },
  { op: 'gelu', code: 15, f: gelu64, ulps: 6, from: -13 },
  { op: 'gelu_tanh', code: 16, f: geluTanh64, ulps: 4, from: -10 },
  { op: 'rsqrt', code: 6, f: (x) => 1 / Math.sqrt(x), ulps: 1.5 },
  { op: 'hardsigmoid', code: 19, f: (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1), ulps: 1 },
  { op: 'hardswish', code: 20, f: (x) => x * Math.min(Math.max(x + 3, 0), 6) / 6, ulps: 2.5 },
  // a float64 result rounded once: 0.5 ulp, plus a hair for double rounding
  { op: 'pow_scalar', code: 24, args: [3], f: (x) => x ** 3, ulps: 0.501 },
  { op: 'pow_scalar', code: 24, args: [-7], f: (x) => x ** -7, ulps: 0.501 },
  { op: 'pow_scalar', code: 24, args: [0.5], f: (x) => x ** 0.5, ulps: 0.5 },
  { op: 'pow_scalar', code: 24, args: [-0.5], f: (x) => x ** -0.5, ulps: 1.5 },
  { op: 'pow_scalar', code: 24, args: [2.5], f: (x) => x ** 2.5, ulps: 0.501 },
];

test('the float32 math is within its stated ulp bound of float64 Math over random bit patterns and [−20, 20]', () => {
  const N = 1 << 17;
  const r = rng(42);
  const bits = Uint32Array.from({ length: N }, () => {
    const b = (r() * 2 ** 32) >>> 0;
    return (b & 0x7f800000) === 0x7f800000 ? b & 0x807fffff : b; // finite
  });
  const samples = [new Float32Array(bits.buffer), uniform(N, 43, -20, 20)];
  for (const { op, code, args = [], f, ulps, from = -Infinity } of MATH) {
    for (const x of samples) {
      const got = withMem([x, 4 * N], (px, po) => {
        k.fn.unaryF32(code, px, po, N, args[0] ?? 0, 0);
        return f32At(po, N);
      });
      let worst = 0, at = 0;
      for (let i = 0; i < N; i++) {
        if (x[i] < from) continue; // an intermediate is subnormal: absolute error only (checked in (c))
        const e = f(x[i]);
        if (Number.isNaN(e) || !Number.isFinite(f32(e))) {
          if (!Object.is(got[i], f32(e)) && !(Number.isNaN(e) && Number.isNaN(got[i]))) assert.unreachable(`${op}(${x[i]}) = ${got[i]}, expected ${f32(e)}`);
          continue;
        }
        const err = Math.abs(got[i] - e) / ulp(e);
        if (err > worst) { worst = err; at = x[i]; }
      }
      assert.ok(worst <= ulps, `${op}(${args}): ${worst.toFixed(3)} ulp at x = ${at} (bound ${ulps})`);
    }
  }
});

test('special values: the wasm math gives what the js reference gives (sigmoid(−1000) = 0, exp(−∞) = 0, relu(NaN) = 0, ...)', () => {
  const x = Float32Array.from(SPECIAL);
  const n = x.length;
  for (const [op, code, args] of UNARY) {
    const got = withMem([x, 4 * n], (px, po) => {
      k.fn.unaryF32(code, px, po, n, args[0] ?? 0, args[1] ?? 0);
      return f32At(po, n);
    });
    const ref = js.readSync(js.unary(op, { storage: js.upload(x, 'float32'), shape: [n], strides: [1], offset: 0 }, args));
    for (let i = 0; i < n; i++) {
      const g = got[i], e = ref[i];
      const ok = Number.isNaN(e) ? Number.isNaN(g)
        : !Number.isFinite(e) ? g === e // ±∞ exactly
        : e === 0 ? g === 0 || Math.abs(g) <= refAbs(op) // 0 as 0 of either sign
        : Math.abs(g - e) <= 8 * ulp(e) || Math.abs(g - e) <= refAbs(op); // subnormal tails: absolute
      if (!ok) assert.unreachable(`${op}(${args}) at x = ${x[i]}: wasm ${g}, js ${e}`);
    }
  }
  // the ones PyTorch users rely on, spelled out
  const one = (op: UnaryOp, v: number, args: number[] = []) => withMem([Float32Array.of(v), 16], (px, po) => {
    k.fn.unaryF32(UNARY.find(([o]) => o === op)![1], px, po, 1, args[0] ?? 0, args[1] ?? 0);
    return f32At(po, 1)[0];
  });
  assert.is(one('sigmoid', -1000), 0);
  assert.is(one('sigmoid', 1000), 1);
  assert.is(one('exp', -Infinity), 0);
  assert.is(one('exp', Infinity), Infinity);
  assert.is(one('exp', 89), Infinity);
  assert.is(one('log', 0), -Infinity);
  assert.ok(Number.isNaN(one('log', -1)));
  assert.is(one('relu', NaN), 0);
  assert.ok(Number.isNaN(one('clamp', NaN, [0, 1])));
  assert.is(one('tanh', -Infinity), -1);
  assert.ok(Object.is(one('tanh', -0), -0));
  assert.is(one('erf', Infinity), 1);
  assert.is(one('erf', -Infinity), -1);
  assert.is(one('gelu', Infinity), Infinity);
  assert.ok(Object.is(one('gelu', -1000), -0));
  assert.ok(Object.is(one('sin', -0), -0));
  assert.ok(Number.isNaN(one('sin', Infinity)));
  assert.is(one('pow_scalar', NaN, [0]), 1);
  assert.is(one('pow_scalar', -0, [0.5]), 0);
  assert.is(one('pow_scalar', -Infinity, [0.5]), Infinity);
  assert.is(one('pow_scalar', -0, [-1]), -Infinity);
  assert.is(one('softplus', -Infinity), 0);
  assert.is(one('softplus', 1000), 1000);
});

// ---- (c) the wasm backend against the js backend ---------------------------------------------------------------

type Layout = 'contiguous' | 'permuted' | 'sliced' | 'expanded' | 'flipped' | 'mixed';
const LAYOUTS: Layout[] = ['contiguous', 'permuted', 'sliced', 'expanded', 'flipped', 'mixed'];

/**
 * Storage data plus a view of `shape` laid out as `layout` over it: permuted
 * (storage in reversed dim order), sliced (every other element, offset),
 * expanded (stride 0 on some dims: a broadcast), flipped (negative strides).
 */
function makeLayout(shape: number[], layout: Layout, seed: number): { size: number; strides: number[]; offset: number } {
  const r = rng(seed);
  const rank = shape.length;
  const order = [...Array(rank).keys()];
  if (layout === 'permuted' || layout === 'mixed') order.reverse();
  const kind = shape.map((d) => {
    if (layout === 'expanded') return r() < 0.5 ? 'b' : 'n';
    if (layout === 'sliced') return 's';
    if (layout === 'flipped') return 'f';
    if (layout === 'mixed') return ['n', 'b', 's', 'f'][Math.floor(r() * 4)];
    return 'n';
  });
  const ext = shape.map((d, i) => (kind[i] === 'b' ? 1 : kind[i] === 's' ? 2 * d : d));
  const base = new Array<number>(rank);
  let acc = 1;
  for (let j = rank - 1; j >= 0; j--) { base[order[j]] = acc; acc *= ext[order[j]]; }
  let offset = layout === 'contiguous' ? 0 : 3;
  const strides = shape.map((d, i) => {
    if (kind[i] === 'b') return 0;
    if (kind[i] === 's') return 2 * base[i];
    if (kind[i] === 'f') { offset += (d - 1) * base[i]; return -base[i]; }
    return base[i];
  });
  return { size: acc + 3, strides, offset };
}

/** The same view (values from `fill`) on the wasm backend and on the js backend. */
function pair(shape: number[], layout: Layout, dtype: DType, seed: number, fill: (n: number, seed: number) => ArrayLike<number>) {
  const { size, strides, offset } = makeLayout(shape, layout, seed);
  const data = fill(size, seed + 1);
  const view = (s: Storage): View => ({ storage: s, shape, strides, offset });
  return { w: view(wasm.upload(data, dtype)), j: view(js.upload(data, dtype)) };
}
const done = (...views: View[]) => views.forEach((v) => v.storage.backend.free(v.storage));

const SHAPES = [[7], [3, 5], [2, 3, 4], [2, 3, 5, 7], [1, 9, 1], [4, 1, 6], [], [1], [2, 2, 2, 2, 3], [3, 0, 2], [2, 37, 70]];

/**
 * Exact ops: equal values, NaN = NaN, and the same sign of zero where `signedZero`.
 * The math: within 4 ulp, or `abs` (1e-37: subnormal tails).
 */
function compare(got: ArrayLike<number>, ref: ArrayLike<number>, exact: boolean, msg: string, signedZero = false, abs = 1e-37): void {
  assert.is(got.length, ref.length, `${msg}: length`);
  for (let i = 0; i < ref.length; i++) {
    const g = got[i], e = ref[i];
    if (Number.isNaN(e) && Number.isNaN(g)) continue;
    if (exact ? (signedZero ? Object.is(g, e) : g === e) : (g === e || Math.abs(g - e) <= 4 * ulp(e) || Math.abs(g - e) <= abs)) continue;
    assert.unreachable(`${msg} [${i}]: wasm ${g}, js ${e}`);
  }
}
/**
 * The js reference forms gelu's 1 + erf(x/√2) and gelu_tanh's 1 + tanh(u) in
 * float64, so for x < 0 its result carries an absolute error of about
 * |x|·2^−53 (it is 0 below x ≈ −8.5); the wasm kernels keep that tail to a few
 * ulp, which (b) checks against an accurate erfc. Against js, allow 1e-14.
 */
const refAbs = (op: UnaryOp) => (op === 'gelu' || op === 'gelu_tanh' ? 1e-14 : 1e-37);

const EXACT_UNARY = new Set<UnaryOp>(['neg', 'abs', 'sign', 'sqrt', 'square', 'reciprocal', 'relu', 'relu6', 'clamp']);

test('unary: wasm = js on every op and view layout (native unaryF32 each time)', () => {
  let seed = 1;
  for (const [op, , args] of UNARY) {
    for (const shape of SHAPES) for (const layout of LAYOUTS) {
      const x = pair(shape, layout, 'float32', seed++, (n, s) => (op === 'log' || op === 'sqrt' || op === 'rsqrt' ? uniform(n, s, 0, 9) : mixed(n, s)));
      const got = native('unaryF32', () => wasm.unary(op, x.w, args), numel(shape) > 0);
      const ref = js.unary(op, x.j, args);
      compare(wasm.readSync(got), js.readSync(ref), EXACT_UNARY.has(op), `${op}(${args}) ${layout} [${shape}]`, true, refAbs(op));
      wasm.free(got); js.free(ref); done(x.w, x.j);
    }
  }
});

test('logical_not: wasm = js on bool views', () => {
  for (const shape of SHAPES) for (const layout of LAYOUTS) {
    const x = pair(shape, layout, 'bool', 5, (n, s) => Uint8Array.from(uniform(n, s), (v) => +(v > 0)));
    const got = native('logicalNotB8', () => wasm.unary('logical_not', x.w), numel(shape) > 0);
    assert.equal([...wasm.readSync(got)], [...js.readSync(js.unary('logical_not', x.j))], `${layout} [${shape}]`);
    wasm.free(got); done(x.w, x.j);
  }
});

/** The broadcasts ops make: b expanded from a shape with some dims (or all) set to 1. */
function broadcastCases(): { shape: number[]; bShape: number[] }[] {
  return [
    { shape: [64, 33], bShape: [1, 33] }, // row broadcast
    { shape: [64, 33], bShape: [64, 1] }, // column broadcast
    { shape: [2, 3, 5, 7], bShape: [1, 3, 1, 1] }, // per-channel
    { shape: [2, 3, 5, 7], bShape: [1, 1, 1, 1] }, // scalar
    { shape: [2, 3, 5, 7], bShape: [2, 1, 5, 1] },
    { shape: [1027], bShape: [1] },
    { shape: [], bShape: [] },
  ];
}
const expandView = (v: View, shape: number[]): View => ({ ...v, shape, strides: v.shape.map((d, i) => (d === 1 ? 0 : v.strides[i])) });

test('binary: wasm = js for every op on every view layout and on broadcasts (native binaryRow / binaryND)', () => {
  let seed = 1000;
  for (const [op, code] of BINARY) {
    const dtype: DType = code >= 20 ? 'bool' : 'float32';
    const fill = (n: number, s: number) => (dtype === 'bool' ? Uint8Array.from(uniform(n, s), (v) => +(v > 0))
      : op === 'pow' ? uniform(n, s, -3, 3).map((v, i) => (i % 2 ? Math.round(v) : v)) : mixed(n, s));
    const exact = op !== 'pow';
    const run = (a: { w: View; j: View }, b: { w: View; j: View }, msg: string) => {
      const got = native(['binaryRow', 'binaryND'], () => wasm.binary(op, a.w, b.w), numel(a.w.shape) > 0);
      const ref = js.binary(op, a.j, b.j);
      assert.is(got.dtype, ref.dtype, `${msg}: dtype`);
      compare(wasm.readSync(got), js.readSync(ref), exact, msg, exact);
      wasm.free(got); js.free(ref);
    };
    for (const shape of SHAPES) for (const la of LAYOUTS) {
      const lb = LAYOUTS[(LAYOUTS.indexOf(la) + seed) % LAYOUTS.length];
      const a = pair(shape, la, dtype, seed++, fill), b = pair(shape, lb, dtype, seed++, fill);
      run(a, b, `${op} a ${la} b ${lb} [${shape}]`);
      run(a, a, `${op} a ${la} with itself [${shape}]`); // all ties
      done(a.w, a.j, b.w, b.j);
    }
    for (const { shape, bShape } of broadcastCases()) for (const swap of [false, true]) {
      const a = pair(shape, 'contiguous', dtype, seed++, fill), b0 = pair(bShape, 'contiguous', dtype, seed++, fill);
      const b = { w: expandView(b0.w, shape), j: expandView(b0.j, shape) };
      run(swap ? b : a, swap ? a : b, `${op} [${shape}] with [${bShape}] ${swap ? 'first' : 'second'}`);
      done(a.w, a.j, b0.w, b0.j);
    }
  }
});

test('binary: a row broadcast is one binaryND walk of SIMD rows, a scalar or contiguous operand one binaryRow call', () => {
  const a = wasm.upload(uniform(64 * 33, 1), 'float32'), b = wasm.upload(uniform(33, 2), 'float32');
  const A: View = { storage: a, shape: [64, 33], strides: [33, 1], offset: 0 };
  const count2 = () => [count('binaryRow'), count('binaryND')];
  let [r0, n0] = count2();
  wasm.free(wasm.binary('add', A, { storage: b, shape: [64, 33], strides: [0, 1], offset: 0 }));
  assert.equal(count2(), [r0, n0 + 1], '[64,33] + [1,33]: one N-d walk');
  [r0, n0] = count2();
  wasm.free(wasm.binary('mul', A, { storage: b, shape: [64, 33], strides: [0, 0], offset: 5 }));
  assert.equal(count2(), [r0 + 1, n0], '[64,33] * scalar: one row');
  [r0, n0] = count2();
  wasm.free(wasm.binary('sub', A, A));
  assert.equal(count2(), [r0 + 1, n0], 'contiguous: one row');
  wasm.free(a); wasm.free(b);
});

test('coalesce merges the dims every operand walks alike and drops size-1 dims', () => {
  assert.equal(coalesce([2, 3, 4], [[12, 4, 1], [12, 4, 1]]), { shape: [24], strides: [[1], [1]] });
  assert.equal(coalesce([2, 3, 4], [[12, 4, 1], [0, 0, 0]]), { shape: [24], strides: [[1], [0]] });
  assert.equal(coalesce([64, 33], [[33, 1], [0, 1]]), { shape: [64, 33], strides: [[33, 1], [0, 1]] });
  assert.equal(coalesce([2, 3, 5, 7], [[105, 35, 7, 1], [0, 1, 0, 0]]), { shape: [2, 3, 35], strides: [[105, 35, 1], [0, 1, 0]] });
  assert.equal(coalesce([1, 5, 1], [[9, 1, 9]]), { shape: [5], strides: [[1]] });
  assert.equal(coalesce([], [[], []]), { shape: [1], strides: [[0], [0]] });
  assert.equal(coalesce([4, 3], [[-3, -1]]), { shape: [12], strides: [[-1]] });
});

test('where: wasm = js for float32 and int32 operands on every layout and broadcast (native whereRow / whereND)', () => {
  let seed = 5000;
  for (const dtype of ['float32', 'int32'] as DType[]) {
    const fill = (n: number, s: number) => (dtype === 'int32' ? Int32Array.from(uniform(n, s, -1e6, 1e6), Math.round) : mixed(n, s));
    const boolFill = (n: number, s: number) => Uint8Array.from(uniform(n, s), (v) => +(v > 0));
    for (const shape of SHAPES) for (const lc of LAYOUTS) {
      const c = pair(shape, lc, 'bool', seed++, boolFill);
      const a = pair(shape, LAYOUTS[seed % 6], dtype, seed++, fill), b = pair(shape, LAYOUTS[(seed + 3) % 6], dtype, seed++, fill);
      const got = native(['whereRow', 'whereND'], () => wasm.where(c.w, a.w, b.w), numel(shape) > 0);
      compare(wasm.readSync(got), js.readSync(js.where(c.j, a.j, b.j)), true, `where ${dtype} ${lc} [${shape}]`, true);
      wasm.free(got); done(c.w, c.j, a.w, a.j, b.w, b.j);
    }
    for (const { shape, bShape } of broadcastCases()) {
      const c0 = pair(bShape, 'contiguous', 'bool', seed++, boolFill), a = pair(shape, 'sliced', dtype, seed++, fill), b0 = pair(bShape, 'contiguous', dtype, seed++, fill);
      const c = { w: expandView(c0.w, shape), j: expandView(c0.j, shape) }, b = { w: expandView(b0.w, shape), j: expandView(b0.j, shape) };
      const got = native(['whereRow', 'whereND'], () => wasm.where(c.w, a.w, b.w));
      compare(wasm.readSync(got), js.readSync(js.where(c.j, a.j, b.j)), true, `where ${dtype} [${shape}] with [${bShape}]`, true);
      wasm.free(got); done(c0.w, c0.j, a.w, a.j, b0.w, b0.j);
    }
  }
});

test('copy with a dtype cast: wasm = js for float32 ↔ int32 ↔ bool on every layout (native castRow)', () => {
  let seed = 7000;
  for (const [from, to] of CASTS) {
    for (const shape of SHAPES) for (const layout of LAYOUTS) {
      const x = pair(shape, layout, from, seed++, (n, s) => castInput(from, n, s));
      const got = native('castRow', () => wasm.copy(x.w, to), numel(shape) > 0);
      const ref = js.copy(x.j, to);
      assert.is(got.dtype, to);
      compare(wasm.readSync(got), js.readSync(ref), true, `${from}>${to} ${layout} [${shape}]`, true);
      wasm.free(got); js.free(ref); done(x.w, x.j);
    }
  }
});

test('assign: wasm = js for strided destinations and sources (cat/pad/copy_ patterns), same-storage sources read first', () => {
  let seed = 9000;
  for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
    const fill = (n: number, s: number) => (dtype === 'bool' ? Uint8Array.from(uniform(n, s), (v) => +(v > 0)) : castInput(dtype, n, s));
    for (const shape of SHAPES) for (const ld of ['contiguous', 'permuted', 'sliced', 'flipped'] as Layout[]) for (const ls of LAYOUTS) {
      const d = pair(shape, ld, dtype, seed++, fill), s = pair(shape, ls, dtype, seed++, fill);
      native(['assignRow', 'assignND'], () => wasm.assign(d.w, s.w), numel(shape) > 0);
      js.assign(d.j, s.j);
      compare(wasm.readSync(d.w.storage), js.readSync(d.j.storage), true, `assign ${dtype} dst ${ld} src ${ls} [${shape}]`, true);
      done(d.w, d.j, s.w, s.j);
    }
  }
  // cat's pattern: write two halves into a [4, 6] buffer; pad's: the interior of a larger one
  const out = wasm.zeros('float32', 24);
  const left = wasm.upload(uniform(12, 1), 'float32'), right = wasm.upload(uniform(12, 2), 'float32');
  native('assignND', () => wasm.assign({ storage: out, shape: [4, 3], strides: [6, 1], offset: 0 }, { storage: left, shape: [4, 3], strides: [3, 1], offset: 0 }));
  wasm.assign({ storage: out, shape: [4, 3], strides: [6, 1], offset: 3 }, { storage: right, shape: [4, 3], strides: [3, 1], offset: 0 });
  const L = wasm.readSync(left), R = wasm.readSync(right), O = wasm.readSync(out);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) { assert.is(O[i * 6 + j], L[i * 3 + j]); assert.is(O[i * 6 + 3 + j], R[i * 3 + j]); }
  // overlapping source and destination in one storage: x[1:] ← x[:-1] reads every source value before writing
  const x = wasm.upload([1, 2, 3, 4, 5, 6], 'float32');
  wasm.assign({ storage: x, shape: [5], strides: [1], offset: 1 }, { storage: x, shape: [5], strides: [1], offset: 0 });
  assert.equal([...wasm.readSync(x)], [1, 1, 2, 3, 4, 5]);
  wasm.free(out); wasm.free(left); wasm.free(right); wasm.free(x);
});

// ---- (d) what the binding leaves to the reference ---------------------------------------------------------------

test('float64 and int32 math take the js reference (and still agree with it); float64 copies stay native', () => {
  const d = wasm.upload([1.5, -2.25, 3], 'float64');
  const D: View = { storage: d, shape: [3], strides: [1], offset: 0 };
  assert.equal([...wasm.readSync(viaReference(() => wasm.unary('exp', D)))], [1.5, -2.25, 3].map(Math.exp));
  assert.equal([...wasm.readSync(viaReference(() => wasm.binary('add', D, D)))], [3, -4.5, 6]);
  assert.equal([...wasm.readSync(viaReference(() => wasm.copy(D, 'float32')))], [1.5, -2.25, 3]);
  const i = wasm.upload([1, -2, 3], 'int32');
  const I: View = { storage: i, shape: [3], strides: [1], offset: 0 };
  assert.equal([...wasm.readSync(viaReference(() => wasm.unary('neg', I)))], [-1, 2, -3]);
  assert.equal([...wasm.readSync(viaReference(() => wasm.binary('mul', I, I)))], [1, 4, 9]);
  assert.equal([...wasm.readSync(viaReference(() => wasm.binary('lt', I, I)))], [0, 0, 0]);
  // same-dtype copies (any dtype) are the native strided copy
  assert.equal([...wasm.readSync(native('copyStrided64', () => wasm.copy({ ...D, shape: [2], strides: [-1], offset: 2 })))], [3, -2.25]);
  wasm.free(d); wasm.free(i);
});

test.run();
