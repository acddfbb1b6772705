// F.interpolate (bilinear, nearest) and F.gridSample (bilinear, zeros padding):
// forward values by hand and against naive references written here with
// plain arrays (one output pixel at a time, the 4-tap formula), gradchecks in
// float64, and error cases.
// Run: node tools/run-tests.mjs resample
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { F, Generator, tensor, type Tensor } from '../src/index.js';
import { assertGradcheck, assertTensorClose, numel, seededInputs, throwsWith } from './helpers/assert.js';

// ---- helpers --------------------------------------------------------------------------------

const { generator, normalValues, normal: leaf } = seededInputs(101);

// ---- naive references (plain arrays, one output pixel at a time) -----------------------------

interface Spec { size?: [number, number]; scale?: [number, number]; alignCorners?: boolean }

function outSizeOf(H: number, W: number, s: Spec): [number, number] {
  return s.size ?? [Math.floor(H * s.scale![0]), Math.floor(W * s.scale![1])];
}

/**
 * PyTorch's bilinear source coordinate for output index i along one axis.
 * align_corners: i·(in−1)/(out−1); else (i+0.5)·r − 0.5 clamped at 0, r = 1/scale_factor or in/out.
 * An axis whose size does not change is copied.
 */
function sourceCoord(i: number, inSize: number, outSize: number, alignCorners: boolean, scaleFactor?: number): number {
  if (inSize === outSize) return i;
  if (alignCorners) return outSize > 1 ? (i * (inSize - 1)) / (outSize - 1) : 0;
  const r = scaleFactor !== undefined ? 1 / scaleFactor : inSize / outSize;
  return Math.max((i + 0.5) * r - 0.5, 0);
}

/** out[n,c,i,j] = Σ over the 4 taps of (1−λh or λh)(1−λw or λw) x[h,w], the upper tap clamped to the last row/column. */
function refBilinear(x: number[], [N, C, H, W]: number[], s: Spec): number[] {
  const [Ho, Wo] = outSizeOf(H, W, s);
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    const sh = sourceCoord(i, H, Ho, !!s.alignCorners, s.scale?.[0]);
    const sw = sourceCoord(j, W, Wo, !!s.alignCorners, s.scale?.[1]);
    const h0 = Math.min(Math.floor(sh), H - 1), w0 = Math.min(Math.floor(sw), W - 1);
    const h1 = Math.min(h0 + 1, H - 1), w1 = Math.min(w0 + 1, W - 1);
    const lh = Math.min(Math.max(sh - h0, 0), 1), lw = Math.min(Math.max(sw - w0, 0), 1);
    const at = (h: number, w: number) => x[((n * C + c) * H + h) * W + w];
    out.push((1 - lh) * (1 - lw) * at(h0, w0) + (1 - lh) * lw * at(h0, w1) + lh * (1 - lw) * at(h1, w0) + lh * lw * at(h1, w1));
  }
  return out;
}

/**
 * PyTorch's 'nearest' (nearest_idx): an unchanged size copies, a doubled size reads ⌊i/2⌋, otherwise
 * src = min(⌊i·r⌋, in−1) with r = 1/scale_factor or in/out, in float32 arithmetic.
 */
function refNearest(x: number[], [N, C, H, W]: number[], s: Spec): number[] {
  const f = Math.fround;
  const [Ho, Wo] = outSizeOf(H, W, s);
  const src = (i: number, inSize: number, outSize: number, sf?: number) => {
    if (outSize === inSize) return i;
    if (outSize === 2 * inSize) return Math.floor(i / 2);
    const r = f(sf !== undefined ? 1 / sf : inSize / outSize);
    return Math.min(Math.floor(f(i * r)), inSize - 1);
  };
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    out.push(x[((n * C + c) * H + src(i, H, Ho, s.scale?.[0])) * W + src(j, W, Wo, s.scale?.[1])]);
  }
  return out;
}

