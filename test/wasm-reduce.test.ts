// The wasm kernels for reductions, softmax and normalisation
// (assembly/reduce.ts, softmax.ts, norm.ts; binding src/backends/wasm/native/reduce.ts).
//
// (a) Each SIMD kernel against its scalar specification (the same export name +
//     "Scalar"), on sizes that leave SIMD tails and cross the summation blocks:
//     exactly for prod, argmax/argmin and exp (bit for bit) and max/min (up to
//     the sign of a zero), which do the same arithmetic; within a bound derived
//     from the summation for the rest. Every sum in these kernels is float32
//     partials, each through at most 34 roundings, added in float64, so its
//     error is at most SUM_TOL·Σ|terms| with SUM_TOL = 36·2⁻²⁴ (34, plus
//     margin); each bound below is that propagated through the formula, plus a
//     few ulp of the result. exp itself is held within 3 ulp of Math.exp.
// (b) The wasm backend against the js backend (the reference kernels) on random
//     inputs, through the Backend interface with contiguous, permuted, sliced,
//     expanded and flipped views, every layout the binding knows, NaN/±∞ and ties.
//     Tolerance: the same summation bound, or 4e-6 relative where stated.
// (c) The native path is really taken: these tests use a wasm backend whose
//     kernel table counts calls and whose reference fallback throws for these
//     ops, so a binding that returned null would fail rather than pass slowly.
// The tests build their own backends, so they run the same in the suite's js and wasm runs.
// Run: node tools/run-tests.mjs wasm-reduce
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Storage, View } from '../src/backends/backend.js';
import { JsBackend } from '../src/backends/js/index.js';
import { WasmBackend } from '../src/backends/wasm/index.js';
import { layout4 } from '../src/backends/wasm/native/reduce.js';
import { rng } from './helpers/assert.js';
import { countingKernels } from './helpers/wasm-spy.js';

const SUM_TOL = 36 * 2 ** -24;
const ULP = 2 ** -23; // ≥ ulp(v) / |v| for a normal float32 v

// ---- backends: a spied wasm backend and the reference ------------------------------------

const { kernels, spied, count } = countingKernels();
const wasm = new WasmBackend(spied);
// The reference fallback of these ops throws on this backend: only the native path can answer.
const fallback = (wasm as unknown as { js: Record<string, unknown> }).js;
for (const m of ['reduce', 'argReduce', 'softmax', 'softmaxBackward', 'normalize', 'normalizeBackward']) {
  fallback[m] = () => { throw new Error(`${m}: the wasm backend fell back to the js reference`); };
}
const js = new JsBackend();
const k = kernels; // raw exports for (a)

/** Run fn and assert it called the kernel `name` (at least once). */
function native<T>(name: string, fn: () => T): T {
  const before = count(name);
  const r = fn();
  assert.ok(count(name) > before, `${name} was not called`);
  return r;
}

// ---- data -----------------------------------------------------------------------------------

/** n float32 values uniform in [lo, hi). */
function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

// ---- raw kernel calls for (a) -------------------------------------------------------------------

/** Copy arrays into fresh wasm memory, run fn with their addresses, free them. */
function withMem<T>(arrays: (Float32Array | Int32Array | number)[], fn: (...ptrs: number[]) => T): T {
  const ptrs = arrays.map((a) => k.alloc(4 * Math.max(typeof a === 'number' ? a : a.length, 1)));
  arrays.forEach((a, i) => {
    if (typeof a === 'number') new Uint8Array(k.memory.buffer, ptrs[i], 4 * a).fill(0xff); // NaN garbage
    else if (a instanceof Int32Array) new Int32Array(k.memory.buffer, ptrs[i], a.length).set(a);
    else k.f32(ptrs[i], a.length).set(a);
  });
  try {
    return fn(...ptrs);
  } finally {
    for (const p of ptrs) k.free(p);
  }
}
const readF32 = (p: number, n: number) => k.f32(p, n).slice();
const readI32 = (p: number, n: number) => new Int32Array(k.memory.buffer, p, n).slice();

function sameBits(a: ArrayLike<number>, e: ArrayLike<number>, msg: string): void {
  assert.is(a.length, e.length, `${msg}: length`);
  for (let i = 0; i < e.length; i++) if (!Object.is(a[i], e[i])) assert.unreachable(`${msg} [${i}]: SIMD ${a[i]}, specification ${e[i]}`);
}

