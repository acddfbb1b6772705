// The wasm convolution family (assembly/conv.ts, pool.ts, gather.ts, sample.ts and their
// bindings in src/backends/wasm/native/conv.ts), float32:
//   (a) each SIMD kernel equals its scalar specification twin on odd sizes that reach every
//       tail (bit for bit where both add the products of an output in the same order);
//   (b) the wasm backend equals the js reference backend on random inputs: non-contiguous,
//       offset and reversed views; strided, dilated, grouped, depthwise, padded and
//       non-square convolutions and both gradients; pools, im2col/col2im, gather/scatter-add
//       and grid_sample; the same RangeError for a bad index;
//   (c) the native kernels really run (a spy on be.k.fn), and float64 takes the js path.
// Tolerance for (b): 1e-4 · max(1, |ref|) (the js kernels sum in float64, wasm in float32).
// Both backends are built here, so this file checks the same things in every backend run.
// Run: node tools/run-tests.mjs wasm-conv
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Conv2dParams, Pool2dParams, Storage, View, WindowParams } from '../src/backends/backend.js';
import { JsBackend } from '../src/backends/js/index.js';
import { WasmBackend } from '../src/backends/wasm/index.js';
import { loadEmbeddedKernels, type WasmKernels } from '../src/backends/wasm/loader.js';
import { assertClose, numel } from './helpers/assert.js';

// ---- the two backends, and a spy on the wasm kernels ----------------------------------------------

const kernels = loadEmbeddedKernels();
const called: string[] = [];
const spied: WasmKernels = {
  ...kernels,
  fn: new Proxy(kernels.fn, {
    get(target, name) {
      if (typeof name === 'string') called.push(name);
      return target[name as string];
    },
  }),
};
const be = new WasmBackend(spied);
const js = new JsBackend();
const k = kernels.fn;

/** The kernel names `run` reached through be.k.fn. */
function spy(run: () => void): string[] {
  called.length = 0;
  run();
  return [...called];
}

// ---- inputs -----------------------------------------------------------------------------------------

let seed = 20240611;
/** Uniform in [-1, 1), from a fixed LCG (the file's own sequence). */
function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 31 - 1;
}
const randoms = (n: number) => Array.from({ length: n }, rand);

/** The same view on both backends: `data` uploaded as float32, seen with shape/strides/offset. */
interface Pair { w: View; j: View }
function pair(data: ArrayLike<number>, shape: number[], strides?: number[], offset = 0, dtype: 'float32' | 'float64' | 'int32' = 'float32'): Pair {
  strides ??= contiguousStrides(shape);
  return {
    w: { storage: be.upload(data, dtype), shape, strides, offset },
    j: { storage: js.upload(data, dtype), shape, strides, offset },
  };
}
function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let p = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = p; p *= shape[i]; }
  return s;
}

/** A contiguous random tensor of `shape`. */
const dense = (shape: number[]) => pair(randoms(numel(shape)), shape);

/**
 * A random [N,C,H,W] tensor laid out in memory as `layout` (a permutation of 0..3; e.g.
 * [0,2,3,1] is NHWC), with `pad` unused elements in front, and, when `flipW`, its W axis
 * reversed (negative stride): a view no kernel may assume contiguous.
 */
function strided(shape: number[], layout: number[], pad = 3, flipW = false): Pair {
  const memShape = layout.map((d) => shape[d]);
  const memStrides = contiguousStrides(memShape);
  const strides = new Array<number>(4);
  layout.forEach((d, i) => { strides[d] = memStrides[i]; });
  let offset = pad;
  if (flipW) { offset += (shape[3] - 1) * strides[3]; strides[3] = -strides[3]; }
  return pair(randoms(numel(shape) + pad), shape, strides, offset);
}

const readW = (s: Storage) => Array.from(be.readSync(s));
const readJ = (s: Storage) => Array.from(js.readSync(s));

/** wasm result ≈ js result (1e-4 · max(1, |ref|)); frees both. */
function same(w: Storage, j: Storage, what: string, tol = 1e-4): void {
  assertClose(readW(w), readJ(j), tol, what, { nonFinite: true });
  be.free(w);
  js.free(j);
}

const conv = (stride: number[], padding: number[], dilation: number[], groups: number): Conv2dParams => ({
  stride: [stride[0], stride[1]], padding: [padding[0], padding[1]], dilation: [dilation[0], dilation[1]], groups,
});
const outLen = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

// ---- (a) SIMD kernels against their scalar specifications ---------------------------------------------

/** A float32 buffer in the kernels' memory holding `values` (its address). */
function buffer(values: ArrayLike<number>): number {
  const p = kernels.alloc(Math.max(16, values.length * 4));
  kernels.f32(p, values.length).set(values);
  return p;
}
const floats = (p: number, n: number) => Array.from(kernels.f32(p, n));

