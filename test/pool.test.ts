// Pooling: avg / max (2-d and 1-d) and adaptive avg / max.
// Forward values come from hand computation or from the naive references below
// (plain JS arrays, written from PyTorch's documented rules, not from the kernels);
// gradients from float64 finite differences (gradcheck); bad input from error tests.
// PyTorch fixtures for the same ops live in a separate test.
// Run: node tools/run-tests.mjs pool
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { F, tensor, arange, ones } from '../src/index.js';
import { assertGradcheck, closeTo, numel, seededInputs, shapeRe, throwsWith, vals } from './helpers/assert.js';

// ---- helpers ---------------------------------------------------------------------------------

const close = closeTo(1e-6, { nonFinite: true });
const { uniformValues, smooth, distinct } = seededInputs(100);

// ---- naive references over flat row-major [N,C,H,W] arrays ------------------------------------

type P2 = [number, number];

/** PyTorch's output length along one axis (documented in nn.MaxPool2d / nn.AvgPool2d). */
function outLen(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= n + p) o -= 1; // the last window may not start in the right padding
  return o;
}

/**
 * Average pool, phrased on the zero-padded image of size (H + 2p) × (W + 2p): a window
 * starts at padded coordinate i·s. With count_include_pad the divisor is the number of
 * window cells inside the padded image; otherwise the number inside the real image.
 */
function refAvgPool(x: number[], shape: number[], k: P2, s: P2, p: P2, ceil: boolean, cip: boolean, div?: number) {
  const [N, C, H, W] = shape;
  const Ho = outLen(H, k[0], s[0], p[0], 1, ceil), Wo = outLen(W, k[1], s[1], p[1], 1, ceil);
  const out: number[] = [];
  for (let nc = 0; nc < N * C; nc++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        let sum = 0, inPadded = 0, inReal = 0;
        for (let r = i * s[0]; r < i * s[0] + k[0]; r++) {
          for (let q = j * s[1]; q < j * s[1] + k[1]; q++) {
            if (r >= H + 2 * p[0] || q >= W + 2 * p[1]) continue; // past the padded image (ceil_mode)
            inPadded++;
            const h = r - p[0], w = q - p[1];
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            inReal++;
            sum += x[nc * H * W + h * W + w];
          }
        }
        out.push(sum / (div ?? (cip ? inPadded : inReal)));
      }
    }
  }
  return { out, shape: [N, C, Ho, Wo] };
}

/** Max pool: the taps of each window inside the input, the first (row-major) maximum. */
function refMaxPool(x: number[], shape: number[], k: P2, s: P2, p: P2, d: P2, ceil: boolean) {
  const [N, C, H, W] = shape;
  const Ho = outLen(H, k[0], s[0], p[0], d[0], ceil), Wo = outLen(W, k[1], s[1], p[1], d[1], ceil);
  const values: number[] = [], indices: number[] = [];
  for (let nc = 0; nc < N * C; nc++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const taps: [number, number][] = [];
        for (let a = 0; a < k[0]; a++) {
          for (let b = 0; b < k[1]; b++) {
            const h = i * s[0] - p[0] + a * d[0], w = j * s[1] - p[1] + b * d[1];
            if (h >= 0 && h < H && w >= 0 && w < W) taps.push([x[nc * H * W + h * W + w], h * W + w]);
          }
        }
        const best = taps.reduce((m, t) => (t[0] > m[0] ? t : m));
        values.push(best[0]);
        indices.push(best[1]);
      }
    }
  }
  return { values, indices, shape: [N, C, Ho, Wo] };
}

