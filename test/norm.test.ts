// Normalisation: layer_norm, group_norm, batch_norm (train and eval, running
// stats), instance_norm and the channels-first LayerNorm.
// - Forward values are checked against hand computation and against a naive
//   reference written here with plain JS arrays and loops (mean, biased var,
//   (x − mean)/sqrt(var + eps), then the affine), never against the code under test.
// - Gradients: float64 finite-difference gradchecks for x, weight and bias in
//   every configuration, including non-contiguous (permuted) inputs.
// - Errors name the op and the shapes.
// Tolerances: float32 results vs the float64 reference at 2e-5 relative to max(1, |expected|);
// float64 results at 1e-10.
// Run: node tools/run-tests.mjs norm
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { F, noGrad, ones, tensor, zeros, type Tensor } from '../src/index.js';
import { assertGradcheck, closeTo, numel, seededInputs, shapeRe as shape, throwsWith } from './helpers/assert.js';

// ---- helpers -------------------------------------------------------------------------------

const close = closeTo(2e-5);

const { normalValues } = seededInputs(1);
/** n normal values · scale + shift, rounded to float32 (so the reference sees what a float32 tensor holds). */
function randArr(n: number, scale = 1, shift = 0): number[] {
  return Array.from(Float32Array.from(normalValues(n), (v) => v * scale + shift));
}
const f32 = (vals: number[], shape: readonly number[]) => tensor(Float32Array.from(vals), [...shape]);
const f64 = (vals: number[], shape: readonly number[], requiresGrad = false) => tensor(Float64Array.from(vals), [...shape], { requiresGrad });

/** Row-major multi-index of flat position i. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = i % shape[d]; i = Math.floor(i / shape[d]); }
  return idx;
}

interface RefStats {
  y: number[];
  /** group key of each element: the row-major index over the dims outside `axes` */
  key: number[];
  mean: Map<number, number>;
  /** biased variance */
  varB: Map<number, number>;
  count: Map<number, number>;
}

/**
 * The naive reference: group elements by their indices outside `axes`,
 * mean = Σx/n, var = Σ(x − mean)²/n, y = (x − mean)/sqrt(var + eps).
 */
function refNormalize(x: readonly number[], shape: readonly number[], axes: readonly number[], eps: number): RefStats {
  const key = x.map((_, i) => {
    const idx = unravel(i, shape);
    let k = 0;
    for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) k = k * shape[d] + idx[d];
    return k;
  });
  const sum = new Map<number, number>(), count = new Map<number, number>();
  x.forEach((v, i) => { sum.set(key[i], (sum.get(key[i]) ?? 0) + v); count.set(key[i], (count.get(key[i]) ?? 0) + 1); });
  const mean = new Map<number, number>();
  for (const [k, s] of sum) mean.set(k, s / count.get(k)!);
  const sq = new Map<number, number>();
  x.forEach((v, i) => { const d = v - mean.get(key[i])!; sq.set(key[i], (sq.get(key[i]) ?? 0) + d * d); });
  const varB = new Map<number, number>();
  for (const [k, s] of sq) varB.set(k, s / count.get(k)!);
  const y = x.map((v, i) => (v - mean.get(key[i])!) / Math.sqrt(varB.get(key[i])! + eps));
  return { y, key, mean, varB, count };
}

/** out_i = y_i · w[p(i)] + b[p(i)], where p maps the multi-index to the parameter's flat index. */
function refAffine(y: readonly number[], shape: readonly number[], w: readonly number[] | null, b: readonly number[] | null, p: (idx: number[]) => number): number[] {
  return y.map((v, i) => {
    const k = p(unravel(i, shape));
    return v * (w ? w[k] : 1) + (b ? b[k] : 0);
  });
}
const channelOf = (idx: number[]) => idx[1];

/** Per-channel values of a stats map from refNormalize over all axes but 1 (keys are then the channel index). */
const perChannel = (m: Map<number, number>, C: number) => Array.from({ length: C }, (_, c) => m.get(c)!);