/**
 * grid_sample, bilinear, zeros padding: unnormalise (gx, gy) to pixel coordinates, then
 * sum the 4 taps around it with weights (1 − |ix − xt|)(1 − |iy − yt|), taps outside the image reading 0.
 */
function refGridSample(x: number[], [N, C, H, W]: number[], grid: number[], [, Ho, Wo]: number[], alignCorners: boolean): number[] {
  const unnorm = (g: number, size: number) => (alignCorners ? ((g + 1) / 2) * (size - 1) : ((g + 1) * size - 1) / 2);
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    const gi = ((n * Ho + i) * Wo + j) * 2;
    const ix = unnorm(grid[gi], W), iy = unnorm(grid[gi + 1], H);
    let v = 0;
    for (const yt of [Math.floor(iy), Math.floor(iy) + 1]) {
      for (const xt of [Math.floor(ix), Math.floor(ix) + 1]) {
        if (yt < 0 || yt >= H || xt < 0 || xt >= W) continue;
        v += (1 - Math.abs(ix - xt)) * (1 - Math.abs(iy - yt)) * x[((n * C + c) * H + yt) * W + xt];
      }
    }
    out.push(v);
  }
  return out;
}

// ---- interpolate: by hand -----------------------------------------------------------------------

test('interpolate bilinear by hand: [[1,2],[3,4]] to 4×4 and 3×3', () => {
  const x = tensor([[[[1, 2], [3, 4]]]]);
  // align_corners=false: source coords (i+0.5)/2 − 0.5 clamped to [0, 1] = 0, .25, .75, 1; value = 1 + cw + 2·ch
  assertTensorClose(F.interpolate(x, { size: 4, mode: 'bilinear' }), [1, 1, 4, 4], [
    1, 1.25, 1.75, 2,
    1.5, 1.75, 2.25, 2.5,
    2.5, 2.75, 3.25, 3.5,
    3, 3.25, 3.75, 4,
  ], 1e-6);
  // align_corners=true: coords 0, 0.5, 1
  assertTensorClose(F.interpolate(x, { size: [3, 3], mode: 'bilinear', alignCorners: true }), [1, 1, 3, 3], [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4], 1e-6);
  // scale_factor 2 gives the same as size 4
  assertTensorClose(F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false }), [1, 1, 4, 4], F.interpolate(x, { size: 4, mode: 'bilinear' }).dataSync(), 1e-6);
});

test('interpolate bilinear by hand: out = 1 with align_corners reads index 0', () => {
  assertTensorClose(F.interpolate(tensor([[[[1, 2, 3], [4, 5, 6]]]]), { size: 1, mode: 'bilinear', alignCorners: true }), [1, 1, 1, 1], [1], 0);
});

test('interpolate nearest by hand', () => {
  const x = tensor([[[[1, 2, 3], [4, 5, 6]]]]);
  // H: r = 2/3 -> rows 0,0,1; W: r = 3/2 -> cols 0,1
  assertTensorClose(F.interpolate(x, { size: [3, 2] }), [1, 1, 3, 2], [1, 2, 1, 2, 4, 5], 0);
  // scale 2: src = ⌊i/2⌋
  assertTensorClose(F.interpolate(x, { scaleFactor: 2, mode: 'nearest' }), [1, 1, 4, 6], [
    1, 1, 2, 2, 3, 3,
    1, 1, 2, 2, 3, 3,
    4, 4, 5, 5, 6, 6,
    4, 4, 5, 5, 6, 6,
  ], 0);
});

// ---- interpolate: against the naive references ------------------------------------------------