/** Adaptive pools: bin i covers [floor(i·n/m), ceil((i+1)·n/m)). */
function refAdaptive(x: number[], shape: number[], out: P2, kind: 'avg' | 'max') {
  const [N, C, H, W] = shape;
  const lo = (i: number, n: number, m: number) => Math.floor((i * n) / m);
  const hi = (i: number, n: number, m: number) => Math.ceil(((i + 1) * n) / m);
  const values: number[] = [], indices: number[] = [];
  for (let nc = 0; nc < N * C; nc++) {
    for (let i = 0; i < out[0]; i++) {
      for (let j = 0; j < out[1]; j++) {
        const cells: [number, number][] = [];
        for (let h = lo(i, H, out[0]); h < hi(i, H, out[0]); h++) {
          for (let w = lo(j, W, out[1]); w < hi(j, W, out[1]); w++) cells.push([x[nc * H * W + h * W + w], h * W + w]);
        }
        if (kind === 'avg') values.push(cells.reduce((a, c) => a + c[0], 0) / cells.length);
        else {
          const best = cells.reduce((m, t) => (t[0] > m[0] ? t : m));
          values.push(best[0]);
          indices.push(best[1]);
        }
      }
    }
  }
  return { values, indices, shape: [N, C, out[0], out[1]] };
}

// ---- avg_pool2d: hand values ------------------------------------------------------------------

// x = arange(25) on 5×5: x[h,w] = 5h + w. k=3, s=2, p=1 gives 3×3 windows whose real rows
// (and columns) are {0,1}, {1,2,3}, {3,4}. Sum over rows R × cols Q = |Q|·5·ΣR + |R|·ΣQ.
const sums5 = [12, 27, 24, 63, 108, 81, 72, 117, 84];
const realCounts5 = [4, 6, 4, 6, 9, 6, 4, 6, 4];

test('avg_pool2d 3×3 stride 2 pad 1 on 5×5, count_include_pad=true: every divisor is 9', () => {
  const x = arange(25).reshape([1, 1, 5, 5]);
  const y = F.avgPool2d(x, 3, { stride: 2, padding: 1 });
  assert.equal(y.shape, [1, 1, 3, 3]);
  close(y.dataSync(), sums5.map((s) => s / 9));
});

test('avg_pool2d 3×3 stride 2 pad 1 on 5×5, count_include_pad=false: divisor = real cells', () => {
  const x = arange(25).reshape([1, 1, 5, 5]);
  const y = F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false });
  close(y.dataSync(), [3, 4.5, 6, 10.5, 12, 13.5, 18, 19.5, 21]);
  close(y.dataSync(), sums5.map((s, i) => s / realCounts5[i]));
});

test('avg_pool2d on 5×5 with ceil_mode=true keeps 3×3 (a 4th window would start in the right padding)', () => {
  const x = arange(25).reshape([1, 1, 5, 5]);
  for (const countIncludePad of [true, false]) {
    const y = F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad });
    assert.equal(y.shape, [1, 1, 3, 3]);
    close(y.dataSync(), sums5.map((s, i) => s / (countIncludePad ? 9 : realCounts5[i])));
  }
});

test('avg_pool2d ceil_mode on 6×6 ones, k=3 s=2 p=1: the last window is clipped to H + pad', () => {
  // rows of window i: [2i − 1, 2i + 2) clipped to [−1, 7): padded counts 3,3,3,2; real counts 2,3,3,1
  const x = ones([1, 1, 6, 6]);
  const inc = F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true });
  assert.equal(inc.shape, [1, 1, 4, 4]);
  const f = [2 / 3, 1, 1, 1 / 2];
  close(inc.dataSync(), f.flatMap((a) => f.map((b) => a * b)));
  close(F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }).dataSync(), new Array(16).fill(1));
  const real = [2, 3, 3, 1];
  close(F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, divisorOverride: 2 }).dataSync(), real.flatMap((a) => real.map((b) => (a * b) / 2)));
  assert.equal(F.avgPool2d(x, 3, { stride: 2, padding: 1 }).shape, [1, 1, 3, 3]); // floor mode
});