// ---- layer norm: forward -----------------------------------------------------------------------

test('layerNorm by hand: [1,2,3] and [2,4,6,8]', () => {
  // mean 2, biased var 2/3: y = (-1, 0, 1) / sqrt(2/3 + 1e-5)
  const s = 1 / Math.sqrt(2 / 3 + 1e-5);
  close(F.layerNorm(tensor([1, 2, 3]), 3).dataSync(), [-s, 0, s]);
  // mean 5, var (9+1+1+9)/4 = 5, eps 0.1 inside the sqrt; weight 2, bias 1
  const t = 1 / Math.sqrt(5.1);
  const out = F.layerNorm(tensor([[2, 4, 6, 8]]), [4], tensor([2, 2, 2, 2]), tensor([1, 1, 1, 1]), 0.1);
  close(out.dataSync(), [-3 * t * 2 + 1, -t * 2 + 1, t * 2 + 1, 3 * t * 2 + 1]);
  assert.equal(out.shape, [1, 4]);
});

test('layerNorm over 1 trailing dim of [2,3,4] with weight/bias [4] matches the naive reference', () => {
  const shape = [2, 3, 4];
  const x = randArr(24, 2, 1), w = randArr(4), b = randArr(4);
  const ref = refAffine(refNormalize(x, shape, [2], 1e-5).y, shape, w, b, (idx) => idx[2]);
  close(F.layerNorm(f32(x, shape), [4], f32(w, [4]), f32(b, [4])).dataSync(), ref);
  // no affine, eps given; float64 stays float64
  const y = F.layerNorm(f64(x, shape), 4, null, null, 1e-3);
  assert.is(y.dtype, 'float64');
  close(y.dataSync(), refNormalize(x, shape, [2], 1e-3).y, 1e-10);
});

test('layerNorm over 2 trailing dims of [2,3,4] with weight/bias [3,4] matches the naive reference', () => {
  const shape = [2, 3, 4];
  const x = randArr(24, 3), w = randArr(12), b = randArr(12);
  const ref = refAffine(refNormalize(x, shape, [1, 2], 1e-5).y, shape, w, b, (idx) => idx[1] * 4 + idx[2]);
  close(F.layerNorm(f32(x, shape), [3, 4], f32(w, [3, 4]), f32(b, [3, 4])).dataSync(), ref);
});

test('layerNorm over channels of [B,1,C] and of a permuted (non-contiguous) input', () => {
  const x = randArr(2 * 5);
  close(F.layerNorm(f32(x, [2, 1, 5]), [5]).dataSync(), refNormalize(x, [2, 1, 5], [2], 1e-5).y);
  // [4,2,3] permuted to [2,3,4]: compare with the reference on the permuted values
  const raw = randArr(24);
  const xt = f32(raw, [4, 2, 3]).permute(1, 2, 0);
  assert.not.ok(xt.isContiguous());
  const permuted = Array.from(xt.contiguous().dataSync());
  close(F.layerNorm(xt, [4]).dataSync(), refNormalize(permuted, [2, 3, 4], [2], 1e-5).y);
});

test('normalize keeps float32 accuracy for a large mean and a small spread (two-pass variance)', () => {
  // x = 1000 + small values: Σx² − n·mean² in float32 would lose the variance entirely
  const x = Array.from(Float32Array.from({ length: 16 }, (_, i) => 1000 + ((i * 7) % 16) * 0.01));
  close(F.layerNorm(f32(x, [16]), [16]).dataSync(), refNormalize(x, [16], [0], 1e-5).y, 1e-3);
});

