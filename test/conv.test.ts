// conv1d, conv2d and conv_transpose2d: forward values against hand computations and a naive
// reference written here with plain JS arrays (never the code under test), float64 gradchecks
// of the input, weight and bias gradients in every configuration, and the error messages.
// conv_transpose2d is checked against its definition as the adjoint of conv2d:
// <convT(x), y> == <x, conv(y)> with the same weight, and against a direct scatter reference.
// Run: node tools/run-tests.mjs conv
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { F, getBackend, tensor, type Tensor, type View } from '../src/index.js';
import { assertGradcheck, numel, seededInputs, throwsWith } from './helpers/assert.js';

// ---- plain-array helpers ------------------------------------------------------------------------

const { uniformValues } = seededInputs(100);
/** n values uniform in [-1, 1], from the next generator of this file's sequence. */
const values = (n: number): number[] => uniformValues(n, { lo: -1, hi: 1 });

interface Arr { data: number[]; shape: number[] }
const rand = (shape: number[]): Arr => ({ data: values(numel(shape)), shape });

const f64 = (a: Arr, requiresGrad = false) => tensor(Float64Array.from(a.data), a.shape, { requiresGrad });
const f32 = (a: Arr) => tensor(Float32Array.from(a.data), a.shape);

/** max|actual − expected| ≤ tol (an absolute bound, unlike the relative helpers/assert.ts assertClose). */
function assertCloseAbs(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]);
    if (!(e <= worst)) { worst = e; at = i; }
  }
  assert.ok(worst <= tol, `${what}: element ${at} is ${actual[at]}, expected ${expected[at]} (error ${worst} > ${tol})`);
}

interface Geometry {
  stride: [number, number];
  /** zero padding at the top/left and at the bottom/right */
  lo: [number, number];
  hi: [number, number];
  dilation: [number, number];
  groups: number;
}

/**
 * The naive reference, straight from the formula:
 *   y[n,o,i,j] = bias[o] + Σ_{c,a,b} xpad[n, g·Cg + c, i·sh + a·dh, j·sw + b·dw] · w[o,c,a,b]
 * where xpad is x with lo/hi zero rows and columns around it.
 */
function refConv2d(x: Arr, w: Arr, bias: number[] | null, geo: Geometry): Arr {
  const [N, C, H, W] = x.shape;
  const [O, Cg, kh, kw] = w.shape;
  const { stride: [sh, sw], lo: [ph, pw], hi: [qh, qw], dilation: [dh, dw], groups } = geo;
  const Ho = Math.floor((H + ph + qh - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + pw + qw - dw * (kw - 1) - 1) / sw) + 1;
  const Og = O / groups;
  const xAt = (n: number, c: number, h: number, v: number) =>
    h < 0 || h >= H || v < 0 || v >= W ? 0 : x.data[((n * C + c) * H + h) * W + v];
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    const g = Math.floor(o / Og);
    let s = bias ? bias[o] : 0;
    for (let c = 0; c < Cg; c++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
      s += xAt(n, g * Cg + c, i * sh - ph + a * dh, j * sw - pw + b * dw) * w.data[((o * Cg + c) * kh + a) * kw + b];
    }
    out.push(s);
  }
  return { data: out, shape: [N, O, Ho, Wo] };
}

interface TGeometry { stride: [number, number]; padding: [number, number]; outputPadding: [number, number]; dilation: [number, number]; groups: number }

/**
 * conv_transpose2d by its scatter definition: every input value x[n,ci,i,j] adds x·w[ci,co,a,b]
 * to out[n, g·Cog + co, i·sh − ph + a·dh, j·sw − pw + b·dw] (dropped when outside the output).
 */