function bitsEqual(a: number[], b: number[], what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) assert.unreachable(`${what}: element ${i}: SIMD ${a[i]} != scalar ${b[i]}`);
  }
}

test('(a) conv2dS1F32 equals conv2dS1F32Scalar bit for bit (channel and column tails, groups, dilation, strided views)', () => {
  // O not a multiple of 4, Wo not a multiple of 8 (and below 4), grouped, dilated, non-square
  const cases = [
    { N: 2, C: 3, H: 7, W: 11, O: 5, G: 1, kh: 3, kw: 3, ph: 1, pw: 1, dh: 1, dw: 1 },
    { N: 1, C: 6, H: 9, W: 13, O: 9, G: 3, kh: 3, kw: 2, ph: 2, pw: 0, dh: 2, dw: 3 },
    { N: 3, C: 4, H: 5, W: 3, O: 7, G: 1, kh: 1, kw: 1, ph: 0, pw: 0, dh: 1, dw: 1 },
    { N: 1, C: 8, H: 6, W: 19, O: 12, G: 2, kh: 5, kw: 5, ph: 2, pw: 3, dh: 1, dw: 1 },
    { N: 2, C: 2, H: 4, W: 2, O: 1, G: 1, kh: 2, kw: 1, ph: 0, pw: 1, dh: 1, dw: 1 },
  ];
  for (const { N, C, H, W, O, G, kh, kw, ph, pw, dh, dw } of cases) {
    const Cg = C / G, Og = O / G;
    const Ho = H + 2 * ph - dh * (kh - 1), Wo = W + 2 * pw - dw * (kw - 1);
    // x stored NHWC and read as NCHW; w contiguous
    const x = buffer(randoms(N * C * H * W)), w = buffer(randoms(O * Cg * kh * kw));
    const xs = [H * W * C, 1, W * C, C];
    const ws = [Og * Cg * kh * kw, Cg * kh * kw, kh * kw, kw, 1];
    const ySimd = buffer(new Array(N * O * Ho * Wo).fill(NaN)), yRef = buffer(new Array(N * O * Ho * Wo).fill(NaN));
    const geo = [N, C, H, W, O, G, kh, kw, ph, pw, dh, dw, Ho, Wo];
    k.conv2dS1F32(x, ...xs, w, ...ws, ySimd, ...geo);
    k.conv2dS1F32Scalar(x, ...xs, w, ...ws, yRef, ...geo);
    const what = `conv2dS1F32 N${N} C${C} ${H}x${W} O${O} G${G} k${kh}x${kw}`;
    bitsEqual(floats(ySimd, N * O * Ho * Wo), floats(yRef, N * O * Ho * Wo), what);
    for (const p of [x, w, ySimd, yRef]) kernels.free(p);
  }
});

test('(a) conv2dBackwardWeightS1F32 equals its scalar twin (to rounding: lanes are summed apart; channel, tap and column tails)', () => {
  // Og not a multiple of 4, K odd, Wo not a multiple of 4, grouped, dilated
  const cases = [
    { N: 2, C: 3, H: 7, W: 11, O: 5, G: 1, kh: 3, kw: 3, ph: 1, pw: 1, dh: 1, dw: 1 },
    { N: 1, C: 6, H: 9, W: 13, O: 9, G: 3, kh: 3, kw: 2, ph: 2, pw: 0, dh: 2, dw: 3 },
    { N: 3, C: 4, H: 5, W: 8, O: 8, G: 2, kh: 1, kw: 1, ph: 0, pw: 0, dh: 1, dw: 1 },
    { N: 1, C: 1, H: 4, W: 3, O: 2, G: 1, kh: 2, kw: 2, ph: 1, pw: 1, dh: 1, dw: 1 },
  ];
  for (const { N, C, H, W, O, G, kh, kw, ph, pw, dh, dw } of cases) {
    const Ho = H + 2 * ph - dh * (kh - 1), Wo = W + 2 * pw - dw * (kw - 1);
    const n = O * (C / G) * kh * kw;
    // x stored NHWC and read as NCHW
    const x = buffer(randoms(N * C * H * W)), g = buffer(randoms(N * O * Ho * Wo));
    const xs = [H * W * C, 1, W * C, C];
    const a = buffer(new Array(n).fill(NaN)), b = buffer(new Array(n).fill(NaN));
    const geo = [N, C, H, W, O, G, kh, kw, ph, pw, dh, dw, Ho, Wo];
    k.conv2dBackwardWeightS1F32(x, ...xs, g, a, ...geo);
    k.conv2dBackwardWeightS1F32Scalar(x, ...xs, g, b, ...geo);
    assertClose(floats(a, n), floats(b, n), 1e-5, `conv2d weight grad N${N} C${C} ${H}x${W} O${O} G${G} k${kh}x${kw}`);
    for (const p of [x, g, a, b]) kernels.free(p);
  }
});