const bilinearSpecs: [string, number[], Spec][] = [
  ['upscale size 5×7', [2, 3, 4, 5], { size: [5, 7] }],
  ['upscale size 5×7, align_corners', [2, 3, 4, 5], { size: [5, 7], alignCorners: true }],
  ['downscale size 3×2', [1, 2, 5, 6], { size: [3, 2] }],
  ['downscale size 3×2, align_corners', [1, 2, 5, 6], { size: [3, 2], alignCorners: true }],
  ['scale_factor 1.5', [1, 2, 3, 5], { scale: [1.5, 1.5] }],
  ['scale_factor 1.5, align_corners', [1, 2, 3, 5], { scale: [1.5, 1.5], alignCorners: true }],
  ['scale_factor 2', [2, 1, 3, 4], { scale: [2, 2] }],
  ['scale_factor 2, align_corners', [2, 1, 3, 4], { scale: [2, 2], alignCorners: true }],
  ['scale_factor (0.6, 1.7), non-square', [1, 2, 5, 3], { scale: [0.6, 1.7] }],
  ['scale_factor 1.2 keeps H = 4: that axis is copied', [1, 1, 4, 6], { scale: [1.2, 1.2] }],
  ['size 1×1', [1, 2, 3, 4], { size: [1, 1] }],
  ['size 9×2 (up in H, down in W)', [1, 1, 4, 5], { size: [9, 2] }],
];

for (const [name, shape, spec] of bilinearSpecs) {
  test(`interpolate bilinear vs naive reference: ${name}`, () => {
    const xs = normalValues(numel(shape));
    const opts = { mode: 'bilinear' as const, alignCorners: spec.alignCorners ?? false, ...(spec.size ? { size: spec.size } : { scaleFactor: spec.scale }) };
    const expected = refBilinear(xs, shape, spec);
    const [Ho, Wo] = outSizeOf(shape[2], shape[3], spec);
    assertTensorClose(F.interpolate(tensor(Float64Array.from(xs), shape), opts), [shape[0], shape[1], Ho, Wo], expected, 1e-12, 'float64');
    assertTensorClose(F.interpolate(tensor(xs, shape), opts), [shape[0], shape[1], Ho, Wo], expected, 1e-5, 'float32');
  });
}

const nearestSpecs: [string, number[], Spec][] = [
  ['upscale size 7×3', [2, 2, 4, 2], { size: [7, 3] }],
  ['downscale size 2×3', [1, 2, 5, 7], { size: [2, 3] }],
  ['scale_factor 1.5', [1, 2, 3, 4], { scale: [1.5, 1.5] }],
  ['scale_factor (1.7, 0.5)', [1, 1, 5, 6], { scale: [1.7, 0.5] }],
  ['scale_factor 1.2 with H = 3: H stays 3 and is copied', [1, 1, 3, 5], { scale: [1.2, 1.2] }],
  ['size 1×82 from W = 2: float32 arithmetic reads column 0 at j = 41', [1, 1, 1, 2], { size: [1, 82] }],
  ['scale_factor 0.52 from W = 27: float32 arithmetic reads column 25 at j = 13', [1, 1, 2, 27], { scale: [1, 0.52] }],
];

for (const [name, shape, spec] of nearestSpecs) {
  test(`interpolate nearest vs naive reference: ${name}`, () => {
    const xs = normalValues(numel(shape));
    const opts = spec.size ? { size: spec.size } : { scaleFactor: spec.scale };
    const [Ho, Wo] = outSizeOf(shape[2], shape[3], spec);
    for (const dtype of ['float64', 'float32'] as const) {
      const x = tensor(dtype === 'float64' ? Float64Array.from(xs) : xs, shape, { dtype });
      assertTensorClose(F.interpolate(x, opts), [shape[0], shape[1], Ho, Wo], refNearest(Array.from(x.dataSync()), shape, spec), 0, dtype);
    }
  });
}

// ---- interpolate: gradchecks ----------------------------------------------------------------------