test('avg_pool2d 2×2 ceil_mode on 3×3 (no padding): the partial window averages what it covers', () => {
  const x = arange(9).reshape([1, 1, 3, 3]); // 3h + w
  const y = F.avgPool2d(x, 2, { ceilMode: true });
  close(y.dataSync(), [(0 + 1 + 3 + 4) / 4, (2 + 5) / 2, (6 + 7) / 2, 8]);
  assert.equal(F.avgPool2d(x, 2).shape, [1, 1, 1, 1]);
});

test('avg_pool2d matches the naive reference (non-square, strided, padded, ceil, divisor)', () => {
  const shape = [2, 3, 7, 6];
  const xv = uniformValues(numel(shape));
  const configs: { k: P2; s: P2; p: P2; ceil: boolean; cip: boolean; div?: number }[] = [
    { k: [2, 2], s: [2, 2], p: [0, 0], ceil: false, cip: true },
    { k: [3, 2], s: [2, 1], p: [1, 1], ceil: false, cip: true },
    { k: [3, 2], s: [2, 1], p: [1, 1], ceil: false, cip: false },
    { k: [3, 3], s: [2, 2], p: [1, 0], ceil: true, cip: true },
    { k: [3, 3], s: [2, 2], p: [1, 0], ceil: true, cip: false },
    { k: [2, 3], s: [3, 2], p: [1, 1], ceil: true, cip: true },
    { k: [4, 3], s: [3, 2], p: [2, 1], ceil: true, cip: true, div: 5 },
  ];
  for (const c of configs) {
    const ref = refAvgPool(xv, shape, c.k, c.s, c.p, c.ceil, c.cip, c.div);
    for (const dtype of ['float32', 'float64'] as const) {
      const y = F.avgPool2d(tensor(xv, shape, { dtype }), c.k, { stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad: c.cip, divisorOverride: c.div });
      assert.equal(y.shape, ref.shape, JSON.stringify(c));
      assert.is(y.dtype, dtype);
      close(y.dataSync(), ref.out, dtype === 'float32' ? 1e-5 : 1e-12, JSON.stringify(c));
    }
  }
});

test('avg_pool2d reads non-contiguous views and unbatched [C,H,W] input', () => {
  const base = uniformValues(2 * 6 * 5);
  const xt = tensor(base, [1, 2, 6, 5]).transpose(2, 3); // [1,2,5,6], strided
  const dense: number[] = [];
  for (let c = 0; c < 2; c++) for (let h = 0; h < 5; h++) for (let w = 0; w < 6; w++) dense.push(base[c * 30 + w * 5 + h]);
  const ref = refAvgPool(dense, [1, 2, 5, 6], [2, 3], [1, 2], [1, 1], false, false);
  close(F.avgPool2d(xt, [2, 3], { stride: [1, 2], padding: 1, countIncludePad: false }).dataSync(), ref.out, 1e-5);
  const un = F.avgPool2d(tensor(dense, [2, 5, 6]), [2, 3], { stride: [1, 2], padding: 1, countIncludePad: false });
  assert.equal(un.shape, ref.shape.slice(1)); // [2,6,3]
  close(un.dataSync(), ref.out, 1e-5);
});

// ---- max_pool2d / max_pool1d: hand values ----------------------------------------------------------------

test('max_pool2d 2×2 on 4×4 with indices (first max wins on ties)', () => {
  const x = tensor([[1, 5, 2, 0], [3, 4, 8, 7], [6, 0, 1, 2], [6, 6, 3, 5]]).reshape([1, 1, 4, 4]);
  const { values, indices } = F.maxPool2dWithIndices(x, 2);
  assert.equal(values.shape, [1, 1, 2, 2]);
  assert.is(indices.dtype, 'int32');
  assert.equal(vals(values), [5, 8, 6, 5]);
  assert.equal(vals(indices), [1, 6, 8, 15]); // the bottom-left window {6,0,6,6} picks its first 6 (flat 8)
  assert.equal(vals(F.maxPool2d(x, 2)), [5, 8, 6, 5]);
});