test('layerNormChannelsFirst: per pixel over C of [2,3,2,2], eps 1e-6 inside the sqrt, weight/bias [C]', () => {
  const shape = [2, 3, 2, 2];
  const x = randArr(24, 1.5, -0.5), w = randArr(3), b = randArr(3);
  const ref = refAffine(refNormalize(x, shape, [1], 1e-6).y, shape, w, b, channelOf);
  close(F.layerNormChannelsFirst(f32(x, shape), f32(w, [3]), f32(b, [3])).dataSync(), ref);
  // eps is 1e-6 by default: a tiny-variance pixel shows it
  // [1,2,2,1]: pixel h=0 holds (0, 0); pixel h=1 holds (2e-3, 0): mean 1e-3, biased var 1e-6
  const tiny = [0, 2e-3, 0, 0];
  const s = 1 / Math.sqrt(1e-6 + 1e-6);
  close(F.layerNormChannelsFirst(f64(tiny, [1, 2, 2, 1]), null, null).dataSync(), [0, 1e-3 * s, 0, -1e-3 * s], 1e-9);
});

// ---- group norm: forward -----------------------------------------------------------------------

for (const shape of [[2, 4, 5], [2, 4, 3, 3], [1, 4, 2, 2, 2]]) {
  for (const G of [1, 2, 4]) {
    test(`groupNorm G=${G} on ${JSON.stringify(shape)} matches the naive reference`, () => {
      const n = numel(shape);
      const x = randArr(n, 2, 0.5), w = randArr(4), b = randArr(4);
      // the reference sees [N,G,C/G,*] and normalises all dims after G
      const grouped = [shape[0], G, 4 / G, ...shape.slice(2)];
      const axes = grouped.map((_, i) => i).filter((i) => i >= 2);
      const ref = refAffine(refNormalize(x, grouped, axes, 1e-5).y, shape, w, b, channelOf);
      close(F.groupNorm(f32(x, shape), G, f32(w, [4]), f32(b, [4])).dataSync(), ref);
    });
  }
}

test('groupNorm G=C is per-channel instance norm; 2-D [N,C] input; permuted input', () => {
  const shape = [2, 3, 4];
  const x = randArr(24);
  close(F.groupNorm(f32(x, shape), 3).dataSync(), refNormalize(x, shape, [2], 1e-5).y);
  // [N,C] with G=2: each sample's channels split in two groups of 2
  const x2 = randArr(8);
  close(F.groupNorm(f32(x2, [2, 4]), 2).dataSync(), refNormalize(x2, [2, 2, 2], [2], 1e-5).y);
  // channels-last memory seen as [2,4,3,3]
  const raw = randArr(72);
  const xt = f32(raw, [2, 3, 3, 4]).permute(0, 3, 1, 2);
  const vals = Array.from(xt.contiguous().dataSync());
  close(F.groupNorm(xt, 2).dataSync(), refNormalize(vals, [2, 2, 2, 3, 3], [2, 3, 4], 1e-5).y);
});

// ---- batch norm: forward + running stats --------------------------------------------------------

test('batchNorm train by hand: x [2,1] = [[1],[3]], running stats 0 and 1', () => {
  const rm = zeros([1]), rv = ones([1]);
  const y = F.batchNorm(tensor([[1], [3]]), rm, rv, { training: true });
  // mean 2, biased var 1 -> y = ∓1/sqrt(1 + 1e-5); unbiased var 2
  const s = 1 / Math.sqrt(1 + 1e-5);
  close(y.dataSync(), [-s, s]);
  close(rm.dataSync(), [0.9 * 0 + 0.1 * 2]);
  close(rv.dataSync(), [0.9 * 1 + 0.1 * 2]);
});