/** Equal values (NaN equals NaN; −0 equals +0). */
function sameValues(a: ArrayLike<number>, e: ArrayLike<number>, msg: string): void {
  assert.is(a.length, e.length, `${msg}: length`);
  for (let i = 0; i < e.length; i++) if (!(a[i] === e[i] || (Number.isNaN(a[i]) && Number.isNaN(e[i])))) assert.unreachable(`${msg} [${i}]: SIMD ${a[i]}, specification ${e[i]}`);
}

function within(a: ArrayLike<number>, e: ArrayLike<number>, bound: (i: number) => number, msg: string): void {
  assert.is(a.length, e.length, `${msg}: length`);
  for (let i = 0; i < e.length; i++) {
    if (Number.isNaN(e[i])) { assert.ok(Number.isNaN(a[i]), `${msg} [${i}]: expected NaN, got ${a[i]}`); continue; }
    if (!Number.isFinite(e[i])) { assert.is(a[i], e[i], `${msg} [${i}]`); continue; }
    const b = bound(i);
    if (!(Math.abs(a[i] - e[i]) <= b)) assert.unreachable(`${msg} [${i}]: got ${a[i]}, expected ${e[i]} (|Δ| = ${Math.abs(a[i] - e[i])} > ${b})`);
  }
}

/** Σ|x| over the group (a, c) of [A, B, C, D], for every group, in float64. */
function groupAbsSums(x: Float32Array, [A, B, C, D]: number[], f: (v: number, i: number) => number = Math.abs): Float64Array {
  const out = new Float64Array(A * C);
  for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) {
    const i = ((a * B + b) * C + c) * D + d;
    out[a * C + c] += f(x[i], i);
  }
  return out;
}

// Layouts [A, B, C, D]: rows with tails and several 512-blocks, columns with a column tail and
// several 32-row blocks (and a 4-row-group tail), batch-norm chunks with tails, degenerate ones.
const LAYOUTS = [
  [3, 1, 1, 1037], [1, 1, 1, 5000], [4, 1, 1, 3], [2, 5, 7, 1], [1, 37, 13, 1], [2, 70, 9, 1],
  [1, 3, 4, 37], [2, 3, 5, 19], [1, 1, 6, 1], [1, 2, 1, 1], [1, 1, 1, 1],
];

// ---- (a) SIMD kernels against their specifications ---------------------------------------------

test('reduceF32 = reduceF32Scalar: prod bit for bit, max and min exactly (up to the sign of 0), sum within SUM_TOL·Σ|x|', () => {
  LAYOUTS.forEach((dims, li) => {
    const [A, , C] = dims;
    const n = numel(dims);
    const x = uniform(n, 100 + li);
    const withSpecials = x.slice();
    if (n > 20) { withSpecials[3] = NaN; withSpecials[n - 2] = Infinity; withSpecials[n >> 1] = -Infinity; withSpecials[7] = -0; }
    const px = uniform(n, 200 + li, 0.995, 1.005); // products stay finite
    for (const [op, code, data] of [['max', 2, withSpecials], ['min', 3, withSpecials], ['prod', 1, px], ['sum', 0, x]] as const) {
      const [simd, spec] = withMem([data, A * C, A * C], (p, o1, o2) => {
        k.fn.reduceF32(code, p, o1, ...dims);
        k.fn.reduceF32Scalar(code, p, o2, ...dims);
        return [readF32(o1, A * C), readF32(o2, A * C)];
      });
      if (op === 'sum') {
        const abs = groupAbsSums(data, dims);
        within(simd, spec, (i) => SUM_TOL * abs[i] + ULP * Math.abs(spec[i]), `sum [${dims}]`);
      } else if (op === 'prod') sameBits(simd, spec, `${op} [${dims}]`);
      else sameValues(simd, spec, `${op} [${dims}]`);
    }
  });
});

test('a float32 sum of a million terms stays accurate (rows and columns)', () => {
  const n = 1 << 20;
  const x = new Float32Array(n).fill(0.1);
  const exact = n * Math.fround(0.1);
  for (const dims of [[1, 1, 1, n], [1, n / 4, 4, 1], [1, n / 8, 2, 4]]) {
    const [A, , C] = dims;
    const out = withMem([x, A * C], (p, o) => { k.fn.reduceF32(0, p, o, ...dims); return readF32(o, A * C); });
    // a plain float32 loop is off by 1e-2 relative here (105891.8 for 104857.6); the blocked sum by < SUM_TOL
    const want = exact / (A * C);
    for (const v of out) assert.ok(Math.abs(v - want) <= SUM_TOL * want, `[${dims}]: ${v} vs ${want}`);
  }
});