test('max_pool2d with dilation 2: taps (i,j), (i,j+2), (i+2,j), (i+2,j+2)', () => {
  const x = arange(25).reshape([1, 1, 5, 5]);
  const { values, indices } = F.maxPool2dWithIndices(x, 2, { stride: 1, dilation: 2 });
  assert.equal(values.shape, [1, 1, 3, 3]);
  assert.equal(vals(values), [12, 13, 14, 17, 18, 19, 22, 23, 24]);
  assert.equal(vals(indices), [12, 13, 14, 17, 18, 19, 22, 23, 24]);
});

test('max_pool2d: padding is −inf (an all-negative border stays negative)', () => {
  const x = tensor([[-1, -2], [-3, -4]]).reshape([1, 1, 2, 2]);
  const { values, indices } = F.maxPool2dWithIndices(x, 2, { stride: 1, padding: 1 });
  assert.equal(values.shape, [1, 1, 3, 3]);
  assert.equal(vals(values), [-1, -1, -2, -1, -1, -2, -3, -3, -4]);
  assert.equal(vals(indices), [0, 0, 1, 0, 0, 1, 2, 2, 3]);
});

test('max_pool2d propagates NaN (a later NaN in the window replaces an earlier one, like PyTorch)', () => {
  const x = tensor([[1, NaN, 3, 4], [NaN, 2, 0, 9]]).reshape([1, 1, 2, 4]);
  const { values, indices } = F.maxPool2dWithIndices(x, 2);
  const v = vals(values);
  assert.ok(Number.isNaN(v[0]));
  assert.is(v[1], 9);
  assert.equal(vals(indices), [4, 7]);
  const y = F.maxPool2dWithIndices(tensor([[-Infinity, -Infinity], [-Infinity, -Infinity]]).reshape([1, 1, 2, 2]), 2);
  assert.equal(vals(y.values), [-Infinity]);
  assert.equal(vals(y.indices), [0]);
});

test('max_pool2d backward: an element that is the max of several windows gets every gradient', () => {
  const x = tensor([1, 2, 3, 4, 9, 5, 6, 7, 8], [1, 1, 3, 3], { requiresGrad: true });
  F.maxPool2d(x, 2, { stride: 1 }).sum().backward();
  // all four 2×2 windows pick the centre
  assert.equal(vals(x.grad!), [0, 0, 0, 0, 4, 0, 0, 0, 0]);
});

test('max_pool2d matches the naive reference (non-square, strided, padded, dilated, ceil)', () => {
  const shape = [2, 2, 7, 8];
  const xv = uniformValues(numel(shape));
  const configs: { k: P2; s: P2; p: P2; d: P2; ceil: boolean }[] = [
    { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false },
    { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: false },
    { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true },
    { k: [3, 2], s: [2, 3], p: [1, 0], d: [2, 1], ceil: true },
    { k: [2, 3], s: [1, 2], p: [1, 1], d: [2, 2], ceil: false },
    { k: [4, 4], s: [3, 3], p: [2, 2], d: [1, 1], ceil: true },
  ];
  for (const c of configs) {
    const ref = refMaxPool(xv, shape, c.k, c.s, c.p, c.d, c.ceil);
    const r = F.maxPool2dWithIndices(tensor(xv, shape), c.k, { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil });
    assert.equal(r.values.shape, ref.shape, JSON.stringify(c));
    close(r.values.dataSync(), ref.values, 1e-6, JSON.stringify(c));
    assert.equal(vals(r.indices), ref.indices, JSON.stringify(c));
  }
});

test('max_pool2d on an unbatched [C,H,W] strided view', () => {
  const base = uniformValues(3 * 5 * 4);
  const xt = tensor(base, [3, 4, 5]).transpose(1, 2); // [3,5,4]
  const dense: number[] = [];
  for (let c = 0; c < 3; c++) for (let h = 0; h < 5; h++) for (let w = 0; w < 4; w++) dense.push(base[c * 20 + w * 5 + h]);
  const ref = refMaxPool(dense, [1, 3, 5, 4], [3, 2], [2, 1], [1, 1], [1, 1], true);
  const r = F.maxPool2dWithIndices(xt, [3, 2], { stride: [2, 1], padding: 1, ceilMode: true });
  assert.equal(r.values.shape, ref.shape.slice(1));
  assert.equal(r.indices.shape, ref.shape.slice(1));
  close(r.values.dataSync(), ref.values);
  assert.equal(vals(r.indices), ref.indices);
});