for (const momentum of [0.1, 0.01]) {
  test(`batchNorm train on [4,3,2,2], momentum ${momentum}: output and running stats by hand`, () => {
    const shape = [4, 3, 2, 2];
    const x = randArr(48, 2, 1), w = randArr(3), b = randArr(3);
    const rm0 = [0.5, -1, 2], rv0 = [1, 2, 0.5];
    const rm = f32(rm0, [3]), rv = f32(rv0, [3]);
    const out = F.batchNorm(f32(x, shape), rm, rv, { weight: f32(w, [3]), bias: f32(b, [3]), training: true, momentum });
    const ref = refNormalize(x, shape, [0, 2, 3], 1e-5);
    close(out.dataSync(), refAffine(ref.y, shape, w, b, channelOf));
    // running = (1 − m)·running + m·stat, with the unbiased var n/(n − 1)·var for running_var
    const mean = perChannel(ref.mean, 3), varB = perChannel(ref.varB, 3), n = 16;
    close(rm.dataSync(), rm0.map((r, c) => (1 - momentum) * r + momentum * mean[c]));
    close(rv.dataSync(), rv0.map((r, c) => (1 - momentum) * r + momentum * varB[c] * n / (n - 1)));
  });
}

test('batchNorm train, 1-D on [N,C] and [N,C,L], without running stats', () => {
  const x = randArr(15);
  close(F.batchNorm(f32(x, [5, 3]), null, null, { training: true }).dataSync(), refNormalize(x, [5, 3], [0], 1e-5).y);
  const x3 = randArr(24), w = randArr(2), b = randArr(2);
  const ref = refAffine(refNormalize(x3, [3, 2, 4], [0, 2], 0.01).y, [3, 2, 4], w, b, channelOf);
  close(F.batchNorm(f32(x3, [3, 2, 4]), null, null, { training: true, weight: f32(w, [2]), bias: f32(b, [2]), eps: 0.01 }).dataSync(), ref);
});

test('batchNorm train on [N,C,L] updates running stats over N and L', () => {
  const shape = [3, 2, 4];
  const x = randArr(24, 1, 3);
  const rm = zeros([2]), rv = ones([2]);
  F.batchNorm(f32(x, shape), rm, rv, { training: true });
  const ref = refNormalize(x, shape, [0, 2], 1e-5);
  const mean = perChannel(ref.mean, 2), varB = perChannel(ref.varB, 2);
  close(rm.dataSync(), mean.map((m) => 0.1 * m));
  close(rv.dataSync(), varB.map((v) => 0.9 + 0.1 * v * 12 / 11));
});

test('batchNorm eval uses the running stats: (x − rm)/sqrt(rv + eps)·w + b, and leaves them alone', () => {
  const shape = [2, 3, 2];
  const x = randArr(12), w = randArr(3), b = randArr(3);
  const rm0 = [0.5, -1, 2], rv0 = [1, 2, 0.5];
  const rm = f32(rm0, [3]), rv = f32(rv0, [3]);
  const out = F.batchNorm(f32(x, shape), rm, rv, { weight: f32(w, [3]), bias: f32(b, [3]), eps: 0.01 });
  const ref = x.map((v, i) => { const c = unravel(i, shape)[1]; return (v - rm0[c]) / Math.sqrt(rv0[c] + 0.01) * w[c] + b[c]; });
  close(out.dataSync(), ref);
  close(rm.dataSync(), rm0);
  close(rv.dataSync(), rv0);
  // training: false is the default; [N,C] works too
  const x2 = randArr(6);
  close(F.batchNorm(f32(x2, [2, 3]), rm, rv).dataSync(), x2.map((v, i) => (v - rm0[i % 3]) / Math.sqrt(rv0[i % 3] + 1e-5)));
});

test('batchNorm momentum null: cumulative average over numBatchesTracked batches', () => {
  const rm = zeros([2]), rv = ones([2]);
  const batches = [randArr(8), randArr(8), randArr(8)];
  batches.forEach((x, k) => F.batchNorm(f32(x, [4, 2]), rm, rv, { training: true, momentum: null, numBatchesTracked: k + 1 }));
  const stats = batches.map((x) => refNormalize(x, [4, 2], [0], 1e-5));
  // the first batch replaces the initial stats; then each batch counts equally
  const avg = (f: (s: RefStats) => number[]) => [0, 1].map((c) => stats.reduce((a, s) => a + f(s)[c], 0) / 3);
  close(rm.dataSync(), avg((s) => perChannel(s.mean, 2)));
  close(rv.dataSync(), avg((s) => perChannel(s.varB, 2).map((v) => v * 4 / 3)));
});