test('argReduceF32 = argReduceF32Scalar exactly: ties keep the first index, the first NaN wins', () => {
  const shapes = [[3, 1031, 1], [2, 16, 1], [3, 23, 1], [2, 9, 1], [2, 5, 1], [4, 8, 1], [2, 17, 7], [1, 40, 4], [3, 1, 5], [1, 6, 3]];
  shapes.forEach((dims, si) => {
    const [A, R, C] = dims;
    const n = A * R * C;
    const r = rng(300 + si);
    // few distinct values: many ties
    const x = Float32Array.from({ length: n }, () => Math.floor(r() * 7) - 3);
    const nan = x.slice();
    for (let i = 0; i < n; i += 1 + Math.floor(r() * 29)) if (r() < 0.3) nan[i] = NaN;
    for (const data of [x, nan, uniform(n, 400 + si)]) {
      for (const isMin of [0, 1]) {
        const [simd, spec] = withMem([data, A * C, A * C], (p, o1, o2) => {
          k.fn.argReduceF32(isMin, p, o1, A, R, C);
          k.fn.argReduceF32Scalar(isMin, p, o2, A, R, C);
          return [readI32(o1, A * C), readI32(o2, A * C)];
        });
        sameBits(simd, spec, `${isMin ? 'argmin' : 'argmax'} [${dims}]`);
      }
    }
  });
});

test('exp: SIMD = scalar bit for bit, within 3 ulp of e^x on [−87.3, 0], 0 below, −∞ → 0, NaN → NaN', () => {
  const n = 4099;
  const x = uniform(n, 5, -87.3, 0);
  x[0] = 0; x[1] = -0; x[2] = -Infinity; x[3] = NaN; x[4] = -87.33; x[5] = -87.34; x[6] = -100; x[7] = -1e-8; x[n - 1] = -88;
  const [simd, spec] = withMem([x, n, n], (p, o1, o2) => {
    k.fn.softmaxExpF32(p, o1, n);
    k.fn.softmaxExpF32Scalar(p, o2, n);
    return [readF32(o1, n), readF32(o2, n)];
  });
  sameBits(simd, spec, 'exp');
  assert.is(simd[0], 1);
  assert.is(simd[2], 0);
  assert.ok(Number.isNaN(simd[3]));
  assert.is(simd[5], 0);
  assert.is(simd[6], 0);
  assert.is(simd[n - 1], 0);
  for (let i = 0; i < n; i++) {
    if (!(x[i] >= -87.3)) continue;
    const e = Math.exp(x[i]);
    const ulp = 2 ** (Math.floor(Math.log2(e)) - 23);
    if (!(Math.abs(simd[i] - e) <= 3 * ulp)) assert.unreachable(`exp(${x[i]}) = ${simd[i]}, true ${e}: ${Math.abs(simd[i] - e) / ulp} ulp`);
  }
});

const SOFTMAX_SHAPES = [[3, 1037, 1], [2, 45, 1], [2, 13, 1], [5, 3, 1], [2, 13, 7], [2, 37, 23], [2, 70, 5], [1, 33, 4], [3, 1, 1], [2, 1, 6]];

test('softmaxF32 = softmaxF32Scalar (softmax and log_softmax) up to the summation bound', () => {
  SOFTMAX_SHAPES.forEach((dims, si) => {
    const [A, R, C] = dims;
    const n = A * R * C;
    const x = uniform(n, 500 + si, -8, 8);
    if (n > 40) { x[5] = -Infinity; x[n - 1] = 30; }
    for (const log of [0, 1]) {
      const [simd, spec] = withMem([x, n, n], (p, o1, o2) => {
        k.fn.softmaxF32(p, o1, A, R, C, log);
        k.fn.softmaxF32Scalar(p, o2, A, R, C, log);
        return [readF32(o1, n), readF32(o2, n)];
      });
      // both use the same exp; Σ e^(x − m) ≥ 1 has relative error ≤ SUM_TOL (its terms are positive),
      // which becomes SUM_TOL relative in y (softmax) or SUM_TOL absolute in log y
      within(simd, spec, (i) => (log ? SUM_TOL + 2 * ULP * Math.abs(spec[i]) : (SUM_TOL + 2 * ULP) * Math.abs(spec[i])), `${log ? 'log_' : ''}softmax [${dims}]`);
    }
  });
});