test('(a) depthwise2dF32 equals depthwise2dF32Scalar bit for bit (3x3 unrolled, generic k, 8/4/scalar column tails, column stride 2, other strides)', () => {
  const cases = [
    { N: 2, C: 3, H: 6, W: 13, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1 }, // Wo = 13: 4+4+4+1
    { N: 1, C: 2, H: 9, W: 15, kh: 5, kw: 3, sh: 1, sw: 1, ph: 2, pw: 3, dh: 2, dw: 1 }, // generic: 8 + 4 + scalar
    { N: 1, C: 4, H: 7, W: 7, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1 },
    { N: 1, C: 1, H: 3, W: 2, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1 },
    { N: 2, C: 2, H: 8, W: 10, kh: 3, kw: 3, sh: 1, sw: 1, ph: 2, pw: 2, dh: 2, dw: 2 },
    // column stride 2 (shuffled even lanes): Wo = 7 and 9 leave tails; with dilation and non-square strides
    { N: 1, C: 3, H: 9, W: 14, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1 },
    { N: 2, C: 2, H: 8, W: 21, kh: 5, kw: 3, sh: 1, sw: 2, ph: 2, pw: 2, dh: 1, dw: 2 },
    { N: 1, C: 2, H: 9, W: 11, kh: 3, kw: 3, sh: 2, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1 },
    { N: 1, C: 2, H: 7, W: 13, kh: 2, kw: 3, sh: 3, sw: 3, ph: 1, pw: 1, dh: 1, dw: 1 }, // scalar path
  ];
  for (const { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw } of cases) {
    const Ho = outLen(H, kh, sh, ph, dh), Wo = outLen(W, kw, sw, pw, dw);
    const x = buffer(randoms(N * C * H * W)), w = buffer(randoms(C * kh * kw));
    const args = [N * C * H * W === 0 ? 0 : C * H * W, H * W, W, 1, w, kh * kw, kw, 1];
    const n = N * C * Ho * Wo;
    const ySimd = buffer(new Array(n).fill(NaN)), yRef = buffer(new Array(n).fill(NaN));
    const geo = [N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo];
    k.depthwise2dF32(x, ...args, ySimd, ...geo);
    k.depthwise2dF32Scalar(x, ...args, yRef, ...geo);
    bitsEqual(floats(ySimd, n), floats(yRef, n), `depthwise2dF32 ${H}x${W} k${kh}x${kw} s${sh} d${dh}`);
    for (const p of [x, w, ySimd, yRef]) kernels.free(p);
  }
});

test('(a) depthwise2dBackwardWeightF32 equals its scalar twin (to rounding: lanes are summed apart)', () => {
  const cases = [
    { N: 3, C: 2, H: 7, W: 13, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1 },
    { N: 1, C: 3, H: 9, W: 10, kh: 5, kw: 2, sh: 1, sw: 1, ph: 2, pw: 0, dh: 1, dw: 3 },
    { N: 2, C: 2, H: 8, W: 9, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1 },
    // the 3x3 kernel with its nine sums in registers: dilated, row stride 2, column tails
    { N: 2, C: 3, H: 10, W: 11, kh: 3, kw: 3, sh: 1, sw: 1, ph: 2, pw: 2, dh: 2, dw: 2 },
    { N: 1, C: 2, H: 9, W: 10, kh: 3, kw: 3, sh: 2, sw: 1, ph: 1, pw: 0, dh: 1, dw: 1 },
  ];
  for (const { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw } of cases) {
    const Ho = outLen(H, kh, sh, ph, dh), Wo = outLen(W, kw, sw, pw, dw);
    const x = buffer(randoms(N * C * H * W)), g = buffer(randoms(N * C * Ho * Wo));
    const a = buffer(new Array(C * kh * kw).fill(NaN)), b = buffer(new Array(C * kh * kw).fill(NaN));
    const geo = [N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo];
    k.depthwise2dBackwardWeightF32(x, C * H * W, H * W, W, 1, g, a, ...geo);
    k.depthwise2dBackwardWeightF32Scalar(x, C * H * W, H * W, W, 1, g, b, ...geo);
    assertClose(floats(a, C * kh * kw), floats(b, C * kh * kw), 1e-5, `depthwise weight grad ${H}x${W} k${kh}x${kw} s${sh}`);
    for (const p of [x, g, a, b]) kernels.free(p);
  }
});