test('max_pool1d: padding, ceil_mode (growing and the right-padding rule), indices over L', () => {
  const x = tensor([3, 1, 4, 1, 5]).reshape([1, 1, 5]);
  let r = F.maxPool1dWithIndices(x, 2, { stride: 2, padding: 1 }); // windows {3}, {1,4}, {1,5}
  assert.equal(r.values.shape, [1, 1, 3]);
  assert.equal(vals(r.values), [3, 4, 5]);
  assert.equal(vals(r.indices), [0, 2, 4]);
  // ceil would add a 4th window starting at 5 = L + pad (all right padding): PyTorch drops it
  assert.equal(F.maxPool1d(x, 2, { stride: 2, padding: 1, ceilMode: true }).shape, [1, 1, 3]);
  // without padding ceil_mode adds the partial window {5}
  assert.equal(vals(F.maxPool1d(x, 2)), [3, 4]);
  r = F.maxPool1dWithIndices(x, 2, { ceilMode: true });
  assert.equal(vals(r.values), [3, 4, 5]);
  assert.equal(vals(r.indices), [0, 2, 4]);
  // dilation 2, stride 1: max(x[i], x[i+2])
  assert.equal(vals(F.maxPool1d(x, 2, { stride: 1, dilation: 2 })), [4, 1, 5]);
  // unbatched [C,L]
  const u = F.maxPool1dWithIndices(tensor([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]]), 3, { stride: 2 });
  assert.equal(u.values.shape, [2, 2]);
  assert.equal(vals(u.values), [4, 5, 9, 6]);
  assert.equal(vals(u.indices), [2, 4, 0, 2]);
});

// ---- adaptive pools: hand values -----------------------------------------------------------------

test('adaptive_avg_pool 5→3 uses the bins [0,2), [1,4), [3,5)', () => {
  const x = tensor([1, 2, 3, 4, 5]).reshape([1, 1, 1, 5]);
  close(F.adaptiveAvgPool2d(x, [1, 3]).dataSync(), [1.5, 3, 4.5]);
  close(F.adaptiveAvgPool2d(x, [null, 3]).dataSync(), [1.5, 3, 4.5]);
  close(F.adaptiveAvgPool1d(tensor([[1, 2, 3, 4, 5]]), 3).dataSync(), [1.5, 3, 4.5]);
  // 5×5 arange (5h + w): bin means of rows/cols are 0.5, 2, 3.5, so out = 5·m_i + m_j
  const m = [0.5, 2, 3.5];
  const y = F.adaptiveAvgPool2d(arange(25).reshape([1, 5, 5]), 3);
  assert.equal(y.shape, [1, 3, 3]);
  close(y.dataSync(), m.flatMap((a) => m.map((b) => 5 * a + b)));
});

test('adaptive_avg_pool2d with [null, 1] is the mean over W, [1, null] the mean over H', () => {
  const x = tensor([[[1, 2, 6], [4, 5, 9]], [[0, 0, 3], [-1, 1, 2]]]).reshape([1, 2, 2, 3]);
  const w = F.adaptiveAvgPool2d(x, [null, 1]);
  assert.equal(w.shape, [1, 2, 2, 1]);
  close(w.dataSync(), [3, 6, 1, 2 / 3]);
  const h = F.adaptiveAvgPool2d(x, [1, null]);
  assert.equal(h.shape, [1, 2, 1, 3]);
  close(h.dataSync(), [2.5, 3.5, 7.5, -0.5, 0.5, 2.5]);
  close(F.adaptiveAvgPool2d(x, 1).dataSync(), [27 / 6, 5 / 6]);
});