function refConvT2d(x: Arr, w: Arr, bias: number[] | null, geo: TGeometry): Arr {
  const [N, Cin, H, W] = x.shape;
  const [, Cog, kh, kw] = w.shape;
  const { stride: [sh, sw], padding: [ph, pw], outputPadding: [oh, ow], dilation: [dh, dw], groups } = geo;
  const Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1;
  const Wo = (W - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1;
  const O = Cog * groups, Cig = Cin / groups;
  const out = new Array<number>(N * O * Ho * Wo).fill(0);
  for (let n = 0; n < N; n++) for (let ci = 0; ci < Cin; ci++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    const g = Math.floor(ci / Cig);
    for (let co = 0; co < Cog; co++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
      const oi = i * sh - ph + a * dh, oj = j * sw - pw + b * dw;
      if (oi < 0 || oi >= Ho || oj < 0 || oj >= Wo) continue;
      out[((n * O + g * Cog + co) * Ho + oi) * Wo + oj] += x.data[((n * Cin + ci) * H + i) * W + j] * w.data[((ci * Cog + co) * kh + a) * kw + b];
    }
  }
  if (bias) for (let k = 0; k < out.length; k++) out[k] += bias[Math.floor(k / (Ho * Wo)) % O];
  return { data: out, shape: [N, O, Ho, Wo] };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

// ---- hand-computed values ---------------------------------------------------------------------------

test('conv2d by hand: 2x2 kernel [[1,0],[0,-1]] on 1..9, with bias and with padding 1', () => {
  const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
  const w = tensor([1, 0, 0, -1], [1, 1, 2, 2]);
  // y[i][j] = x[i][j] − x[i+1][j+1] = −4 everywhere, + bias 0.5
  assert.equal(F.conv2d(x, w, tensor([0.5])).arraySync(), [[[[-3.5, -3.5], [-3.5, -3.5]]]]);
  // with a ring of zeros: corners see one value, the rest a difference
  assert.equal(F.conv2d(x, w, null, { padding: 1 }).arraySync(), [[[
    [-1, -2, -3, 0],
    [-4, -4, -4, 3],
    [-7, -4, -4, 6],
    [0, 7, 8, 9],
  ]]]);
});

test('conv2d by hand: stride 2, dilation 2, two groups', () => {
  const x = tensor([...Array(25).keys()], [1, 1, 5, 5]); // x[i][j] = 5i + j
  const ones = tensor([1, 1, 1, 1], [1, 1, 2, 2]);
  // stride 2: sums of the 2x2 blocks at (0,0), (0,2), (2,0), (2,2)
  assert.equal(F.conv2d(x, ones, null, { stride: 2 }).arraySync(), [[[[12, 20], [52, 60]]]]);
  // dilation 2: x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2] = 4(5i + j) + 24
  assert.equal(F.conv2d(x, ones, null, { dilation: 2 }).arraySync(), [[[[24, 28, 32], [44, 48, 52], [64, 68, 72]]]]);
  // groups=2: channel 0 scaled by 2, channel 1 by −1, no mixing
  const x2 = tensor([1, 2, 3, 4], [1, 2, 1, 2]);
  assert.equal(F.conv2d(x2, tensor([2, -1], [2, 1, 1, 1]), null, { groups: 2 }).arraySync(), [[[[2, 4]], [[-3, -4]]]]);
});

test("conv2d by hand: padding='same' with a 2x2 kernel pads one zero at the bottom/right only", () => {
  const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
  const ones = tensor([1, 1, 1, 1], [1, 1, 2, 2]);
  // total padding 1 per dim: left 0, right 1 (PyTorch's split)
  assert.equal(F.conv2d(x, ones, null, { padding: 'same' }).arraySync(), [[[[10, 6], [7, 4]]]]);
});

test('conv_transpose2d by hand: stride 2 with a 2x2 ones kernel spreads each value over a block', () => {
  const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
  const ones = tensor([1, 1, 1, 1], [1, 1, 2, 2]);
  assert.equal(F.convTranspose2d(x, ones, null, { stride: 2 }).arraySync(), [[[
    [1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4],
  ]]]);
  // stride 1: the overlapping blocks add up (the full correlation)
  assert.equal(F.convTranspose2d(x, ones).arraySync(), [[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]]);
});

// ---- conv2d: naive reference + gradcheck in every configuration ------------------------------------

interface Conv2dCase {
  name: string;
  x: number[];
  w: number[];
  bias?: boolean;
  opts: F.ConvOptions;
  geo: Geometry;
}

const g1 = (over: Partial<Geometry> = {}): Geometry => ({ stride: [1, 1], lo: [0, 0], hi: [0, 0], dilation: [1, 1], groups: 1, ...over });

const conv2dCases: Conv2dCase[] = [
  { name: '1x1', x: [2, 4, 5, 6], w: [3, 4, 1, 1], bias: true, opts: {}, geo: g1() },
  { name: '3x3 padding 1', x: [2, 4, 5, 6], w: [3, 4, 3, 3], bias: true, opts: { padding: 1 }, geo: g1({ lo: [1, 1], hi: [1, 1] }) },
  { name: 'stride 2 padding 1', x: [2, 3, 5, 6], w: [3, 3, 3, 3], bias: true, opts: { stride: 2, padding: 1 }, geo: g1({ stride: [2, 2], lo: [1, 1], hi: [1, 1] }) },
  // H=7, k=3, s=3: the last input row and column are never read (their gradient must be 0)
  { name: 'stride 3 leaves the last row unread', x: [1, 2, 7, 7], w: [2, 2, 3, 3], opts: { stride: 3 }, geo: g1({ stride: [3, 3] }) },
  { name: 'dilation 2 padding 1 (shrinks the map)', x: [2, 3, 5, 6], w: [2, 3, 3, 3], bias: true, opts: { dilation: 2, padding: 1 }, geo: g1({ dilation: [2, 2], lo: [1, 1], hi: [1, 1] }) },
  { name: 'groups 2', x: [2, 4, 5, 6], w: [6, 2, 3, 3], bias: true, opts: { groups: 2, padding: 1 }, geo: g1({ groups: 2, lo: [1, 1], hi: [1, 1] }) },
  { name: 'depthwise (groups = C)', x: [2, 4, 5, 6], w: [4, 1, 3, 3], bias: true, opts: { groups: 4, padding: 1 }, geo: g1({ groups: 4, lo: [1, 1], hi: [1, 1] }) },
  { name: 'depthwise with multiplier 2, stride 2', x: [2, 3, 5, 6], w: [6, 1, 3, 3], bias: true, opts: { groups: 3, stride: 2, padding: 1 }, geo: g1({ groups: 3, stride: [2, 2], lo: [1, 1], hi: [1, 1] }) },
  { name: 'non-square kernel 3x2 on 5x7, stride (2,1), padding (1,0)', x: [2, 3, 5, 7], w: [2, 3, 3, 2], bias: true, opts: { stride: [2, 1], padding: [1, 0] }, geo: g1({ stride: [2, 1], lo: [1, 0], hi: [1, 0] }) },
  { name: 'padding pair (1,2)', x: [2, 3, 5, 6], w: [2, 3, 3, 3], bias: true, opts: { padding: [1, 2] }, geo: g1({ lo: [1, 2], hi: [1, 2] }) },
  { name: "'same' with an even kernel 2x4 (asymmetric)", x: [2, 3, 5, 6], w: [2, 3, 2, 4], bias: true, opts: { padding: 'same' }, geo: g1({ lo: [0, 1], hi: [1, 2] }) },
  { name: "'same' with kernel 3x2, dilation (2,3)", x: [1, 2, 5, 6], w: [3, 2, 3, 2], bias: true, opts: { padding: 'same', dilation: [2, 3] }, geo: g1({ dilation: [2, 3], lo: [2, 1], hi: [2, 2] }) },
  { name: "'same' grouped with a 4x4 kernel", x: [1, 4, 5, 6], w: [4, 2, 4, 4], opts: { padding: 'same', groups: 2 }, geo: g1({ groups: 2, lo: [1, 1], hi: [2, 2] }) },
  { name: "'valid'", x: [2, 3, 5, 6], w: [2, 3, 3, 3], bias: true, opts: { padding: 'valid' }, geo: g1() },
  { name: 'kernel as large as the padded input', x: [1, 2, 3, 4], w: [2, 2, 5, 4], bias: true, opts: { padding: [1, 0] }, geo: g1({ lo: [1, 0], hi: [1, 0] }) },
];

for (const c of conv2dCases) {
  test(`conv2d forward vs naive reference: ${c.name}`, () => {
    const x = rand(c.x), w = rand(c.w), b = c.bias ? values(c.w[0]) : null;
    const want = refConv2d(x, w, b, c.geo);
    const got = F.conv2d(f64(x), f64(w), b ? tensor(Float64Array.from(b)) : null, c.opts);
    assert.equal(got.shape, want.shape);
    assertCloseAbs(got.dataSync(), want.data, 1e-12, 'float64');
    const got32 = F.conv2d(f32(x), f32(w), b ? tensor(b) : null, c.opts);
    assert.is(got32.dtype, 'float32');
    assertCloseAbs(got32.dataSync(), want.data, 1e-5, 'float32');
  });

  test(`conv2d gradcheck (input, weight${c.bias ? ', bias' : ''}): ${c.name}`, () => {
    const inputs = [f64(rand(c.x), true), f64(rand(c.w), true)];
    if (c.bias) inputs.push(f64(rand([c.w[0]]), true));
    assertGradcheck((x, w, b) => F.conv2d(x, w, b, c.opts), inputs);
  });
}

test('conv2d: the input gradient of rows no output reads is exactly 0', () => {
  const x = f64(rand([1, 1, 7, 7]), true);
  F.conv2d(x, f64(rand([1, 1, 3, 3])), null, { stride: 3 }).sum().backward();
  const g = x.grad!.arraySync() as number[][][][];
  assert.equal(g[0][0][6], [0, 0, 0, 0, 0, 0, 0]);
  assert.equal(g[0][0].map((row) => row[6]), [0, 0, 0, 0, 0, 0, 0]);
});

test('conv2d: bias gradient is the output gradient summed over N, H, W', () => {
  const x = f64(rand([2, 2, 4, 4])), w = f64(rand([3, 2, 3, 3])), b = f64({ data: [0, 0, 0], shape: [3] }, true);
  const gy = rand([2, 3, 2, 2]);
  F.conv2d(x, w, b).backward(f64(gy));
  const want = [0, 1, 2].map((o) => [0, 1].reduce((s, n) => s + gy.data.slice((n * 3 + o) * 4, (n * 3 + o) * 4 + 4).reduce((a, v) => a + v, 0), 0));
  assertCloseAbs(b.grad!.dataSync(), want, 1e-12, 'bias grad');
});

test('conv2d: unbatched 3-D input gives the batched result without the batch dim', () => {
  const x = rand([4, 5, 6]), w = rand([6, 2, 3, 3]), b = values(6);
  const want = refConv2d({ data: x.data, shape: [1, 4, 5, 6] }, w, b, g1({ groups: 2, stride: [2, 1], lo: [1, 1], hi: [1, 1] }));
  const got = F.conv2d(f64(x), f64(w), tensor(Float64Array.from(b)), { groups: 2, stride: [2, 1], padding: 1 });
  assert.equal(got.shape, want.shape.slice(1));
  assertCloseAbs(got.dataSync(), want.data, 1e-12, 'unbatched');
  assertGradcheck((x, w, b) => F.conv2d(x, w, b, { groups: 2, stride: [2, 1], padding: 1 }), [f64(rand([4, 5, 6]), true), f64(rand([6, 2, 3, 3]), true), f64(rand([6]), true)]);
});

test('conv2d: non-contiguous input and weight views (permuted, sliced)', () => {
  // x stored as [N,H,C,W] and permuted; w stored as [C/G, O, kh, kw] and transposed; both sliced
  const xs = rand([2, 5, 3, 7]), ws = rand([3, 2, 3, 3]);
  const xView = (x: Tensor) => x.permute(0, 2, 1, 3).narrow(3, 1, 5); // [2,3,5,5]
  const wView = (w: Tensor) => w.transpose(0, 1); // [2,3,3,3]
  const xc = xView(f64(xs)).contiguous(), wc = wView(f64(ws)).contiguous();
  assert.not.ok(xView(f64(xs)).isContiguous());
  const want = refConv2d({ data: [...xc.dataSync()], shape: [...xc.shape] }, { data: [...wc.dataSync()], shape: [...wc.shape] }, null, g1({ lo: [1, 1], hi: [1, 1], stride: [1, 2] }));
  const got = F.conv2d(xView(f64(xs)), wView(f64(ws)), null, { padding: 1, stride: [1, 2] });
  assertCloseAbs(got.dataSync(), want.data, 1e-12, 'strided views');
  assertGradcheck((x, w) => F.conv2d(xView(x), wView(w), null, { padding: 1, stride: [1, 2] }), [f64(xs, true), f64(ws, true)]);
});

test('js kernels read views with negative and zero strides', () => {
  const be = getBackend();
  const xs = rand([1, 2, 3, 4]), wOne = rand([1, 2, 2, 2]);
  const x = f64(xs), w = f64(wOne);
  // x reversed along W (negative stride), w broadcast to 3 output channels (stride 0)
  const xRev: View = { storage: x.storage, shape: [1, 2, 3, 4], strides: [24, 12, 4, -1], offset: 3 };
  const wB: View = { storage: w.storage, shape: [3, 2, 2, 2], strides: [0, 4, 2, 1], offset: 0 };
  const xFlipped = xs.data.map((_, k) => xs.data[k - (k % 4) + 3 - (k % 4)]);
  const w3 = { data: [...wOne.data, ...wOne.data, ...wOne.data], shape: [3, 2, 2, 2] };
  const p = { stride: [1, 1], padding: [1, 0], dilation: [1, 1], groups: 1 } as const;
  const want = refConv2d({ data: xFlipped, shape: [1, 2, 3, 4] }, w3, null, g1({ lo: [1, 0], hi: [1, 0] }));
  assertCloseAbs(be.readSync!(be.conv2d(xRev, wB, p)), want.data, 1e-12, 'conv2d');
  // backward kernels against the same views, checked by their defining identities
  // the output gradient as a transposed (column-major) view
  const [, , Ho, Wo] = want.shape;
  const gy = f64(rand([1, 3, Wo, Ho])).transpose(2, 3);
  assert.not.ok(gy.isContiguous());
  const dx = be.readSync!(be.conv2dBackwardInput(gy, wB, [1, 2, 3, 4], p));
  const dw = be.readSync!(be.conv2dBackwardWeight(xRev, gy, [3, 2, 2, 2], p));
  const gyd = gy.dataSync();
  // <conv(x), gy> = <x, dx> = <w, dw> (conv is bilinear)
  const lhs = dot(want.data, gyd);
  assert.ok(Math.abs(dot(xFlipped, dx) - lhs) < 1e-12, 'input adjoint');
  assert.ok(Math.abs(dot(w3.data, dw) - lhs) < 1e-12, 'weight adjoint');
});

test('conv2d: zero-size batch gives an empty output', () => {
  const y = F.conv2d(tensor(new Float32Array(0), [0, 2, 4, 4]), tensor(new Float32Array(18), [1, 2, 3, 3]));
  assert.equal(y.shape, [0, 1, 2, 2]);
});

// ---- conv1d ------------------------------------------------------------------------------------------

interface Conv1dCase { name: string; x: number[]; w: number[]; bias?: boolean; opts: F.ConvOptions; stride: number; lo: number; hi: number; dilation: number; groups: number }

const conv1dCases: Conv1dCase[] = [
  { name: 'k=1 (pointwise)', x: [2, 4, 7], w: [3, 4, 1], bias: true, opts: {}, stride: 1, lo: 0, hi: 0, dilation: 1, groups: 1 },
  { name: 'k=3 padding 1', x: [2, 4, 7], w: [3, 4, 3], bias: true, opts: { padding: 1 }, stride: 1, lo: 1, hi: 1, dilation: 1, groups: 1 },
  { name: 'depthwise k=5 padding 2', x: [2, 4, 7], w: [4, 1, 5], bias: true, opts: { padding: 2, groups: 4 }, stride: 1, lo: 2, hi: 2, dilation: 1, groups: 4 },
  { name: 'grouped (g=2) stride 2 dilation 2', x: [2, 4, 9], w: [6, 2, 3], bias: true, opts: { groups: 2, stride: 2, dilation: 2, padding: 1 }, stride: 2, lo: 1, hi: 1, dilation: 2, groups: 2 },
  { name: "'same' with k=4 (asymmetric)", x: [2, 3, 7], w: [2, 3, 4], bias: true, opts: { padding: 'same' }, stride: 1, lo: 1, hi: 2, dilation: 1, groups: 1 },
  { name: 'list options [2] / [1]', x: [1, 2, 8], w: [2, 2, 3], opts: { stride: [2] as unknown as number, padding: [1] as unknown as number }, stride: 2, lo: 1, hi: 1, dilation: 1, groups: 1 },
];

for (const c of conv1dCases) {
  test(`conv1d forward vs naive reference: ${c.name}`, () => {
    const x = rand(c.x), w = rand(c.w), b = c.bias ? values(c.w[0]) : null;
    // the reference: a 2-D conv over a height-1 image
    const want = refConv2d({ data: x.data, shape: [c.x[0], c.x[1], 1, c.x[2]] }, { data: w.data, shape: [c.w[0], c.w[1], 1, c.w[2]] }, b,
      { stride: [1, c.stride], lo: [0, c.lo], hi: [0, c.hi], dilation: [1, c.dilation], groups: c.groups });
    const got = F.conv1d(f64(x), f64(w), b ? tensor(Float64Array.from(b)) : null, c.opts);
    assert.equal(got.shape, [want.shape[0], want.shape[1], want.shape[3]]);
    assertCloseAbs(got.dataSync(), want.data, 1e-12, 'conv1d');
  });
  test(`conv1d gradcheck: ${c.name}`, () => {
    const inputs = [f64(rand(c.x), true), f64(rand(c.w), true)];
    if (c.bias) inputs.push(f64(rand([c.w[0]]), true));
    assertGradcheck((x, w, b) => F.conv1d(x, w, b, c.opts), inputs);
  });
}

test('conv1d: unbatched [C,L] input', () => {
  const x = rand([4, 6]), w = rand([2, 2, 3]);
  const want = refConv2d({ data: x.data, shape: [1, 4, 1, 6] }, { data: w.data, shape: [2, 2, 1, 3] }, null, g1({ groups: 2, lo: [0, 1], hi: [0, 1] }));
  const got = F.conv1d(f64(x), f64(w), null, { groups: 2, padding: 1 });
  assert.equal(got.shape, [2, 6]);
  assertCloseAbs(got.dataSync(), want.data, 1e-12, 'conv1d unbatched');
  assertGradcheck((x, w) => F.conv1d(x, w, null, { groups: 2, padding: 1 }), [f64(rand([4, 6]), true), f64(rand([2, 2, 3]), true)]);
});

// ---- conv_transpose2d ------------------------------------------------------------------------------

interface ConvTCase { name: string; x: number[]; w: number[]; bias?: boolean; opts: F.ConvTransposeOptions; geo: TGeometry }

const t1 = (over: Partial<TGeometry> = {}): TGeometry => ({ stride: [1, 1], padding: [0, 0], outputPadding: [0, 0], dilation: [1, 1], groups: 1, ...over });

const convTCases: ConvTCase[] = [
  { name: 'plain 3x3', x: [2, 3, 3, 4], w: [3, 2, 3, 3], bias: true, opts: {}, geo: t1() },
  { name: 'stride 2 padding 1 output_padding 1', x: [2, 3, 3, 4], w: [3, 2, 3, 3], bias: true, opts: { stride: 2, padding: 1, outputPadding: 1 }, geo: t1({ stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] }) },
  { name: 'groups 2', x: [2, 4, 3, 4], w: [4, 3, 3, 3], bias: true, opts: { groups: 2, stride: 2, padding: 1 }, geo: t1({ groups: 2, stride: [2, 2], padding: [1, 1] }) },
  { name: 'depthwise (groups = C)', x: [2, 3, 3, 3], w: [3, 1, 3, 3], bias: true, opts: { groups: 3, padding: 1 }, geo: t1({ groups: 3, padding: [1, 1] }) },
  { name: 'dilation 2 with a 2x3 kernel', x: [2, 3, 3, 4], w: [3, 2, 2, 3], bias: true, opts: { dilation: 2, padding: 1 }, geo: t1({ dilation: [2, 2], padding: [1, 1] }) },
  { name: 'stride (2,3) padding (0,1) output_padding (1,2)', x: [1, 2, 3, 3], w: [2, 2, 3, 2], bias: true, opts: { stride: [2, 3], padding: [0, 1], outputPadding: [1, 2] }, geo: t1({ stride: [2, 3], padding: [0, 1], outputPadding: [1, 2] }) },
  // output_padding ≥ stride is allowed when it is below the dilation
  { name: 'output_padding 1 ≥ stride 1, below dilation 2', x: [1, 2, 3, 3], w: [2, 2, 3, 3], bias: true, opts: { outputPadding: 1, dilation: 2 }, geo: t1({ outputPadding: [1, 1], dilation: [2, 2] }) },
];

for (const c of convTCases) {
  test(`conv_transpose2d forward vs scatter reference: ${c.name}`, () => {
    const x = rand(c.x), w = rand(c.w), b = c.bias ? values(c.w[1] * c.geo.groups) : null;
    const want = refConvT2d(x, w, b, c.geo);
    const { stride: [sh, sw], padding: [ph, pw], outputPadding: [oh, ow], dilation: [dh, dw] } = c.geo;
    // the output size formula, spelled out
    assert.equal(want.shape, [c.x[0], c.w[1] * c.geo.groups, (c.x[2] - 1) * sh - 2 * ph + dh * (c.w[2] - 1) + oh + 1, (c.x[3] - 1) * sw - 2 * pw + dw * (c.w[3] - 1) + ow + 1]);
    const got = F.convTranspose2d(f64(x), f64(w), b ? tensor(Float64Array.from(b)) : null, c.opts);
    assert.equal(got.shape, want.shape);
    assertCloseAbs(got.dataSync(), want.data, 1e-12, 'conv_transpose2d');
    assertCloseAbs(F.convTranspose2d(f32(x), f32(w), b ? tensor(b) : null, c.opts).dataSync(), want.data, 1e-5, 'float32');
  });

  test(`conv_transpose2d is the adjoint of conv2d: ${c.name}`, () => {
    // <convT(x), y> = <x, conv(y)> for the conv with the same weight, stride, padding, dilation, groups
    const x = rand(c.x), w = rand(c.w);
    const yt = F.convTranspose2d(f64(x), f64(w), null, c.opts);
    const y = rand([...yt.shape]);
    const { stride, padding, dilation, groups } = c.geo;
    const cy = refConv2d(y, w, null, { stride, lo: padding, hi: padding, dilation, groups });
    // conv(y) is x-shaped, up to extra rows no input position reaches (output_padding ≥ stride)
    const [N, C, H, W] = c.x;
    const [, , Hc, Wc] = cy.shape;
    assert.ok(Hc >= H && Wc >= W);
    const cut = cy.data.filter((_, k) => (Math.floor(k / Wc) % Hc) < H && k % Wc < W);
    assert.is(cut.length, N * C * H * W);
    const lhs = dot(yt.dataSync(), y.data), rhs = dot(x.data, cut);
    assert.ok(Math.abs(lhs - rhs) < 1e-10 * Math.max(1, Math.abs(lhs)), `<convT(x), y> = ${lhs} but <x, conv(y)> = ${rhs}`);
  });

  test(`conv_transpose2d gradcheck (input, weight${c.bias ? ', bias' : ''}): ${c.name}`, () => {
    const inputs = [f64(rand(c.x), true), f64(rand(c.w), true)];
    if (c.bias) inputs.push(f64(rand([c.w[1] * c.geo.groups]), true));
    assertGradcheck((x, w, b) => F.convTranspose2d(x, w, b, c.opts), inputs);
  });
}

test('conv_transpose2d: non-contiguous input and weight views', () => {
  const xs = rand([2, 4, 4, 3]), ws = rand([4, 2, 3, 3]); // x stored with H and W swapped
  const xView = (x: Tensor) => x.transpose(2, 3);
  const wView = (w: Tensor) => w.flip([2]); // flip copies; still a different graph path
  const xc = xView(f64(xs)).contiguous();
  const wc = wView(f64(ws));
  const geo = t1({ stride: [2, 1], padding: [1, 0], groups: 2 });
  const want = refConvT2d({ data: [...xc.dataSync()], shape: [...xc.shape] }, { data: [...wc.dataSync()], shape: [...wc.shape] }, null, geo);
  const opts = { stride: [2, 1], padding: [1, 0], groups: 2 } as const;
  assertCloseAbs(F.convTranspose2d(xView(f64(xs)), wc, null, opts).dataSync(), want.data, 1e-12, 'strided input');
  assertGradcheck((x, w) => F.convTranspose2d(xView(x), wView(w), null, opts), [f64(xs, true), f64(ws, true)]);
});

test('conv_transpose2d: unbatched 3-D input', () => {
  const x = rand([2, 3, 3]), w = rand([2, 3, 2, 2]);
  const want = refConvT2d({ data: x.data, shape: [1, 2, 3, 3] }, w, null, t1({ stride: [2, 2] }));
  const got = F.convTranspose2d(f64(x), f64(w), null, { stride: 2 });
  assert.equal(got.shape, [3, 6, 6]);
  assertCloseAbs(got.dataSync(), want.data, 1e-12, 'unbatched');
  assertGradcheck((x, w) => F.convTranspose2d(x, w, null, { stride: 2 }), [f64(rand([2, 3, 3]), true), f64(rand([2, 3, 2, 2]), true)]);
});

test('conv2d then conv_transpose2d in one graph (gradients flow through both)', () => {
  assertGradcheck(
    (x, w) => F.convTranspose2d(F.conv2d(x, w, null, { stride: 2, padding: 1 }).tanh(), w, null, { stride: 2, padding: 1, outputPadding: 1 }),
    [f64(rand([1, 2, 6, 6]), true), f64(rand([2, 2, 3, 3]), true)],
  );
});

// ---- errors ------------------------------------------------------------------------------------------

const z = (...shape: number[]) => tensor(new Float32Array(numel(shape)), shape);
const lit = (s: string) => new RegExp(s.replace(/[[\]().*+?^$|\\]/g, '\\$&'));

test('conv2d errors: ranks', () => {
  throwsWith(() => F.conv2d(z(3, 8), z(1, 3, 1, 1)), /^conv2d:/, /3-D.*4-D/, lit('[3,8]'));
  throwsWith(() => F.conv2d(z(1, 3, 8, 8), z(4, 3, 3)), /^conv2d: weight must be 4-D/, lit('[4,3,3]'));
  throwsWith(() => F.conv1d(z(1, 3, 8, 8), z(4, 3, 3)), /^conv1d:/, /2-D.*3-D/, lit('[1,3,8,8]'));
});

test('conv2d errors: channels and groups', () => {
  throwsWith(() => F.conv2d(z(2, 3, 8, 8), z(4, 2, 3, 3)), lit('conv2d: input [2,3,8,8] has 3 channels, weight [4,2,3,3] with groups=1 expects 2'));
  throwsWith(() => F.conv2d(z(1, 3, 5, 5), z(4, 1, 3, 3), null, { groups: 2 }), /^conv2d:/, lit('[1,3,5,5]'), /3 channels, which groups=2 does not divide/);
  throwsWith(() => F.conv2d(z(1, 4, 5, 5), z(3, 2, 3, 3), null, { groups: 2 }), /^conv2d:/, lit('[3,2,3,3]'), /3 output channels, which groups=2/);
  throwsWith(() => F.conv2d(z(1, 4, 5, 5), z(4, 4, 3, 3), null, { groups: 2 }), /^conv2d:/, /groups=2 expects 8/);
  throwsWith(() => F.conv2d(z(1, 4, 5, 5), z(4, 4, 3, 3), null, { groups: 0 }), /^conv2d: groups must be a positive int/);
  throwsWith(() => F.conv1d(z(2, 4, 9), z(6, 4, 3), null, { groups: 2 }), lit('conv1d: input [2,4,9] has 4 channels, weight [6,4,3] with groups=2 expects 8'));
});

test('conv2d errors: kernel larger than the padded input', () => {
  throwsWith(() => F.conv2d(z(1, 1, 3, 3), z(1, 1, 5, 5)), lit('conv2d: kernel 5x5 (dilated 5x5) is larger than the padded input 3x3'), lit('[1,1,3,3]'), lit('[1,1,5,5]'));
  throwsWith(() => F.conv2d(z(1, 1, 4, 4), z(1, 1, 3, 3), null, { dilation: 2 }), lit('conv2d: kernel 3x3 (dilated 5x5) is larger than the padded input 4x4'));
  // padding makes it fit
  assert.equal(F.conv2d(z(1, 1, 3, 3), z(1, 1, 5, 5), null, { padding: 1 }).shape, [1, 1, 1, 1]);
  throwsWith(() => F.conv1d(z(1, 1, 3), z(1, 1, 5), null, { dilation: 2 }), lit('conv1d: kernel 5 (dilated 9) is larger than the padded input 3'));
});

test('conv2d errors: stride, dilation, padding values', () => {
  throwsWith(() => F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), null, { stride: 0 }), /^conv2d: stride must be positive, got 0/);
  throwsWith(() => F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), null, { stride: [1, -1] }), /^conv2d: stride must be positive/, lit('[1,-1]'));
  throwsWith(() => F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), null, { dilation: 0 }), /^conv2d: dilation must be positive/);
  throwsWith(() => F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), null, { padding: -1 }), /^conv2d: padding must be non-negative/);
  throwsWith(() => F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), null, { stride: 1.5 }), /^conv2d: stride must be an int or a list of 2 ints/);
  throwsWith(() => F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), null, { padding: [1, 1, 1] as unknown as number }), /^conv2d: padding must be an int or a list of 2 ints/);
  throwsWith(() => F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), null, { padding: 'full' as 'same' }), /^conv2d: padding must be .*'same' or 'valid', got 'full'/);
  throwsWith(() => F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), null, { padding: 'same', stride: 2 }), /^conv2d: padding='same' needs stride 1/, /2x2/);
  throwsWith(() => F.conv1d(z(1, 1, 5), z(1, 1, 3), null, { stride: [1, 2] }), /^conv1d: stride must be an int or a list of 1 int,/);
});