test('gradcheck: interpolate bilinear, up and down, both align_corners, size and scale_factor', () => {
  assertGradcheck((x) => F.interpolate(x, { size: [5, 7], mode: 'bilinear' }), [leaf([1, 2, 3, 4])]);
  assertGradcheck((x) => F.interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: true }), [leaf([1, 2, 3, 4])]);
  assertGradcheck((x) => F.interpolate(x, { size: [3, 2], mode: 'bilinear' }), [leaf([1, 2, 5, 6])]);
  assertGradcheck((x) => F.interpolate(x, { size: [3, 2], mode: 'bilinear', alignCorners: true }), [leaf([1, 2, 5, 6])]);
  assertGradcheck((x) => F.interpolate(x, { scaleFactor: 1.5, mode: 'bilinear' }), [leaf([2, 1, 3, 5])]);
  assertGradcheck((x) => F.interpolate(x, { scaleFactor: [2, 0.6], mode: 'bilinear', alignCorners: true }), [leaf([1, 2, 3, 5])]);
});

test('gradcheck: interpolate bilinear of a non-contiguous view', () => {
  assertGradcheck((x) => F.interpolate(x.permute(0, 3, 1, 2), { size: [4, 5], mode: 'bilinear' }), [leaf([1, 3, 4, 2])]);
});

test('gradcheck: interpolate nearest, up and down', () => {
  assertGradcheck((x) => F.interpolate(x, { scaleFactor: 1.7 }), [leaf([1, 2, 3, 4])]);
  assertGradcheck((x) => F.interpolate(x, { size: [2, 3], mode: 'nearest' }), [leaf([1, 2, 5, 7])]);
});

test('interpolate bilinear backward by hand: 2 -> 4 along W scatters the weights', () => {
  // row [a, b] -> [a, .75a + .25b, .25a + .75b, b]: d/da Σ = 1 + .75 + .25 = 2, d/db = 2
  const x = tensor([[[[1, 2]]]], { requiresGrad: true });
  F.interpolate(x, { size: [1, 4], mode: 'bilinear' }).sum().backward();
  assertTensorClose(x.grad!, [1, 1, 1, 2], [2, 2], 1e-6);
  const y = tensor([[[[1, 2, 3]]]], { requiresGrad: true });
  // nearest 3 -> 2: src 0 and 1 (r = 1.5): x2 gets nothing
  F.interpolate(y, { size: [1, 2] }).sum().backward();
  assertTensorClose(y.grad!, [1, 1, 1, 3], [1, 1, 0], 0);
});

// ---- grid_sample --------------------------------------------------------------------------------

test('grid_sample by hand: centre, outside points, both align_corners', () => {
  const x = tensor([[[[1, 2], [3, 4]]]]);
  const grid = tensor([[[[0, 0], [1.5, -1], [-1, -1], [3, 0]]]]); // [1,1,4,2]
  // align_corners=true: (0,0) -> (0.5, 0.5): mean 2.5; (1.5,-1) -> ix 1.25, iy 0: only x[0][1]·0.75;
  // (−1,−1) -> pixel (0,0) exactly; (3, 0) -> ix 2: fully outside
  assertTensorClose(F.gridSample(x, grid, { alignCorners: true }), [1, 1, 1, 4], [2.5, 1.5, 1, 0], 1e-6);
  // align_corners=false: (0,0) -> (0.5, 0.5); (1.5,−1) -> ix 2, iy −0.5: outside in x;
  // (−1,−1) -> (−0.5, −0.5): a quarter of x[0][0]; (3, 0) -> ix 3.5: outside
  assertTensorClose(F.gridSample(x, grid, { alignCorners: false }), [1, 1, 1, 4], [2.5, 0, 0.25, 0], 1e-6);
});

test('grid_sample: a grid on the pixel centres returns the input', () => {
  const [N, C, H, W] = [2, 2, 3, 4];
  const xs = normalValues(N * C * H * W);
  for (const alignCorners of [true, false]) {
    const centre = (k: number, size: number) => (alignCorners ? (2 * k) / (size - 1) - 1 : (2 * k + 1) / size - 1);
    const g: number[] = [];
    for (let n = 0; n < N; n++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) g.push(centre(j, W), centre(i, H));
    const out = F.gridSample(tensor(Float64Array.from(xs), [N, C, H, W]), tensor(Float64Array.from(g), [N, H, W, 2]), { alignCorners });
    assertTensorClose(out, [N, C, H, W], xs, 1e-12, `align_corners=${alignCorners}`);
  }
});