test('softmaxBackwardF32 = softmaxBackwardF32Scalar up to the summation bound', () => {
  SOFTMAX_SHAPES.forEach((dims, si) => {
    const [A, R, C] = dims;
    const n = A * R * C;
    const g = uniform(n, 600 + si);
    for (const log of [0, 1]) {
      const y = withMem([uniform(n, 700 + si, -4, 4), n], (p, o) => { k.fn.softmaxF32(p, o, A, R, C, log); return readF32(o, n); });
      const [simd, spec] = withMem([y, g, n, n], (py, pg, o1, o2) => {
        k.fn.softmaxBackwardF32(py, pg, o1, A, R, C, log);
        k.fn.softmaxBackwardF32Scalar(py, pg, o2, A, R, C, log);
        return [readF32(o1, n), readF32(o2, n)];
      });
      // s = Σ g·y (or Σ g) has error ≤ SUM_TOL·Σ|g·y| (or Σ|g|) + its rounding; dx_i scales it by y_i (or e^y_i)
      const terms = groupAbsSums(g, [A, R, C, 1], (v, i) => Math.abs(log ? v : v * y[i]));
      const sums = groupAbsSums(g, [A, R, C, 1], (v, i) => (log ? v : v * y[i]));
      within(simd, spec, (i) => {
        const grp = Math.floor(i / (R * C)) * C + (i % C);
        const w = log ? Math.exp(y[i]) : Math.abs(y[i]);
        return w * (SUM_TOL * terms[grp] + ULP * Math.abs(sums[grp])) + 2 * ULP * (Math.abs(spec[i]) + Math.abs(g[i]));
      }, `${log ? 'log_' : ''}softmax backward [${dims}]`);
    }
  });
});

/** Normalise with both kernels; returns [simd, spec] outputs (y, mean, rstd). */
function bothNormalize(x: Float32Array, dims: number[], eps: number) {
  const [A, , C] = dims;
  const n = numel(dims), g = A * C;
  return withMem([x, n, g, g, n, g, g], (p, y1, m1, r1, y2, m2, r2) => {
    k.fn.normalizeF32(p, y1, m1, r1, ...dims, eps);
    k.fn.normalizeF32Scalar(p, y2, m2, r2, ...dims, eps);
    return [
      { y: readF32(y1, n), mean: readF32(m1, g), rstd: readF32(r1, g) },
      { y: readF32(y2, n), mean: readF32(m2, g), rstd: readF32(r2, g) },
    ];
  });
}

const NORM_LAYOUTS = [[5, 1, 1, 67], [3, 1, 1, 1100], [1, 3, 4, 37], [2, 3, 5, 19], [2, 37, 7, 1], [1, 70, 5, 1], [3, 1, 1, 2], [2, 4, 3, 1]];

test('normalizeF32 = normalizeF32Scalar up to the summation bound, including mean 1000 with spread 0.01', () => {
  NORM_LAYOUTS.forEach((dims, li) => {
    const [A, B, C, D] = dims;
    for (const [scale, shift] of [[1, 0], [0.01, 1000], [3, -2]]) {
      const x = Float32Array.from(uniform(numel(dims), 800 + li, -1, 1), (v) => v * scale + shift);
      const [simd, spec] = bothNormalize(x, dims, 1e-12);
      // Σd² has relative error ≤ SUM_TOL, so rstd ≤ SUM_TOL/2 + rounding, and y the same relative;
      // the mean is m₁ + Σd/n with |error| ≤ SUM_TOL·mean|d| ≤ SUM_TOL·σ, plus its rounding,
      // which is ≤ SUM_TOL absolute in y = (x − mean)·rstd
      within(simd.rstd, spec.rstd, (i) => (SUM_TOL / 2 + 2 * ULP) * spec.rstd[i], `rstd [${dims}] ${shift}±${scale}`);
      within(simd.mean, spec.mean, (i) => ULP * Math.abs(spec.mean[i]) + SUM_TOL / spec.rstd[i], `mean [${dims}] ${shift}±${scale}`);
      within(simd.y, spec.y, (i) => (SUM_TOL / 2 + 4 * ULP) * Math.abs(spec.y[i]) + SUM_TOL + 2 * ULP, `y [${dims}] ${shift}±${scale}`);
      // y has mean 0 and variance ≈ 1 in every group
      const n = B * D;
      const sq = groupAbsSums(simd.y, dims, (v) => v * v);
      for (let gi = 0; gi < A * C; gi++) assert.ok(Math.abs(sq[gi] / n - 1) < 1e-3 || n === 1, `Σy²/n = ${sq[gi] / n}`);
    }
  });
});