test('batchNorm writes running stats into a strided view in place', () => {
  const buf = zeros([2, 3]);
  const rm = buf.select(0, 1), rv = ones([6]).slice([0, 6, 2]); // rows of a buffer, and a stride-2 view
  const x = randArr(12);
  F.batchNorm(f32(x, [4, 3]), rm, rv, { training: true, momentum: 0.5 });
  const ref = refNormalize(x, [4, 3], [0], 1e-5);
  close(Array.from(buf.dataSync()).slice(0, 3), [0, 0, 0], 0, 'untouched row');
  close(rm.dataSync(), perChannel(ref.mean, 3).map((m) => 0.5 * m));
  close(rv.dataSync(), perChannel(ref.varB, 3).map((v) => 0.5 + 0.5 * v * 4 / 3));
});

test('batchNorm running-stat update does not leak into autograd', () => {
  const xv = randArr(12);
  const run = (withStats: boolean) => {
    const x = f64(xv, [4, 3], true);
    const w = f64([1.5, -0.5, 2], [3], true);
    const rm = withStats ? zeros([3], { dtype: 'float64' }) : null;
    const rv = withStats ? ones([3], { dtype: 'float64' }) : null;
    const y = F.batchNorm(x, rm, rv, { training: true, weight: w });
    const before = rm ? Array.from(rm.dataSync()) : null;
    y.mul(f64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [4, 3])).sum().backward();
    if (rm && rv) {
      assert.not.ok(rm.requiresGrad || rv.requiresGrad, 'running stats must not require grad');
      assert.is(rm.gradFn, null);
      assert.is(rv.gradFn, null);
      assert.is(rm.grad, null);
      assert.equal(Array.from(rm.dataSync()), before, 'backward does not touch the running stats');
    }
    return [Array.from(x.grad!.dataSync()), Array.from(w.grad!.dataSync())];
  };
  const [gx1, gw1] = run(true), [gx2, gw2] = run(false);
  close(gx1, gx2, 1e-12);
  close(gw1, gw2, 1e-12);
  // the sum of the normalized output is constant in x: its gradient is 0
  const x = f64(xv, [4, 3], true);
  F.batchNorm(x, zeros([3], { dtype: 'float64' }), ones([3], { dtype: 'float64' }), { training: true }).sum().backward();
  close(x.grad!.dataSync(), new Array(12).fill(0), 1e-12);
});

test('batchNorm eval gradient is w/sqrt(rv + eps) per channel (no batch-stat terms)', () => {
  const x = f64(randArr(6), [2, 3], true);
  const w = [2, -1, 0.5], rv = [1, 4, 0.25];
  F.batchNorm(x, zeros([3], { dtype: 'float64' }), f64(rv, [3]), { weight: f64(w, [3]), eps: 0 }).sum().backward();
  close(x.grad!.dataSync(), [0, 1, 2, 0, 1, 2].map((c) => w[c] / Math.sqrt(rv[c])), 1e-12);
});

// ---- instance norm: forward + running stats ----------------------------------------------------

test('instanceNorm on [2,3,4] and [2,2,3,3] matches the naive reference (per (n, c) over spatial)', () => {
  const x = randArr(24, 2), w = randArr(3), b = randArr(3);
  const ref = refAffine(refNormalize(x, [2, 3, 4], [2], 1e-5).y, [2, 3, 4], w, b, channelOf);
  close(F.instanceNorm(f32(x, [2, 3, 4]), { weight: f32(w, [3]), bias: f32(b, [3]) }).dataSync(), ref);
  const x4 = randArr(36);
  close(F.instanceNorm(f32(x4, [2, 2, 3, 3])).dataSync(), refNormalize(x4, [2, 2, 3, 3], [2, 3], 1e-5).y);
});