test('grid_sample vs naive reference: random points in [−1.4, 1.4], both align_corners, float64 and float32', () => {
  const xShape = [2, 3, 4, 5], gShape = [2, 3, 6, 2];
  const xs = normalValues(numel(xShape));
  const gen = new Generator(7);
  const gs = Array.from({ length: numel(gShape) }, () => 2.8 * gen.uniform() - 1.4);
  for (const alignCorners of [true, false]) {
    const expected = refGridSample(xs, xShape, gs, gShape, alignCorners);
    const out64 = F.gridSample(tensor(Float64Array.from(xs), xShape), tensor(Float64Array.from(gs), gShape), { alignCorners });
    assertTensorClose(out64, [2, 3, 3, 6], expected, 1e-12, `float64 align_corners=${alignCorners}`);
    const out32 = F.gridSample(tensor(xs, xShape), tensor(gs, gShape), { alignCorners });
    assertTensorClose(out32, [2, 3, 3, 6], expected, 1e-5, `float32 align_corners=${alignCorners}`);
  }
});

test('grid_sample vs naive reference: strided views of input and grid', () => {
  const xs = normalValues(2 * 2 * 3 * 4); // stored as [N,C,W,H]
  const gen = new Generator(8);
  const gs = Array.from({ length: 2 * 2 * 3 * 2 }, () => 2.4 * gen.uniform() - 1.2); // stored as [N,Wo,Ho,2]
  const x = tensor(Float64Array.from(xs), [2, 2, 4, 3]).transpose(2, 3); // [2,2,3,4]
  const grid = tensor(Float64Array.from(gs), [2, 3, 2, 2]).transpose(1, 2); // [2,2,3,2]
  const out = F.gridSample(x, grid, { alignCorners: true });
  const expected = refGridSample(Array.from(x.contiguous().dataSync()), [2, 2, 3, 4], Array.from(grid.contiguous().dataSync()), [2, 2, 3, 2], true);
  assertTensorClose(out, [2, 2, 2, 3], expected, 1e-12);
});

/**
 * A grid whose points sit at least 0.2 px from integer pixel coordinates (where the bilinear
 * form has kinks), some of them outside the image (zeros padding) and some inside.
 */
function smoothGrid(shape: number[], H: number, W: number, alignCorners: boolean): Tensor {
  const gen = generator();
  const norm = (p: number, size: number) => (alignCorners ? (2 * p) / (size - 1) - 1 : (2 * p + 1) / size - 1);
  const vals: number[] = [];
  for (let k = 0; k < numel(shape) / 2; k++) {
    const px = gen.integer(-2, W + 1) + 0.2 + 0.6 * gen.uniform(); // pixel coords in (−2, W + 1)
    const py = gen.integer(-2, H + 1) + 0.2 + 0.6 * gen.uniform();
    vals.push(norm(px, W), norm(py, H));
  }
  return tensor(Float64Array.from(vals), shape, { requiresGrad: true });
}

test('gradcheck: grid_sample w.r.t. input and grid, both align_corners', () => {
  for (const alignCorners of [true, false]) {
    assertGradcheck((x, g) => F.gridSample(x, g, { alignCorners }), [leaf([2, 2, 3, 4]), smoothGrid([2, 3, 4, 2], 3, 4, alignCorners)]);
  }
});

test('gradcheck: grid_sample of strided views (the grid\'s (x, y) swapped like 34c)', () => {
  // the grid is given as (y, x) and flipped inside fn, the input transposed
  assertGradcheck(
    (x, g) => F.gridSample(x.transpose(2, 3), g.flip(-1), { alignCorners: true }),
    [leaf([1, 2, 4, 3]), smoothGrid([1, 2, 3, 2], 4, 3, true)],
  );
});