test('normalizeBackwardF32 = normalizeBackwardF32Scalar up to the summation bound', () => {
  NORM_LAYOUTS.forEach((dims, li) => {
    const [A, B, C, D] = dims;
    const n = numel(dims), G = A * C, m = B * D;
    const y = bothNormalize(uniform(n, 900 + li, -2, 2), dims, 1e-5)[0].y;
    const rstd = Float32Array.from(uniform(G, 950 + li, 0.5, 3));
    const g = uniform(n, 990 + li);
    const [simd, spec] = withMem([g, y, rstd, n, n], (pg, py, pr, o1, o2) => {
      k.fn.normalizeBackwardF32(pg, py, pr, o1, ...dims);
      k.fn.normalizeBackwardF32Scalar(pg, py, pr, o2, ...dims);
      return [readF32(o1, n), readF32(o2, n)];
    });
    const absG = groupAbsSums(g, dims), absGY = groupAbsSums(g, dims, (v, i) => Math.abs(v * y[i]));
    const group = (i: number) => Math.floor(i / (B * C * D)) * C + (Math.floor(i / D) % C);
    within(simd, spec, (i) => {
      const gi = group(i);
      const r = rstd[gi];
      // mean(g), mean(g·y) each off by ≤ SUM_TOL·mean|·| + rounding; then 3 roundings in (g − mg) − y·mgy and one in ·r
      return r * (SUM_TOL * (absG[gi] + Math.abs(y[i]) * absGY[gi]) / m + 4 * ULP * (Math.abs(g[i]) + absG[gi] / m + Math.abs(y[i]) * absGY[gi] / m)) + ULP * Math.abs(spec[i]);
    }, `normalize backward [${dims}]`);
  });
});

// ---- (b) the wasm backend against the js backend, through views ---------------------------------

/** The same data in both backends. */
function upload(data: Float32Array | Int32Array, dtype: 'float32' | 'int32' = 'float32'): [Storage, Storage] {
  return [wasm.upload(data, dtype), js.upload(data, dtype)];
}

interface Geometry { shape: number[]; strides: number[]; offset: number }
function rowMajor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}
const at = (s: Storage, g: Geometry): View => ({ storage: s, ...g });

/** Views over a base of BASE elements: contiguous, permuted, sliced, expanded, flipped. */
const BASE = [6, 7, 9, 11];
function geometries(): [string, Geometry][] {
  const cs = rowMajor(BASE);
  return [
    ['contiguous', { shape: BASE, strides: cs, offset: 0 }],
    ['permuted (0,3,2,1)', { shape: [6, 11, 9, 7], strides: [cs[0], cs[3], cs[2], cs[1]], offset: 0 }],
    ['sliced [1:5, :, 2:7, 3:]', { shape: [4, 7, 5, 8], strides: cs, offset: cs[0] + 2 * cs[2] + 3 }],
    ['expanded [6,1,9,11] → [6,7,9,11]', { shape: BASE, strides: [9 * 11, 0, 11, 1], offset: 0 }],
    ['flipped last dim', { shape: BASE, strides: [cs[0], cs[1], cs[2], -1], offset: 10 }],
  ];
}
const AXES = [[], [3], [2, 3], [1, 2, 3], [0, 1, 2, 3], [0], [1], [2], [0, 2, 3], [0, 3], [1, 3], [0, 2], [0, 1, 3]];

function readBoth(a: Storage, b: Storage): [ArrayLike<number>, ArrayLike<number>] {
  const r: [ArrayLike<number>, ArrayLike<number>] = [wasm.readSync(a), js.readSync(b)];
  wasm.free(a);
  js.free(b);
  return r;
}