test('(a) col2imF32 equals col2imF32Scalar bit for bit (vector runs with tails, stride 2, strided columns)', () => {
  const cases = [
    { N: 2, C: 3, H: 7, W: 13, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, transposed: false },
    { N: 1, C: 2, H: 9, W: 11, kh: 2, kw: 4, sh: 2, sw: 2, ph: 1, pw: 2, dh: 1, dw: 1, transposed: false },
    { N: 2, C: 2, H: 6, W: 10, kh: 3, kw: 3, sh: 1, sw: 1, ph: 2, pw: 2, dh: 2, dw: 2, transposed: true },
  ];
  for (const { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, transposed } of cases) {
    const Ho = outLen(H, kh, sh, ph, dh), Wo = outLen(W, kw, sw, pw, dw);
    const K = C * kh * kw, L = Ho * Wo;
    const cols = buffer(randoms(N * K * L));
    // [N, K, L], or the same numbers read as the transpose of a [N, L, K] buffer
    const cs = transposed ? [K * L, 1, K] : [K * L, L, 1];
    const a = buffer(new Array(N * C * H * W).fill(NaN)), b = buffer(new Array(N * C * H * W).fill(NaN));
    const geo = [N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo];
    k.col2imF32(cols, ...cs, a, ...geo);
    k.col2imF32Scalar(cols, ...cs, b, ...geo);
    bitsEqual(floats(a, N * C * H * W), floats(b, N * C * H * W), `col2im ${H}x${W} k${kh}x${kw} s${sh}`);
    for (const p of [cols, a, b]) kernels.free(p);
  }
});

test('(a) sumPartsF32 adds the parts elementwise (vector body and tail)', () => {
  const n = 11, P = 3;
  const src = randoms(P * n);
  const s = buffer(src), out = buffer(new Array(n).fill(NaN));
  k.sumPartsF32(s, n, P, out, n);
  const f = Math.fround;
  // the sums in float32, in part order
  const want = Array.from({ length: n }, (_, i) => f(f(f(src[i]) + f(src[n + i])) + f(src[2 * n + i])));
  bitsEqual(floats(out, n), want, 'sumPartsF32');
  kernels.free(s);
  kernels.free(out);
});

// ---- (b) the wasm backend against the js backend ----------------------------------------------------

interface ConvCase {
  name: string;
  x: number[]; // N, C, H, W
  O: number;
  k: [number, number];
  p: Conv2dParams;
  layout?: number[];
  flipW?: boolean;
}

const convCases: ConvCase[] = [
  { name: 'dense 3x3 pad 1', x: [2, 5, 9, 11], O: 6, k: [3, 3], p: conv([1, 1], [1, 1], [1, 1], 1) },
  { name: 'dense 1x1', x: [2, 7, 5, 6], O: 9, k: [1, 1], p: conv([1, 1], [0, 0], [1, 1], 1) },
  { name: '1x1 stride 2', x: [1, 4, 7, 9], O: 3, k: [1, 1], p: conv([2, 2], [0, 0], [1, 1], 1) },
  { name: 'strided 3x3 s2 pad 1, NHWC view', x: [2, 4, 9, 10], O: 5, k: [3, 3], p: conv([2, 2], [1, 1], [1, 1], 1), layout: [0, 2, 3, 1] },
  { name: 'non-square stride (2,3), kernel 2x4', x: [1, 3, 11, 13], O: 4, k: [2, 4], p: conv([2, 3], [1, 2], [1, 1], 1) },
  { name: 'dilated 3x3 d2 pad 2', x: [2, 3, 10, 9], O: 4, k: [3, 3], p: conv([1, 1], [2, 2], [2, 2], 1) },
  { name: 'dilated (3,1) non-square kernel 3x1, reversed W', x: [1, 4, 12, 7], O: 5, k: [3, 1], p: conv([1, 1], [3, 0], [3, 1], 1), flipW: true },
  { name: 'grouped G=2', x: [2, 6, 8, 9], O: 4, k: [3, 3], p: conv([1, 1], [1, 1], [1, 1], 2) },
  { name: 'grouped G=3 strided, CHWN view', x: [2, 6, 9, 8], O: 9, k: [3, 2], p: conv([2, 1], [1, 1], [1, 2], 3), layout: [1, 2, 3, 0] },
  { name: 'depthwise 3x3', x: [2, 5, 9, 13], O: 5, k: [3, 3], p: conv([1, 1], [1, 1], [1, 1], 5) },
  { name: 'depthwise 5x5 d2 pad 4, NHWC', x: [1, 4, 12, 14], O: 4, k: [5, 5], p: conv([1, 1], [4, 4], [2, 2], 4), layout: [0, 2, 3, 1] },
  { name: 'depthwise 3x3 stride 2', x: [2, 3, 11, 10], O: 3, k: [3, 3], p: conv([2, 2], [1, 1], [1, 1], 3) },
  { name: 'depthwise 3x5 stride (1,2) dilation 2, reversed W', x: [1, 3, 9, 17], O: 3, k: [3, 5], p: conv([1, 2], [2, 3], [2, 2], 3), flipW: true },
  { name: 'depthwise padding > extent (cropping adjoint)', x: [1, 2, 6, 7], O: 2, k: [3, 3], p: conv([1, 1], [3, 3], [1, 1], 2) },
  { name: 'channel multiplier 2 (grouped, not depthwise)', x: [1, 3, 7, 8], O: 6, k: [3, 3], p: conv([1, 1], [1, 1], [1, 1], 3) },
  { name: 'padding only on H, no padding on W, 1 row out', x: [2, 3, 3, 8], O: 2, k: [3, 3], p: conv([1, 1], [0, 0], [1, 1], 1) },
  { name: 'dense padding larger than the kernel', x: [1, 2, 5, 4], O: 3, k: [2, 2], p: conv([1, 1], [3, 2], [1, 1], 1) },
];