test('adaptive_max_pool2d 5→3 with indices', () => {
  const x = tensor([5, 1, 4, 2, 3]).reshape([1, 1, 1, 5]);
  const r = F.adaptiveMaxPool2dWithIndices(x, [1, 3]); // bins {5,1}, {1,4,2}, {2,3}
  assert.equal(vals(r.values), [5, 4, 3]);
  assert.equal(vals(r.indices), [0, 2, 4]);
  const g = F.adaptiveMaxPool2dWithIndices(tensor([[1, 7], [7, 2]]).reshape([1, 2, 2]), 1);
  assert.equal(g.values.shape, [1, 1, 1]);
  assert.equal(vals(g.values), [7]);
  assert.equal(vals(g.indices), [1]); // first of the tied 7s
  // an all −inf bin points at its first cell
  const inf = F.adaptiveMaxPool2dWithIndices(tensor([1, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity], [1, 1, 2, 3]), [1, 2]);
  assert.equal(vals(inf.values), [1, -Infinity]); // bins over W: [0,2), [1,3)
  assert.equal(vals(inf.indices), [0, 1]);
  const n = F.adaptiveMaxPool2d(tensor([[1, NaN], [3, 2]]).reshape([1, 1, 2, 2]), 1);
  assert.ok(Number.isNaN(vals(n)[0]));
});

test('adaptive pools match the naive reference (non-divisible, larger-than-input, null sizes)', () => {
  const shape = [2, 3, 5, 7];
  const xv = uniformValues(numel(shape));
  const outs: [P2, import('../src/ops/pool.js').AdaptiveSize][] = [
    [[3, 4], [3, 4]], [[2, 3], [2, 3]], [[1, 1], 1], [[5, 1], [null, 1]], [[1, 7], [1, null]], [[7, 9], [7, 9]], [[4, 4], 4],
  ];
  for (const [o, arg] of outs) {
    const a = refAdaptive(xv, shape, o, 'avg');
    const y = F.adaptiveAvgPool2d(tensor(xv, shape), arg);
    assert.equal(y.shape, a.shape);
    close(y.dataSync(), a.values, 1e-5, `avg ${o}`);
    const m = refAdaptive(xv, shape, o, 'max');
    const r = F.adaptiveMaxPool2dWithIndices(tensor(xv, shape), arg);
    close(r.values.dataSync(), m.values, 1e-6, `max ${o}`);
    assert.equal(vals(r.indices), m.indices, `max ${o}`);
  }
  // 1-d over a strided [N,C,L] view
  const base = uniformValues(2 * 7 * 3);
  const xt = tensor(base, [2, 7, 3]).transpose(1, 2); // [2,3,7]
  const dense: number[] = [];
  for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let l = 0; l < 7; l++) dense.push(base[n * 21 + l * 3 + c]);
  const ref = refAdaptive(dense, [2, 3, 1, 7], [1, 3], 'avg');
  const y1 = F.adaptiveAvgPool1d(xt, 3);
  assert.equal(y1.shape, [2, 3, 3]);
  close(y1.dataSync(), ref.values, 1e-5);
});

// ---- gradchecks (float64, finite differences) ----------------------------------------------------