test('reduce: wasm = js for sum/max/min/prod over every axis set and view', () => {
  const n = numel(BASE);
  const [ws, jsS] = upload(uniform(n, 11));
  const [wp, jp] = upload(uniform(n, 12, 0.98, 1.02));
  const [wa, ja] = upload(Float32Array.from(uniform(n, 11), Math.abs));
  for (const [name, geo] of geometries()) {
    for (const axes of AXES) {
      const abs = js.readSync(js.reduce('sum', at(ja, geo), axes));
      for (const op of ['sum', 'max', 'min', 'prod'] as const) {
        const [w, j] = op === 'prod' ? [wp, jp] : [ws, jsS];
        const [got, want] = readBoth(native('reduceF32', () => wasm.reduce(op, at(w, geo), axes)), js.reduce(op, at(j, geo), axes));
        const bound = (i: number) => (op === 'sum' ? SUM_TOL * abs[i] : 0) + 4e-6 * Math.abs(want[i]);
        within(got, want, bound, `${op} over [${axes}] of ${name}`);
      }
    }
  }
  for (const s of [ws, wp, wa]) wasm.free(s);
});

test('reduce: NaN wins max/min, ±∞ and empty axis sets; int32 sum/max/min natively', () => {
  const x = uniform(5 * 37, 21);
  x[40] = NaN; x[100] = Infinity; x[150] = -Infinity;
  const [w, j] = upload(x);
  for (const geo of [{ shape: [5, 37], strides: [37, 1], offset: 0 }, { shape: [37, 5], strides: [1, 37], offset: 0 }]) {
    for (const axes of [[0], [1], [0, 1]]) {
      for (const op of ['max', 'min', 'sum'] as const) {
        const [got, want] = readBoth(wasm.reduce(op, at(w, geo), axes), js.reduce(op, at(j, geo), axes));
        within(got, want, (i) => 1e-5 * Math.max(1, Math.abs(want[i])), `${op} [${axes}] of [${geo.shape}]`);
      }
    }
  }
  wasm.free(w);
  const r = rng(22);
  const ints = Int32Array.from({ length: numel(BASE) }, () => Math.floor(r() * 2001) - 1000);
  const [wi, ji] = upload(ints, 'int32');
  for (const [name, geo] of geometries()) {
    for (const axes of AXES) {
      for (const op of ['sum', 'max', 'min'] as const) {
        const out = native('reduceI32', () => wasm.reduce(op, at(wi, geo), axes));
        assert.is(out.dtype, 'int32');
        const [got, want] = readBoth(out, js.reduce(op, at(ji, geo), axes));
        assert.equal(Array.from(got), Array.from(want), `int32 ${op} over [${axes}] of ${name}`);
      }
    }
  }
  wasm.free(wi);
});

test('argReduce: wasm = js exactly for every axis and view, with ties and NaN', () => {
  const n = numel(BASE);
  const r = rng(31);
  const x = Float32Array.from({ length: n }, () => Math.floor(r() * 5));
  for (let i = 0; i < n; i += 97) x[i] = NaN;
  for (const data of [x, uniform(n, 32)]) {
    const [w, j] = upload(data);
    for (const [name, geo] of geometries()) {
      for (let axis = 0; axis < 4; axis++) {
        for (const op of ['argmax', 'argmin'] as const) {
          const [got, want] = readBoth(native('argReduceF32', () => wasm.argReduce(op, at(w, geo), axis)), js.argReduce(op, at(j, geo), axis));
          assert.equal(Array.from(got), Array.from(want), `${op} along ${axis} of ${name}`);
        }
      }
    }
    wasm.free(w);
  }
});