for (const c of convCases) {
  test(`(b) conv2d forward, input and weight gradients equal js: ${c.name}`, () => {
    const [N, C, H, W] = c.x;
    const [kh, kw] = c.k;
    const { p } = c;
    const Ho = outLen(H, kh, p.stride[0], p.padding[0], p.dilation[0]), Wo = outLen(W, kw, p.stride[1], p.padding[1], p.dilation[1]);
    const x = c.layout || c.flipW ? strided(c.x, c.layout ?? [0, 1, 2, 3], 3, c.flipW) : dense(c.x);
    const wShape = [c.O, C / p.groups, kh, kw];
    const w = dense(wShape);
    same(be.conv2d(x.w, w.w, p), js.conv2d(x.j, w.j, p), `${c.name}: forward`);
    // the output gradient as a non-contiguous view (stored NHWC)
    const g = strided([N, c.O, Ho, Wo], [0, 2, 3, 1], 1);
    same(be.conv2dBackwardInput(g.w, w.w, c.x, p), js.conv2dBackwardInput(g.j, w.j, c.x, p), `${c.name}: input gradient`);
    same(be.conv2dBackwardWeight(x.w, g.w, wShape, p), js.conv2dBackwardWeight(x.j, g.j, wShape, p), `${c.name}: weight gradient`);
  });
}

test('(b) conv2d through the weight view: a transposed (O <-> C) weight and an offset', () => {
  const p = conv([1, 1], [1, 1], [1, 1], 1);
  const x = dense([1, 4, 6, 7]);
  // a [4(C), 3(O), 3, 3] buffer read as [O=3, C=4, 3, 3], after 5 unused elements
  const w = pair(randoms(5 + 4 * 3 * 9), [3, 4, 3, 3], [9, 27, 3, 1], 5);
  same(be.conv2d(x.w, w.w, p), js.conv2d(x.j, w.j, p), 'forward');
  const g = dense([1, 3, 6, 7]);
  same(be.conv2dBackwardInput(g.w, w.w, [1, 4, 6, 7], p), js.conv2dBackwardInput(g.j, w.j, [1, 4, 6, 7], p), 'input gradient');
});

test('(b) im2col and col2im equal js (strided views, dilation, stride)', () => {
  const cases: [number[], WindowParams][] = [
    [[2, 3, 7, 9], { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] }],
    [[1, 2, 10, 11], { kernel: [2, 3], stride: [2, 3], padding: [1, 0], dilation: [2, 1] }],
    [[1, 2, 4, 5], { kernel: [3, 3], stride: [1, 1], padding: [4, 4], dilation: [1, 1] }],
  ];
  for (const [shape, p] of cases) {
    const x = strided(shape, [0, 2, 3, 1], 2, true);
    same(be.im2col(x.w, p), js.im2col(x.j, p), `im2col ${shape}`);
    const [N, C, H, W] = shape;
    const L = outLen(H, p.kernel[0], p.stride[0], p.padding[0], p.dilation[0]) * outLen(W, p.kernel[1], p.stride[1], p.padding[1], p.dilation[1]);
    const K = C * p.kernel[0] * p.kernel[1];
    const cols = dense([N, K, L]);
    same(be.col2im(cols.w, [H, W], p), js.col2im(cols.j, [H, W], p), `col2im ${shape}`);
    // a transposed column view: [N, L, K] memory read as [N, K, L]
    const colsT = pair(randoms(N * K * L), [N, K, L], [K * L, 1, K]);
    same(be.col2im(colsT.w, [H, W], p), js.col2im(colsT.j, [H, W], p), `col2im transposed view ${shape}`);
  }
});

const pool = (kernel: number[], stride: number[], padding: number[], dilation: number[], outSize: number[], countIncludePad = true, divisorOverride?: number): Pool2dParams => ({
  kernel: [kernel[0], kernel[1]], stride: [stride[0], stride[1]], padding: [padding[0], padding[1]], dilation: [dilation[0], dilation[1]],
  outSize: [outSize[0], outSize[1]], countIncludePad, divisorOverride,
});