const avgCases: [string, number[], Parameters<typeof F.avgPool2d>[1], Parameters<typeof F.avgPool2d>[2]][] = [
  ['k2 (stride = kernel)', [1, 2, 4, 6], 2, {}],
  ['k3 s2 p1 count_include_pad', [1, 2, 5, 5], 3, { stride: 2, padding: 1 }],
  ['k3 s2 p1 exclude pad', [1, 2, 5, 5], 3, { stride: 2, padding: 1, countIncludePad: false }],
  ['k3 s2 p1 ceil on 6×6', [1, 2, 6, 6], 3, { stride: 2, padding: 1, ceilMode: true }],
  ['k3 s2 p1 ceil on 6×6, exclude pad', [1, 2, 6, 6], 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
  ['non-square k[2,3] s[1,2] p[1,1]', [2, 1, 5, 6], [2, 3], { stride: [1, 2], padding: [1, 1] }],
  ['divisor_override 3, overlapping', [1, 2, 5, 5], 3, { stride: 1, padding: 1, divisorOverride: 3 }],
];
for (const [name, shape, k, opts] of avgCases) {
  test(`gradcheck avg_pool2d ${name}`, () => assertGradcheck((x) => F.avgPool2d(x, k, opts), [smooth(shape)]));
}
test('gradcheck avg_pool2d on a transposed view and unbatched', () => {
  assertGradcheck((x) => F.avgPool2d(x.transpose(2, 3), [3, 2], { stride: [2, 1], padding: 1, ceilMode: true }), [smooth([1, 2, 5, 6])]);
  assertGradcheck((x) => F.avgPool2d(x, 2, { stride: 1 }), [smooth([2, 4, 5])]);
});

const maxCases: [string, number[], Parameters<typeof F.maxPool2d>[1], Parameters<typeof F.maxPool2d>[2]][] = [
  ['k2', [1, 2, 4, 6], 2, {}],
  ['k3 s2 p1', [1, 2, 5, 5], 3, { stride: 2, padding: 1 }],
  ['k3 s2 p1 ceil on 6×6', [1, 2, 6, 6], 3, { stride: 2, padding: 1, ceilMode: true }],
  ['overlapping k3 s1 (one argmax feeds several windows)', [1, 1, 6, 6], 3, { stride: 1 }],
  ['dilation 2', [1, 2, 6, 6], 2, { stride: 1, dilation: 2 }],
  ['non-square k[3,2] s[2,1] p[1,0] d[1,2] ceil', [2, 1, 6, 7], [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], ceilMode: true }],
];
for (const [name, shape, k, opts] of maxCases) {
  test(`gradcheck max_pool2d ${name}`, () => assertGradcheck((x) => F.maxPool2d(x, k, opts), [distinct(shape)]));
}
test('gradcheck max_pool2d on a transposed view and unbatched; values of the WithIndices form', () => {
  assertGradcheck((x) => F.maxPool2d(x.transpose(2, 3), 2, { stride: 1, padding: 1 }), [distinct([1, 2, 4, 5])]);
  assertGradcheck((x) => F.maxPool2dWithIndices(x, [2, 3], { stride: 2 }).values, [distinct([2, 5, 6])]);
});
test('gradcheck max_pool1d (batched, unbatched, padded, dilated, ceil)', () => {
  assertGradcheck((x) => F.maxPool1d(x, 2), [distinct([2, 3, 8])]);
  assertGradcheck((x) => F.maxPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [distinct([2, 3, 8])]);
  assertGradcheck((x) => F.maxPool1dWithIndices(x, 2, { stride: 1, dilation: 3 }).values, [distinct([3, 9])]);
});

test('gradcheck adaptive_avg_pool2d (non-divisible, larger than input, [null,1], [1,null], 1)', () => {
  for (const out of [[3, 4], [7, 9], [null, 1], [1, null], 1] as const) {
    assertGradcheck((x) => F.adaptiveAvgPool2d(x, out), [smooth([1, 2, 5, 7])]);
  }
  assertGradcheck((x) => F.adaptiveAvgPool2d(x.transpose(1, 2), [2, 3]), [smooth([2, 7, 5])]); // unbatched, strided
});
test('gradcheck adaptive_max_pool2d (non-divisible, overlapping bins, 1)', () => {
  for (const out of [[3, 4], [4, 6], [null, 2], 1] as const) {
    assertGradcheck((x) => F.adaptiveMaxPool2d(x, out), [distinct([1, 2, 5, 7])]);
  }
  assertGradcheck((x) => F.adaptiveMaxPool2dWithIndices(x, [2, 2]).values, [distinct([2, 5, 5])]);
});
test('gradcheck adaptive_avg_pool1d', () => {
  assertGradcheck((x) => F.adaptiveAvgPool1d(x, 3), [smooth([2, 3, 7])]);
  assertGradcheck((x) => F.adaptiveAvgPool1d(x, 1), [smooth([3, 5])]);
  assertGradcheck((x) => F.adaptiveAvgPool1d(x, 8), [smooth([1, 2, 5])]);
});