test('instanceNorm running stats: per-instance stats averaged over N; useInputStats false uses them', () => {
  const shape = [2, 3, 4];
  const x = randArr(24, 1, 1);
  const rm0 = [0.5, -1, 2], rv0 = [1, 2, 0.5];
  const rm = f32(rm0, [3]), rv = f32(rv0, [3]);
  F.instanceNorm(f32(x, shape), { runningMean: rm, runningVar: rv, momentum: 0.2 });
  const ref = refNormalize(x, shape, [2], 1e-5); // keys: n·3 + c
  const avgN = (m: Map<number, number>, f = 1) => [0, 1, 2].map((c) => ((m.get(c)! + m.get(3 + c)!) / 2) * f);
  const mean = avgN(ref.mean), varU = avgN(ref.varB, 4 / 3);
  const rmNew = rm0.map((r, c) => 0.8 * r + 0.2 * mean[c]);
  const rvNew = rv0.map((r, c) => 0.8 * r + 0.2 * varU[c]);
  close(rm.dataSync(), rmNew);
  close(rv.dataSync(), rvNew);
  // eval-style: normalise with the running stats, which stay unchanged
  const out = F.instanceNorm(f32(x, shape), { runningMean: rm, runningVar: rv, useInputStats: false });
  close(out.dataSync(), x.map((v, i) => { const c = unravel(i, shape)[1]; return (v - rmNew[c]) / Math.sqrt(rvNew[c] + 1e-5); }));
  close(rm.dataSync(), rmNew);
});

// ---- gradchecks (float64, x, weight and bias) --------------------------------------------------

type Fn = (...xs: Tensor[]) => Tensor;
function gc(name: string, fn: Fn, shapes: number[][]): void {
  test(`gradcheck: ${name}`, () => {
    const inputs = shapes.map((s) => f64(randArr(numel(s), 1, 0.3), s, true));
    assertGradcheck(fn, inputs, name);
  });
}

gc('layerNorm [3,5] over 1 dim, weight/bias [5]', (x, w, b) => F.layerNorm(x, [5], w, b), [[3, 5], [5], [5]]);
gc('layerNorm [2,3,4] over 2 dims, weight/bias [3,4]', (x, w, b) => F.layerNorm(x, [3, 4], w, b), [[2, 3, 4], [3, 4], [3, 4]]);
gc('layerNorm without affine', (x) => F.layerNorm(x, 6), [[4, 6]]);
gc('layerNorm on a permuted input [4,2,3] -> [2,3,4]', (x, w, b) => F.layerNorm(x.permute(1, 2, 0), [4], w, b), [[4, 2, 3], [4], [4]]);
gc('layerNorm, weight only', (x, w) => F.layerNorm(x, [4], w), [[3, 4], [4]]);
gc('layerNormChannelsFirst [2,3,2,2]', (x, w, b) => F.layerNormChannelsFirst(x, w, b), [[2, 3, 2, 2], [3], [3]]);
gc('layerNormChannelsFirst on a channels-last input', (x, w, b) => F.layerNormChannelsFirst(x.permute(0, 3, 1, 2), w, b), [[2, 2, 3, 3], [3], [3]]);

for (const G of [1, 2, 4]) {
  gc(`groupNorm G=${G} on [2,4,5]`, (x, w, b) => F.groupNorm(x, G, w, b), [[2, 4, 5], [4], [4]]);
  gc(`groupNorm G=${G} on [2,4,3,3]`, (x, w, b) => F.groupNorm(x, G, w, b), [[2, 4, 3, 3], [4], [4]]);
}
gc('groupNorm G=2 on [3,4] (2-D)', (x, w, b) => F.groupNorm(x, 2, w, b), [[3, 4], [4], [4]]);
gc('groupNorm G=2 on [1,4,2,2,2] (5-D)', (x, w, b) => F.groupNorm(x, 2, w, b), [[1, 4, 2, 2, 2], [4], [4]]);
gc('groupNorm G=2 on a channels-last input', (x, w, b) => F.groupNorm(x.permute(0, 3, 1, 2), 2, w, b), [[2, 3, 3, 4], [4], [4]]);