test('(b) avg and max pooling equal js (padding, ceil-mode overhang, divisor options, dilation, views)', () => {
  const shape = [2, 3, 9, 11];
  const cases: Pool2dParams[] = [
    pool([2, 2], [2, 2], [0, 0], [1, 1], [4, 5]),
    pool([3, 3], [2, 2], [1, 1], [1, 1], [5, 6], false),
    pool([3, 2], [2, 3], [1, 1], [1, 1], [6, 5], true), // ceil mode: the last windows hang past the padding
    pool([3, 3], [1, 1], [1, 1], [1, 1], [9, 11], true, 7),
    pool([3, 3], [2, 1], [1, 0], [2, 2], [4, 7]),
  ];
  for (const p of cases) {
    const x = strided(shape, [0, 2, 3, 1], 1, true);
    const what = JSON.stringify(p);
    same(be.avgPool2d(x.w, p), js.avgPool2d(x.j, p), `avg ${what}`);
    const g = strided([2, 3, ...p.outSize], [0, 2, 3, 1], 2);
    same(be.avgPool2dBackward(g.w, shape, p), js.avgPool2dBackward(g.j, shape, p), `avg backward ${what}`);
    const mw = be.maxPool2d(x.w, p), mj = js.maxPool2d(x.j, p);
    same(mw.values, mj.values, `max ${what}`);
    assert.equal(readW(mw.indices), readJ(mj.indices), `max indices ${what}`);
    be.free(mw.indices); js.free(mj.indices);
  }
});

test('(b) max pooling: ties take the first maximum, NaN wins, an all -inf window points at its first tap', () => {
  const data = [1, 1, 0, 2, NaN, 2, -Infinity, -Infinity, 3, 3, NaN, NaN, -Infinity, -Infinity, -Infinity, -Infinity];
  const x = pair(data, [1, 1, 4, 4]);
  for (const p of [pool([2, 2], [2, 2], [0, 0], [1, 1], [2, 2]), pool([3, 3], [1, 1], [1, 1], [1, 1], [4, 4])]) {
    const mw = be.maxPool2d(x.w, p), mj = js.maxPool2d(x.j, p);
    same(mw.values, mj.values, 'values');
    assert.equal(readW(mw.indices), readJ(mj.indices), 'indices');
    be.free(mw.indices); js.free(mj.indices);
  }
});

test('(b) adaptive avg and max pooling equal js (uneven bins, upsampling bins, views)', () => {
  const shape = [2, 3, 7, 10];
  for (const out of [[1, 1], [3, 4], [7, 10], [9, 13], [2, 7]] as [number, number][]) {
    const x = strided(shape, [0, 2, 3, 1], 1, true);
    same(be.adaptiveAvgPool2d(x.w, out), js.adaptiveAvgPool2d(x.j, out), `adaptive avg ${out}`);
    const g = strided([2, 3, ...out], [0, 2, 3, 1], 1);
    same(be.adaptiveAvgPool2dBackward(g.w, shape), js.adaptiveAvgPool2dBackward(g.j, shape), `adaptive avg backward ${out}`);
    const mw = be.adaptiveMaxPool2d(x.w, out), mj = js.adaptiveMaxPool2d(x.j, out);
    same(mw.values, mj.values, `adaptive max ${out}`);
    assert.equal(readW(mw.indices), readJ(mj.indices), `adaptive max indices ${out}`);
    be.free(mw.indices); js.free(mj.indices);
  }
  // global average pooling on contiguous rows (the SIMD path): whole planes, and rows with gaps between them
  const planes = dense(shape);
  same(be.adaptiveAvgPool2d(planes.w, [1, 1]), js.adaptiveAvgPool2d(planes.j, [1, 1]), 'global avg, contiguous');
  const gaps = pair(randoms(2 * 3 * 7 * 13 + 1), shape, [3 * 7 * 13, 7 * 13, 13, 1], 1);
  same(be.adaptiveAvgPool2d(gaps.w, [1, 1]), js.adaptiveAvgPool2d(gaps.j, [1, 1]), 'global avg, rows with gaps');
});

test('(b) gather and scatterAdd equal js along every axis (views, duplicates, int32 data)', () => {
  const xShape = [3, 4, 5];
  for (let axis = 0; axis < 3; axis++) {
    const iShape = [2, 3, 4];
    iShape[axis] = 6;
    const idx = Array.from({ length: numel(iShape) }, () => Math.floor(((rand() + 1) / 2) * xShape[axis]));
    const index = pair(idx, iShape, undefined, 0, 'int32');
    // x as a permuted view: memory [5, 4, 3] read as [3, 4, 5]
    const x = pair(randoms(60), xShape, [1, 3, 12]);
    same(be.gather(x.w, axis, index.w), js.gather(x.j, axis, index.j), `gather axis ${axis}`);
    const xi = pair(Array.from({ length: 60 }, (_, i) => i * 7 - 100), xShape, [1, 3, 12], 0, 'int32');
    same(be.gather(xi.w, axis, index.w), js.gather(xi.j, axis, index.j), `gather int32 axis ${axis}`);
    // src bigger than the index, read through a view; the index as a reversed view
    const src = pair(randoms(numel(iShape) + 1), iShape, undefined, 1);
    const rev = pair([...idx].reverse(), iShape, contiguousStrides(iShape).map((s, i) => (i === 2 ? -s : s)), iShape[2] - 1, 'int32');
    same(be.scatterAdd(xShape, axis, rev.w, src.w), js.scatterAdd(xShape, axis, rev.j, src.j), `scatterAdd axis ${axis}`);
  }
});