test('softmax and its backward: wasm = js along every axis and view (log too)', () => {
  const n = numel(BASE);
  const x = uniform(n, 41, -6, 6);
  x[17] = -Infinity;
  const [w, j] = upload(x);
  const [wg, jg] = upload(uniform(n, 42));
  for (const [name, geo] of geometries()) {
    for (let axis = 0; axis < 4; axis++) {
      for (const log of [false, true]) {
        const wy = native('softmaxF32', () => wasm.softmax(at(w, geo), axis, log));
        const jy = js.softmax(at(j, geo), axis, log);
        const [got, want] = [wasm.readSync(wy), js.readSync(jy)];
        within(got, want, (i) => 4e-6 * Math.max(1, Math.abs(want[i])), `${log ? 'log_' : ''}softmax along ${axis} of ${name}`);
        // backward from the contiguous outputs, with the gradient seen through the same view
        const yGeo = { shape: geo.shape, strides: rowMajor(geo.shape), offset: 0 };
        const [dw, dj] = readBoth(
          native('softmaxBackwardF32', () => wasm.softmaxBackward(at(wy, yGeo), at(wg, geo), axis, log)),
          js.softmaxBackward(at(jy, yGeo), at(jg, geo), axis, log),
        );
        within(dw, dj, (i) => 2e-5 * Math.max(1, Math.abs(dj[i])), `${log ? 'log_' : ''}softmax backward along ${axis} of ${name}`);
        wasm.free(wy);
        js.free(jy);
      }
    }
  }
  wasm.free(w);
  wasm.free(wg);
});

test('softmax: all −∞ rows give NaN, +∞ gives NaN, size-1 axes give 1 (or 0 for log)', () => {
  const x = Float32Array.from([-Infinity, -Infinity, -Infinity, 1, 2, Infinity, 3, 4, 5]);
  const [w, j] = upload(x);
  for (const geo of [{ shape: [3, 3], strides: [3, 1], offset: 0 }, { shape: [3, 3], strides: [1, 3], offset: 0 }, { shape: [9, 1], strides: [1, 1], offset: 0 }]) {
    for (const axis of [0, 1]) {
      for (const log of [false, true]) {
        const [got, want] = readBoth(wasm.softmax(at(w, geo), axis, log), js.softmax(at(j, geo), axis, log));
        within(got, want, () => 1e-6, `softmax along ${axis} of [${geo.shape}] strides [${geo.strides}]`);
      }
    }
  }
  wasm.free(w);
});

test('normalize and its backward: wasm = js for layer/group/instance/batch/channels-first norms and odd axis sets', () => {
  // [N, C, H, W] = [6, 7, 9, 11]; group norm sees its input as [N, G, C/G, H·W] (a reshape of the contiguous base)
  const cases: [string, Geometry, number[]][] = [];
  for (const [name, geo] of geometries()) {
    for (const axes of [[3], [2, 3], [1, 2, 3], [0, 2, 3], [1], [0], [0, 2], [1, 3], [0, 1, 2, 3]]) cases.push([name, geo, axes]);
  }
  cases.push(['group norm: [6, 3, 7, 33] (a [6,21,3,11] input in 3 groups)', { shape: [6, 3, 7, 33], strides: [693, 231, 33, 1], offset: 0 }, [2, 3]]);
  const n = numel(BASE);
  for (const [scale, shift] of [[1, 0], [0.01, 1000]]) {
    const [w, j] = upload(Float32Array.from(uniform(n, 51), (v) => v * scale + shift));
    const [wg, jg] = upload(uniform(n, 52));
    for (const [name, geo, axes] of cases) {
      const rw = native('normalizeF32', () => wasm.normalize(at(w, geo), axes, 1e-5));
      const rj = js.normalize(at(j, geo), axes, 1e-5);
      const what = `over [${axes}] of ${name}, ${shift}±${scale}`;
      // y to 4e-6 even at mean 1000 with spread 0.01 (a float32 two-pass without the split mean is off by ~3e-3)
      const [yw, yj] = [wasm.readSync(rw.y), js.readSync(rj.y)];
      within(yw, yj, (i) => 4e-6 * Math.max(1, Math.abs(yj[i])), `y ${what}`);
      const [mw, mj] = readBoth(rw.mean, rj.mean);
      within(mw, mj, (i) => 2 * ULP * Math.abs(mj[i]) + 1e-7, `mean ${what}`);
      const [sw, sj] = [wasm.readSync(rw.rstd), js.readSync(rj.rstd)];
      within(sw, sj, (i) => 4e-6 * sj[i], `rstd ${what}`);
      // backward with the gradient seen through the same view, y and rstd contiguous
      const keep = geo.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const yGeo = { shape: geo.shape, strides: rowMajor(geo.shape), offset: 0 };
      const rGeo = { shape: keep, strides: rowMajor(keep), offset: 0 };
      const [dw, dj] = readBoth(
        native('normalizeBackwardF32', () => wasm.normalizeBackward(at(wg, geo), at(rw.y, yGeo), at(rw.rstd, rGeo), axes)),
        js.normalizeBackward(at(jg, geo), at(rj.y, yGeo), at(rj.rstd, rGeo), axes),
      );
      // dx = rstd·(…): the errors of mean(g) and mean(g·y) (≈ SUM_TOL relative) are scaled by rstd
      const maxR = Math.max(1, ...Array.from(sj));
      within(dw, dj, (i) => 1e-5 * (Math.abs(dj[i]) + maxR), `dx ${what}`);
      wasm.free(rw.y); wasm.free(rw.rstd);
      js.free(rj.y); js.free(rj.rstd);
    }
    wasm.free(w);
    wasm.free(wg);
  }
});