// ---- errors ----------------------------------------------------------------------------------------

test('errors: kernel larger than the padded input', () => {
  throwsWith(() => F.avgPool2d(ones([1, 1, 3, 3]), 4), /^avg_pool2d:/, shapeRe(1, 1, 3, 3), /too small/, shapeRe(4, 4));
  throwsWith(() => F.maxPool2d(ones([1, 1, 3, 3]), 2, { dilation: 3 }), /^max_pool2d:/, shapeRe(1, 1, 3, 3), /dilation \[3,3\]/);
  throwsWith(() => F.maxPool1d(ones([2, 4]), 5), /^max_pool1d:/, shapeRe(2, 4), /kernel 5/);
});

test('errors: padding larger than half the kernel', () => {
  throwsWith(() => F.avgPool2d(ones([1, 1, 8, 8]), 3, { padding: 2 }), /^avg_pool2d:/, /padding \[2,2\]/, /half the kernel size \[3,3\]/, shapeRe(1, 1, 8, 8));
  throwsWith(() => F.maxPool2d(ones([1, 1, 8, 8]), [4, 2], { padding: [2, 2] }), /^max_pool2d:/, /padding \[2,2\]/, /\[4,2\]/);
  throwsWith(() => F.maxPool1d(ones([1, 1, 8]), 2, { padding: 2 }), /^max_pool1d:/, /padding 2/);
});

test('errors: bad sizes, ranks, dtypes and options', () => {
  throwsWith(() => F.avgPool2d(ones([4, 4]), 2), /^avg_pool2d:/, /3-D/, shapeRe(4, 4));
  throwsWith(() => F.maxPool1d(ones([1, 1, 4, 4]), 2), /^max_pool1d:/, shapeRe(1, 1, 4, 4));
  throwsWith(() => F.maxPool2d(ones([1, 1, 4, 4]), 0), /^max_pool2d:/, /kernel_size/);
  throwsWith(() => F.maxPool2d(ones([1, 1, 4, 4]), 2, { stride: 0 }), /^max_pool2d:/, /stride/);
  throwsWith(() => F.avgPool2d(ones([1, 1, 4, 4]), 2, { divisorOverride: 0 }), /^avg_pool2d:/, /divisor_override/);
  throwsWith(() => F.avgPool2d(tensor(Int32Array.from([1, 2, 3, 4]), [1, 1, 2, 2]), 2), /^avg_pool2d:/, /int32/);
  throwsWith(() => F.adaptiveAvgPool2d(ones([1, 2, 4, 4]), [0, 2]), /^adaptive_avg_pool2d:/, /output_size/, shapeRe(1, 2, 4, 4));
  throwsWith(() => F.adaptiveMaxPool2d(ones([1, 2, 4, 4]), -1), /^adaptive_max_pool2d:/, /output_size/);
  throwsWith(() => F.adaptiveAvgPool2d(ones([1, 2, 4, 4]), [1.5, 2]), /^adaptive_avg_pool2d:/, /output_size/);
  throwsWith(() => F.adaptiveAvgPool2d(ones([4, 4]), 1), /^adaptive_avg_pool2d:/, shapeRe(4, 4));
  throwsWith(() => F.adaptiveAvgPool1d(ones([1, 2, 4]), 0), /^adaptive_avg_pool1d:/, /output_size/, shapeRe(1, 2, 4));
  throwsWith(() => F.adaptiveAvgPool2d(ones([1, 2, 0, 4]), 1), /^adaptive_avg_pool2d:/, shapeRe(1, 2, 0, 4));
});

test.run();