test('grid_sample backward by hand: the four weights scatter into the input', () => {
  const x = tensor([[[[1, 2], [3, 4]]]], { requiresGrad: true });
  const g = tensor([[[[-0.5, 0]]]], { requiresGrad: true }); // align_corners: ix = 0.25, iy = 0.5
  F.gridSample(x, g, { alignCorners: true }).sum().backward();
  assertTensorClose(x.grad!, [1, 1, 2, 2], [0.375, 0.125, 0.375, 0.125], 1e-6);
  // d out/d ix = (1−ty)(2−1) + ty(4−3) = 1, d out/d iy = (1−tx)(3−1) + tx(4−2) = 2; times (size−1)/2 = 0.5
  assertTensorClose(g.grad!, [1, 1, 1, 2], [0.5, 1], 1e-6);
});

// ---- errors -------------------------------------------------------------------------------------

test('errors: interpolate', () => {
  const x = tensor(normalValues(2 * 3 * 4), [1, 2, 3, 4]);
  throwsWith(() => F.interpolate(x, { size: 4, scaleFactor: 2, mode: 'bilinear' }), /^interpolate:/, /only one of size or scaleFactor/, /\[1,2,3,4\]/);
  throwsWith(() => F.interpolate(x, { mode: 'bilinear' }), /^interpolate:/, /either size or scaleFactor/, /\[1,2,3,4\]/);
  throwsWith(() => F.interpolate(x, { size: 4, alignCorners: false }), /^interpolate:/, /alignCorners/, /'nearest'/);
  throwsWith(() => F.interpolate(tensor([[[1, 2, 3]]]), { size: 4, mode: 'bilinear' }), /^interpolate:/, /4-D/, /\[1,1,3\]/);
  throwsWith(() => F.interpolate(x, { size: 4, mode: 'bicubic' as never }), /^interpolate:/, /unsupported mode 'bicubic'/);
  throwsWith(() => F.interpolate(x, { scaleFactor: 0.2, mode: 'bilinear' }), /^interpolate:/, /greater than 0/, /output \(H: 0, W: 0\)/);
  throwsWith(() => F.interpolate(x, { scaleFactor: -1 }), /^interpolate:/, /positive/);
  throwsWith(() => F.interpolate(x, { size: [2, 3, 4] as never }), /^interpolate:/, /pair/);
});

test('errors: grid_sample', () => {
  const x = tensor(normalValues(2 * 3 * 4), [1, 2, 3, 4]);
  const grid = tensor(normalValues(2 * 2 * 2), [1, 2, 2, 2]);
  throwsWith(() => F.gridSample(tensor([[1, 2]]), grid), /^grid_sample:/, /4-D input/, /\[1,2\]/);
  throwsWith(() => F.gridSample(x, tensor(normalValues(12), [1, 2, 2, 3])), /^grid_sample:/, /\[N,Ho,Wo,2\]/, /\[1,2,2,3\]/);
  throwsWith(() => F.gridSample(x, tensor(normalValues(8), [2, 2, 2])), /^grid_sample:/, /\[N,Ho,Wo,2\]/, /\[2,2,2\]/);
  throwsWith(() => F.gridSample(x, tensor(normalValues(16), [2, 2, 2, 2])), /^grid_sample:/, /batch sizes 1 and 2/, /\[1,2,3,4\]/);
  throwsWith(() => F.gridSample(x, grid, { mode: 'nearest' as never }), /^grid_sample:/, /mode 'nearest'/);
  throwsWith(() => F.gridSample(x, grid, { paddingMode: 'border' as never }), /^grid_sample:/, /paddingMode 'border'/);
  throwsWith(() => F.gridSample(x, grid.double()), /^grid_sample:/, /one dtype/, /float32 and float64/);
});

test.run();