// ---- (c) the binding's layouts and its native path -----------------------------------------------

test('layout4 merges dims into [A, B, C, D] and refuses what does not fit', () => {
  assert.equal(layout4([6, 7, 9, 11], [3]), [6 * 7 * 9, 1, 1, 11]);
  assert.equal(layout4([6, 7, 9, 11], [2, 3]), [42, 1, 1, 99]);
  assert.equal(layout4([6, 7, 9, 11], [0]), [1, 6, 693, 1]);
  assert.equal(layout4([8, 64, 32, 32], [0, 2, 3]), [1, 8, 64, 1024]);
  assert.equal(layout4([8, 64, 32, 32], [1]), [8, 64, 1024, 1]);
  assert.equal(layout4([6, 7, 9, 11], [1, 3]), [6, 7, 9, 11]);
  assert.equal(layout4([6, 1, 9, 11], [0, 1]), [1, 6, 99, 1]);
  assert.equal(layout4([6, 7, 9, 11], []), [6 * 7 * 9 * 11, 1, 1, 1]);
  assert.equal(layout4([], []), [1, 1, 1, 1]);
  assert.is(layout4([6, 7, 9, 11], [0, 2]), null);
});

test('float32 ops take the native kernels; float64 takes the reference path', () => {
  const geo = { shape: [4, 5], strides: [5, 1], offset: 0 };
  const s = wasm.upload(uniform(20, 61), 'float32');
  const before = Object.fromEntries(['reduceF32', 'argReduceF32', 'softmaxF32', 'normalizeF32'].map((n) => [n, count(n)]));
  wasm.free(wasm.reduce('sum', at(s, geo), [1]));
  wasm.free(wasm.argReduce('argmax', at(s, geo), 0));
  wasm.free(wasm.softmax(at(s, geo), 1, false));
  const r = wasm.normalize(at(s, geo), [1], 1e-5);
  for (const t of [r.y, r.mean, r.rstd]) wasm.free(t);
  for (const [name, c] of Object.entries(before)) assert.is(count(name), c + 1, name);
  wasm.free(s);
  // float64 goes to the reference (which throws on this spied backend)
  const d = wasm.upload([1, 2, 3], 'float64');
  assert.throws(() => wasm.reduce('sum', { storage: d, shape: [3], strides: [1], offset: 0 }, [0]), /fell back/);
  wasm.free(d);
});

test('no memory is leaked by the native paths (scratch rows, copies, moved layouts)', () => {
  const before = wasm.bytesInUse();
  const s = wasm.upload(uniform(numel(BASE), 71), 'float32');
  const [, geo] = geometries()[1];
  for (const axes of [[0, 2], [1], [3]]) {
    wasm.free(wasm.reduce('sum', at(s, geo), axes));
    const r = wasm.normalize(at(s, geo), axes, 1e-5);
    for (const t of [r.y, r.mean, r.rstd]) wasm.free(t);
  }
  wasm.free(wasm.softmax(at(s, geo), 1, true));
  wasm.free(s);
  assert.is(wasm.bytesInUse(), before);
  // the kernels' own scratch (heap.alloc inside wasm) is freed too: the same calls again do not grow memory
  const size = kernels.memory.buffer.byteLength;
  for (let i = 0; i < 20; i++) {
    const t = wasm.upload(uniform(numel(BASE), 72), 'float32');
    const r = wasm.normalize(at(t, { shape: BASE, strides: rowMajor(BASE), offset: 0 }), [1], 1e-5);
    for (const u of [r.y, r.mean, r.rstd, t]) wasm.free(u);
  }
  assert.is(kernels.memory.buffer.byteLength, size);
});

test.run();