gc('batchNorm train [6,3] (1-D) with running stats', (x, w, b) =>
  F.batchNorm(x, zeros([3], { dtype: 'float64' }), ones([3], { dtype: 'float64' }), { training: true, weight: w, bias: b }), [[6, 3], [3], [3]]);
gc('batchNorm train [3,2,4] (1-D on [N,C,L])', (x, w, b) => F.batchNorm(x, null, null, { training: true, weight: w, bias: b }), [[3, 2, 4], [2], [2]]);
gc('batchNorm train [2,3,2,2], momentum 0.01, eps 0.01', (x, w, b) =>
  F.batchNorm(x, zeros([3], { dtype: 'float64' }), ones([3], { dtype: 'float64' }), { training: true, weight: w, bias: b, momentum: 0.01, eps: 0.01 }), [[2, 3, 2, 2], [3], [3]]);
gc('batchNorm train on a channels-last input', (x, w, b) => F.batchNorm(x.permute(0, 3, 1, 2), null, null, { training: true, weight: w, bias: b }), [[2, 2, 2, 3], [3], [3]]);
gc('batchNorm eval [2,3,2,2]', (x, w, b) =>
  F.batchNorm(x, f64([0.5, -1, 2], [3]), f64([1, 2, 0.5], [3]), { weight: w, bias: b }), [[2, 3, 2, 2], [3], [3]]);
gc('batchNorm eval on a permuted input', (x, w, b) =>
  F.batchNorm(x.permute(1, 0), f64([0.5, -1, 2], [3]), f64([1, 2, 0.5], [3]), { weight: w, bias: b }), [[3, 4], [3], [3]]);

gc('instanceNorm [2,3,4] with weight/bias', (x, w, b) => F.instanceNorm(x, { weight: w, bias: b }), [[2, 3, 4], [3], [3]]);
gc('instanceNorm [2,2,3,3] with running stats', (x) =>
  F.instanceNorm(x, { runningMean: zeros([2], { dtype: 'float64' }), runningVar: ones([2], { dtype: 'float64' }) }), [[2, 2, 3, 3]]);
gc('instanceNorm on a permuted input', (x, w, b) => F.instanceNorm(x.permute(0, 2, 1), { weight: w, bias: b }), [[2, 5, 3], [3], [3]]);
gc('instanceNorm useInputStats false', (x, w, b) =>
  F.instanceNorm(x, { runningMean: f64([0.1, -0.2], [2]), runningVar: f64([0.5, 2], [2]), useInputStats: false, weight: w, bias: b }), [[2, 2, 4], [2], [2]]);

// ---- errors ------------------------------------------------------------------------------------

test('errors: layerNorm normalizedShape not matching the trailing dims; weight of the wrong shape', () => {
  throwsWith(() => F.layerNorm(zeros([2, 3]), 4), /^layer_norm:/, shape(4), shape(2, 3), /trailing/);
  throwsWith(() => F.layerNorm(zeros([2, 3, 4]), [2, 4]), /^layer_norm:/, shape(2, 4), shape(2, 3, 4));
  throwsWith(() => F.layerNorm(zeros([3]), [2, 3]), /^layer_norm:/, shape(2, 3), shape(3));
  throwsWith(() => F.layerNorm(zeros([2, 3]), [3], zeros([4])), /^layer_norm: weight/, shape(4), shape(3));
  throwsWith(() => F.layerNorm(zeros([2, 3]), [3], null, zeros([2, 3])), /^layer_norm: bias/, shape(2, 3));
  throwsWith(() => F.layerNorm(zeros([2, 3]), []), /^layer_norm:/);
  const e = throwsWith(() => F.layerNorm(tensor(Int32Array.from([1, 2]), [2]), 2), /^layer_norm:/, /float/);
  assert.instance(e, TypeError);
});