test('(b) gather and scatterAdd throw the js RangeError before writing anything', () => {
  const x = dense([3, 4]);
  for (const bad of [-1, 4, 99]) {
    const index = pair([0, 1, bad, 2, 3, 0], [3, 2], undefined, 0, 'int32');
    const message = (run: () => unknown): string => {
      try { run(); } catch (e) { assert.ok(e instanceof RangeError, `${String(e)} is not a RangeError`); return (e as Error).message; }
      return assert.unreachable('no error') as never;
    };
    const before = be.bytesInUse();
    assert.is(message(() => be.gather(x.w, 1, index.w)), message(() => js.gather(x.j, 1, index.j)));
    assert.is(message(() => be.scatterAdd([3, 4], 1, index.w, x.w)), message(() => js.scatterAdd([3, 4], 1, index.j, x.j)));
    assert.is(be.bytesInUse(), before, 'nothing allocated is left behind');
  }
});

test('(b) grid_sample and its backward equal js (both alignments, points outside, views)', () => {
  const [N, C, H, W, Ho, Wo] = [2, 3, 5, 7, 4, 6];
  for (const align of [false, true]) {
    const x = strided([N, C, H, W], [0, 2, 3, 1], 1);
    // grid values in [-1.3, 1.3] so some taps fall outside; one NaN point
    const gvals = randoms(N * Ho * Wo * 2).map((v) => v * 1.3);
    gvals[5] = NaN;
    const grid = pair(gvals, [N, Ho, Wo, 2]);
    same(be.gridSample(x.w, grid.w, align), js.gridSample(x.j, grid.j, align), `gridSample align=${align}`);
    const g = strided([N, C, Ho, Wo], [0, 2, 3, 1], 1);
    const rw = be.gridSampleBackward(g.w, x.w, grid.w, align), rj = js.gridSampleBackward(g.j, x.j, grid.j, align);
    same(rw.dx, rj.dx, `dx align=${align}`);
    same(rw.dgrid, rj.dgrid, `dgrid align=${align}`);
  }
});

test('(b) outputs of every native path are fresh storages: no bytes are left behind', () => {
  const before = be.bytesInUse();
  const x = dense([2, 4, 8, 8]), w = dense([4, 4, 3, 3]), dw = dense([4, 1, 3, 3]);
  for (const p of [conv([1, 1], [1, 1], [1, 1], 1), conv([2, 2], [1, 1], [1, 1], 1)]) {
    be.free(be.conv2d(x.w, w.w, p));
    const Ho = outLen(8, 3, p.stride[0], 1, 1);
    const g = dense([2, 4, Ho, Ho]);
    be.free(be.conv2dBackwardInput(g.w, w.w, [2, 4, 8, 8], p));
    be.free(be.conv2dBackwardWeight(x.w, g.w, [4, 4, 3, 3], p));
    be.free(be.conv2dBackwardWeight(x.w, g.w, [4, 1, 3, 3], { ...p, groups: 4 }));
    be.free(g.w.storage);
  }
  be.free(be.conv2d(x.w, dw.w, conv([1, 1], [1, 1], [1, 1], 4)));
  for (const v of [x, w, dw]) be.free(v.w.storage);
  assert.is(be.bytesInUse(), before);
});

// ---- (c) the native path is taken ----------------------------------------------------------------------