test('conv2d errors: bias and dtypes', () => {
  throwsWith(() => F.conv2d(z(1, 2, 5, 5), z(4, 2, 3, 3), z(3)), /^conv2d: bias \[3\] must be \[4\]/, lit('[4,2,3,3]'));
  throwsWith(() => F.conv2d(z(1, 2, 5, 5), z(4, 2, 3, 3), z(1, 4)), /^conv2d: bias \[1,4\]/);
  throwsWith(() => F.conv2d(z(1, 2, 5, 5), tensor(new Float64Array(36), [2, 2, 3, 3])), /^conv2d:/, /float32/, /float64/);
  throwsWith(() => F.conv2d(tensor(new Int32Array(50), [1, 2, 5, 5]), z(2, 2, 3, 3)), /^conv2d:/, /floating/, /int32/);
});

test('conv_transpose2d errors', () => {
  throwsWith(() => F.convTranspose2d(z(1, 3, 4, 4), z(4, 2, 3, 3)), lit('conv_transpose2d: input [1,3,4,4] has 3 channels, weight [4,2,3,3] expects 4'));
  throwsWith(() => F.convTranspose2d(z(1, 3, 4, 4), z(3, 2, 3, 3), null, { groups: 2 }), /^conv_transpose2d:/, /3 channels, which groups=2 does not divide/);
  throwsWith(() => F.convTranspose2d(z(1, 2, 4, 4), z(2, 2, 3, 3), null, { stride: 2, outputPadding: 2 }),
    lit('conv_transpose2d: output_padding 2x2 must be smaller than either stride 2x2 or dilation 1x1'));
  throwsWith(() => F.convTranspose2d(z(1, 1, 1, 1), z(1, 1, 1, 1), null, { padding: 1 }), /^conv_transpose2d: output size -1x-1 is too small/, lit('[1,1,1,1]'));
  throwsWith(() => F.convTranspose2d(z(1, 2, 4, 4), z(2, 3, 3, 3), z(2)), /^conv_transpose2d: bias \[2\] must be \[3\]/);
  throwsWith(() => F.convTranspose2d(z(1, 2, 4, 4), z(2, 3, 3)), /^conv_transpose2d: weight must be 4-D \[in_channels, out_channels\/groups, kh, kw\]/);
  throwsWith(() => F.convTranspose2d(z(1, 2, 4, 4), z(2, 3, 3, 3), null, { stride: 0 }), /^conv_transpose2d: stride must be positive/);
});

test.run();