test('errors: groupNorm channels not divisible by groups; weight of the wrong size; bad input rank', () => {
  const e = throwsWith(() => F.groupNorm(zeros([2, 6, 3, 3]), 4), /^group_norm: 6 channels cannot be split into 4 groups \(input \[2,6,3,3\]\)$/);
  assert.instance(e, RangeError);
  throwsWith(() => F.groupNorm(zeros([2, 6, 3]), 2, zeros([5])), /^group_norm: weight/, shape(5), shape(2, 6, 3), /\b6\b/);
  throwsWith(() => F.groupNorm(zeros([2, 6, 3]), 2, null, zeros([6, 1])), /^group_norm: bias/, shape(6, 1));
  throwsWith(() => F.groupNorm(zeros([6]), 2), /^group_norm:/, shape(6));
  throwsWith(() => F.groupNorm(zeros([2, 6]), 0), /^group_norm:/, /numGroups/);
});

test('errors: batchNorm with one value per channel in training; running stats or weight of the wrong size', () => {
  const rm = zeros([4]), rv = ones([4]);
  throwsWith(() => F.batchNorm(zeros([1, 4]), rm, rv, { training: true }), /^batch_norm: expected more than 1 value per channel when training, got input \[1,4\]$/);
  throwsWith(() => F.batchNorm(zeros([1, 4, 1, 1]), null, null, { training: true }), /^batch_norm:/, shape(1, 4, 1, 1));
  close(rm.dataSync(), [0, 0, 0, 0], 0, 'a failed call leaves the running mean alone');
  F.batchNorm(zeros([1, 4]), rm, rv); // eval with one sample is fine
  throwsWith(() => F.batchNorm(zeros([2, 4]), zeros([3]), ones([4]), { training: true }), /^batch_norm: runningMean/, shape(3), shape(2, 4));
  throwsWith(() => F.batchNorm(zeros([2, 4]), zeros([4]), ones([5])), /^batch_norm: runningVar/, shape(5), shape(2, 4));
  throwsWith(() => F.batchNorm(zeros([2, 4]), rm, rv, { weight: zeros([2]) }), /^batch_norm: weight/, shape(2), shape(2, 4));
  throwsWith(() => F.batchNorm(zeros([2, 4]), null, null), /^batch_norm:/, /evaluation/);
  throwsWith(() => F.batchNorm(zeros([2, 4]), rm, null, { training: true }), /^batch_norm:/, /both/);
  throwsWith(() => F.batchNorm(zeros([2, 4]), rm, rv, { training: true, momentum: null }), /^batch_norm:/, /numBatchesTracked/);
  throwsWith(() => F.batchNorm(zeros([4]), null, null, { training: true }), /^batch_norm:/, shape(4));
});

test('errors: instanceNorm with one spatial element; wrong-size params; missing running stats', () => {
  throwsWith(() => F.instanceNorm(zeros([2, 3, 1])), /^instance_norm:/, /spatial/, shape(2, 3, 1));
  throwsWith(() => F.instanceNorm(zeros([2, 3, 4]), { weight: zeros([4]) }), /^instance_norm: weight/, shape(4), shape(2, 3, 4));
  throwsWith(() => F.instanceNorm(zeros([2, 3, 4]), { runningMean: zeros([2]), runningVar: ones([2]) }), /^instance_norm: runningMean/, shape(2));
  throwsWith(() => F.instanceNorm(zeros([2, 3, 4]), { useInputStats: false }), /^instance_norm:/, /useInputStats/);
});

test('errors: layerNormChannelsFirst weight of the wrong size', () => {
  throwsWith(() => F.layerNormChannelsFirst(zeros([2, 3, 2, 2]), zeros([2]), zeros([3])), /^layer_norm_channels_first: weight/, shape(2), shape(2, 3, 2, 2));
});

test.run();