test('(c) each op reaches its native kernel; float64 reaches none', () => {
  const x = dense([1, 4, 8, 8]), w = dense([4, 4, 3, 3]), wd = dense([4, 1, 3, 3]);
  const s1 = conv([1, 1], [1, 1], [1, 1], 1), s2 = conv([2, 2], [1, 1], [1, 1], 1), dwp = conv([1, 1], [1, 1], [1, 1], 4);
  const g8 = dense([1, 4, 8, 8]), g4 = dense([1, 4, 4, 4]);
  const expect = (names: string[], want: string[], what: string) => {
    for (const n of want) assert.ok(names.includes(n), `${what}: ${n} not called (called: ${names.join(', ') || 'nothing'})`);
  };
  const keep: Storage[] = [];
  const run = (f: () => Storage) => () => { keep.push(f()); };
  expect(spy(run(() => be.conv2d(x.w, w.w, s1))), ['conv2dS1F32'], 'dense stride 1');
  expect(spy(run(() => be.conv2d(x.w, w.w, s2))), ['im2colF32', 'matmulF32'], 'dense stride 2 (im2col + be.matmul)');
  expect(spy(run(() => be.conv2d(x.w, wd.w, dwp))), ['depthwise2dF32'], 'depthwise');
  expect(spy(run(() => be.conv2dBackwardInput(g8.w, w.w, [1, 4, 8, 8], s1))), ['conv2dS1F32'], 'input gradient stride 1');
  expect(spy(run(() => be.conv2dBackwardInput(g4.w, w.w, [1, 4, 8, 8], s2))), ['col2imF32'], 'input gradient stride 2');
  expect(spy(run(() => be.conv2dBackwardInput(g8.w, wd.w, [1, 4, 8, 8], dwp))), ['depthwise2dF32'], 'depthwise input gradient');
  expect(spy(run(() => be.conv2dBackwardInput(g4.w, wd.w, [1, 4, 8, 8], { ...s2, groups: 4 }))), ['depthwise2dBackwardInputF32'], 'depthwise input gradient stride 2');
  expect(spy(run(() => be.conv2dBackwardWeight(x.w, g8.w, [4, 4, 3, 3], s1))), ['conv2dBackwardWeightS1F32'], 'weight gradient stride 1');
  expect(spy(run(() => be.conv2dBackwardWeight(x.w, g4.w, [4, 4, 3, 3], s2))), ['im2colF32', 'matmulF32'], 'weight gradient stride 2 (im2col + be.matmul)');
  expect(spy(run(() => be.conv2dBackwardWeight(x.w, g8.w, [4, 1, 3, 3], dwp))), ['depthwise2dBackwardWeightF32'], 'depthwise weight gradient');
  const pp = pool([2, 2], [2, 2], [0, 0], [1, 1], [4, 4]);
  expect(spy(run(() => be.avgPool2d(x.w, pp))), ['avgPool2dF32'], 'avg pool');
  expect(spy(run(() => be.avgPool2dBackward(g4.w, [1, 4, 8, 8], pp))), ['avgPool2dBackwardF32'], 'avg pool backward');
  expect(spy(run(() => be.maxPool2d(x.w, pp).values)), ['maxPool2dF32'], 'max pool');
  expect(spy(run(() => be.adaptiveAvgPool2d(x.w, [3, 3]))), ['adaptiveAvgPool2dF32'], 'adaptive avg');
  expect(spy(run(() => be.adaptiveAvgPool2dBackward(g4.w, [1, 4, 8, 8]))), ['adaptiveAvgPool2dBackwardF32'], 'adaptive avg backward');
  expect(spy(run(() => be.adaptiveMaxPool2d(x.w, [3, 3]).values)), ['adaptiveMaxPool2dF32'], 'adaptive max');
  const wp: WindowParams = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] };
  expect(spy(run(() => be.im2col(x.w, wp))), ['im2colF32'], 'im2col');
  const cols = dense([1, 36, 64]);
  expect(spy(run(() => be.col2im(cols.w, [8, 8], wp))), ['col2imF32'], 'col2im');
  const index = pair([0, 3, 1, 2], [1, 4], undefined, 0, 'int32');
  const x2 = dense([2, 4]);
  expect(spy(run(() => be.gather(x2.w, 1, index.w))), ['firstBadIndexI32', 'gather32'], 'gather');
  expect(spy(run(() => be.scatterAdd([2, 4], 1, index.w, x2.w))), ['firstBadIndexI32', 'scatterAddF32'], 'scatterAdd');
  const grid = dense([1, 3, 3, 2]);
  expect(spy(run(() => be.gridSample(x.w, grid.w, false))), ['gridSampleF32'], 'grid sample');
  expect(spy(() => { const r = be.gridSampleBackward(dense([1, 4, 3, 3]).w, x.w, grid.w, false); keep.push(r.dx, r.dgrid); }), ['gridSampleBackwardF32'], 'grid sample backward');

  // float64 goes to the js reference: none of this family's kernels run
  const mine = /conv2d|depthwise|im2col|col2im|Pool2d|gather32|scatterAdd|gridSample/;
  const x64 = pair(randoms(256), [1, 4, 8, 8], undefined, 0, 'float64'), w64 = pair(randoms(144), [4, 4, 3, 3], undefined, 0, 'float64');
  const names = spy(run(() => be.conv2d(x64.w, w64.w, s1)));
  assert.ok(!names.some((n) => mine.test(n)), `float64 conv2d called ${names.join(', ')}`);
  const out64 = keep[keep.length - 1];
  assertClose(readW(out64), readJ(js.conv2d(x64.j, w64.j, s1)), 1e-12, 'float64 conv2d via js');
  for (const s of keep) be.free(s);
});

test.run();
