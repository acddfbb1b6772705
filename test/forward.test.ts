// Forward values checked against hand computation, tensor creation, views,
// reading, and the semantics of autograd (accumulation, detach, noGrad,
// retainGraph, retainGrad).
// Run: node tools/run-tests.mjs forward
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Generator, manualSeed, noGrad, isGradEnabled, tensor, zeros, ones, full, arange, linspace, eye,
  rand, randn, randint, zerosLike, onesLike, fullLike, randLike, cat, stack, matmul, ops,
  type Tensor,
} from '../src/index.js';
import { closeTo, vals } from './helpers/assert.js';

/** Elementwise |a − e| ≤ tol · max(1, |e|) (float32 results against float64 hand values); NaN and ±∞ exactly. */
const close = closeTo(1e-6, { nonFinite: true });

// ---- elementwise, broadcasting, dtypes ----------------------------------------------------

test('softmax([1,2,3]) matches exp(x_i)/Σexp', () => {
  const s = Math.exp(1) + Math.exp(2) + Math.exp(3);
  close(tensor([1, 2, 3]).softmax(0).dataSync(), [Math.exp(1) / s, Math.exp(2) / s, Math.exp(3) / s]);
  close(tensor([1, 2, 3]).logSoftmax(-1).dataSync(), [1 - Math.log(s), 2 - Math.log(s), 3 - Math.log(s)]);
});

test('softmax along dim 0 of a 2-D tensor normalises columns', () => {
  const y = tensor([[0, 1], [Math.log(3), 1]]).softmax(0);
  // column 0: e^0 / (1 + 3) = 1/4, 3/4; column 1: equal entries -> 1/2, 1/2
  close(y.dataSync(), [0.25, 0.5, 0.75, 0.5]);
});

test('softmax: a -inf entry gives exactly 0; an all -inf row gives NaN', () => {
  const y = tensor([[0, -Infinity, 0], [-Infinity, -Infinity, -Infinity]]).softmax(1).dataSync();
  assert.is(y[0], 0.5);
  assert.is(y[1], 0);
  assert.is(y[2], 0.5);
  for (const v of y.slice(3)) assert.ok(Number.isNaN(v), `expected NaN, got ${v}`);
});

test('softmax of large values does not overflow', () => {
  close(tensor([1000, 1000]).softmax(0).dataSync(), [0.5, 0.5]);
});

test('2x3 @ 3x2 matmul, written out', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  const b = tensor([[7, 8], [9, 10], [11, 12]]);
  const c = matmul(a, b);
  assert.equal(c.shape, [2, 2]);
  // [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12]
  assert.equal(vals(c), [58, 64, 139, 154]);
});

test('matmul 1-D shapes and broadcast batch', () => {
  const v = tensor([1, 2, 3]);
  assert.equal(matmul(v, v).shape, []);
  assert.is(matmul(v, v).item(), 14);
  const m = tensor([[1, 0], [0, 1], [1, 1]]);
  assert.equal(vals(matmul(v, m)), [4, 5]); // [1+3, 2+3]
  const batch = ones([4, 1, 2, 3]);
  assert.equal(matmul(batch, ones([5, 3, 6])).shape, [4, 5, 2, 6]);
  assert.ok(vals(matmul(batch, ones([5, 3, 6]))).every((x) => x === 3));
});

test('broadcasting [3,1] + [1,2]', () => {
  const c = tensor([[1], [2], [3]]).add(tensor([[10, 20]]));
  assert.equal(c.shape, [3, 2]);
  assert.equal(vals(c), [11, 21, 12, 22, 13, 23]);
});

test('arithmetic: sub/mul/div/pow with scalars and alpha', () => {
  const x = tensor([1, 2, 4]);
  assert.equal(vals(x.add(1, 2)), [3, 4, 6]); // x + 2·1
  assert.equal(vals(x.sub(tensor([1, 1, 1]), 3)), [-2, -1, 1]);
  assert.equal(vals(x.mul(3)), [3, 6, 12]);
  assert.equal(vals(x.div(2)), [0.5, 1, 2]);
  assert.equal(vals(x.pow(2)), [1, 4, 16]);
  close(x.pow(0.5).dataSync(), [1, Math.SQRT2, 2]);
  assert.equal(vals(x.pow(-1)), [1, 0.5, 0.25]);
  assert.equal(vals(ops.sub(10, x)), [9, 8, 6]);
  assert.equal(vals(ops.pow(2, x)), [2, 4, 16]);
});

test('unary math values', () => {
  const x = tensor([0.25, 1, 4]);
  close(x.sqrt().dataSync(), [0.5, 1, 2]);
  close(x.rsqrt().dataSync(), [2, 1, 0.5]);
  close(x.log().dataSync(), [Math.log(0.25), 0, Math.log(4)]);
  close(x.exp().dataSync(), [Math.exp(0.25), Math.E, Math.exp(4)]);
  assert.equal(vals(tensor([-2, 0, 3]).abs()), [2, 0, 3]);
  assert.equal(vals(tensor([-2, 0, 3]).sign()), [-1, 0, 1]);
  assert.equal(vals(tensor([-2, 0.5, 3]).clamp(-1, 1)), [-1, 0.5, 1]);
  assert.equal(vals(tensor([-2, 0.5, 3]).clamp(0)), [0, 0.5, 3]);
  assert.equal(vals(tensor([-2, 0.5, 3]).clamp(null, 1)), [-2, 0.5, 1]);
  assert.equal(vals(tensor([1, 5]).maximum(tensor([3, 2]))), [3, 5]);
  assert.equal(vals(tensor([1, 5]).minimum(tensor([3, 2]))), [1, 2]);
});

test('activations: relu family, sigmoid, tanh, silu, softplus', () => {
  assert.equal(vals(tensor([-1, 0, 2, 7]).relu()), [0, 0, 2, 7]);
  assert.equal(vals(tensor([-1, 0, 2, 7]).relu6()), [0, 0, 2, 6]);
  close(tensor([-2, 3]).leakyRelu(0.1).dataSync(), [-0.2, 3]);
  close(tensor([-4, 0, 1.5, 4]).hardsigmoid().dataSync(), [0, 0.5, 0.75, 1]);
  close(tensor([0, 2]).sigmoid().dataSync(), [0.5, 1 / (1 + Math.exp(-2))]);
  close(tensor([0.5]).tanh().dataSync(), [Math.tanh(0.5)]);
  close(tensor([1]).silu().dataSync(), [1 / (1 + Math.exp(-1))]);
  close(tensor([0, 30]).softplus().dataSync(), [Math.log(2), 30]);
  // beta=2: log(1 + e^(2x)) / 2; threshold 1 makes 2x > 1 linear
  close(tensor([0.25, 1]).softplus(2, 1).dataSync(), [Math.log(1 + Math.exp(0.5)) / 2, 1]);
});

test('gelu(1) = 0.8413447460685429 (exact); tanh form by its formula', () => {
  close(tensor([1], { dtype: 'float64' }).gelu().dataSync(), [0.8413447460685429], 1e-14);
  close(tensor([1]).gelu().dataSync(), [0.8413447460685429]);
  const u = Math.sqrt(2 / Math.PI) * (1 + 0.044715);
  close(tensor([1], { dtype: 'float64' }).gelu('tanh').dataSync(), [0.5 * (1 + Math.tanh(u))], 1e-14);
  close(tensor([0, -10]).gelu().dataSync(), [0, 0]);
});

test('hardswish(-4, -1, 1, 4) = [0, -1/3, 2/3, 4]', () => {
  // x · relu6(x + 3) / 6
  close(tensor([-4, -1, 1, 4]).hardswish().dataSync(), [0, -1 / 3, 2 / 3, 4]);
});

test('dtypes: bool sums to int32, integer division gives float, comparisons give bool', () => {
  const b = tensor([true, false, true, true]);
  assert.is(b.dtype, 'bool');
  const s = b.sum();
  assert.is(s.dtype, 'int32');
  assert.is(s.item(), 3);
  const q = tensor(Int32Array.from([1, 3, -7])).div(tensor(Int32Array.from([2, 2, 2])));
  assert.is(q.dtype, 'float32');
  assert.equal(vals(q), [0.5, 1.5, -3.5]);
  assert.is(tensor(Int32Array.from([3])).div(2).item(), 1.5);
  const c = tensor([1, 2, 3]).gt(2);
  assert.is(c.dtype, 'bool');
  assert.equal(c.arraySync(), [false, false, true]);
  assert.equal(tensor([1, 2, 3]).eq(tensor([1, 0, 3])).arraySync(), [true, false, true]);
  assert.equal(tensor([1, 2, 3]).le(2).arraySync(), [true, true, false]);
  assert.equal(tensor([1, 2]).ne(1).arraySync(), [false, true]);
  assert.is(tensor(Int32Array.from([1, 2])).add(1).dtype, 'int32');
  assert.is(tensor(Int32Array.from([1, 2])).add(0.5).dtype, 'float32');
  assert.is(tensor(Int32Array.from([1, 2])).add(tensor([1, 1])).dtype, 'float32');
});

test('where and maskedFill', () => {
  const c = tensor([true, false, true]);
  assert.equal(vals(ops.where(c, tensor([1, 2, 3]), 0)), [1, 0, 3]);
  assert.equal(vals(tensor([[1, 2, 3], [4, 5, 6]]).maskedFill(c, -1)), [-1, 2, -1, -1, 5, -1]);
});

// ---- reductions ------------------------------------------------------------------------------

test('var of [1,2,3,4]: unbiased 5/3, biased 5/4; std is its root', () => {
  const x = tensor([1, 2, 3, 4]);
  close([x.var().item()], [5 / 3]);
  close([x.var(0, false).item()], [5 / 4]);
  close([x.std().item()], [Math.sqrt(5 / 3)]);
  close([x.std(null, false).item()], [Math.sqrt(5 / 4)]);
});

test('sum, mean, amax, amin over dims with keepdim', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.is(x.sum().item(), 21);
  assert.equal(vals(x.sum(0)), [5, 7, 9]);
  assert.equal(x.sum(1, true).shape, [2, 1]);
  assert.equal(vals(x.sum(1, true)), [6, 15]);
  assert.equal(vals(x.mean(-1)), [2, 5]);
  assert.is(x.mean([0, 1]).item(), 3.5);
  assert.equal(vals(x.amax(0)), [4, 5, 6]);
  assert.equal(vals(x.amin(1)), [1, 4]);
  assert.is(x.max().item(), 6);
  assert.is(x.min().item(), 1);
  assert.equal(x.amax([0, 1], true).shape, [1, 1]);
});

test('max/min(dim) give values and indices; ties take the first index', () => {
  const x = tensor([[3, 7, 7, 1], [5, 5, 2, 5]]);
  const m = x.max(1);
  assert.equal(vals(m.values), [7, 5]);
  assert.equal(vals(m.indices), [1, 0]);
  assert.is(m.indices.dtype, 'int32');
  const n = x.min(0, true);
  assert.equal(n.values.shape, [1, 4]);
  assert.equal(vals(n.values), [3, 5, 2, 1]);
  assert.equal(vals(n.indices), [0, 1, 1, 0]);
});

test('argmax / argmin, flattened and along a dim', () => {
  const x = tensor([[1, 9, 3], [9, 0, 4]]);
  assert.is(x.argmax().item(), 1); // first of the tied 9s in the flattened order
  assert.equal(vals(x.argmax(0)), [1, 0, 1]);
  assert.equal(vals(x.argmin(1)), [0, 1]);
  assert.equal(x.argmax(1, true).shape, [2, 1]);
  assert.is(x.argmax().dtype, 'int32');
});

test('norm and logsumexp', () => {
  const x = tensor([[3, -4], [0, 0]]);
  close([x.norm().item()], [5]);
  close(x.norm(2, 1).dataSync(), [5, 0]);
  close([x.norm(1).item()], [7]);
  close([x.norm(3).item()], [Math.cbrt(27 + 64)]);
  close(tensor([0, Math.log(3)]).logsumexp(0).dataSync(), [Math.log(4)]);
  close(tensor([1000, 1000]).logsumexp(0).dataSync(), [1000 + Math.log(2)]);
});

// ---- creation --------------------------------------------------------------------------------

test('tensor from nested arrays, typed arrays and a scalar', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.equal(a.shape, [2, 3]);
  assert.is(a.dtype, 'float32');
  assert.equal(a.strides, [3, 1]);
  const b = tensor(Int32Array.from([1, 2, 3, 4]), [2, 2]);
  assert.is(b.dtype, 'int32');
  assert.equal(b.arraySync(), [[1, 2], [3, 4]]);
  const c = tensor(Float64Array.from([0.1]));
  assert.is(c.dtype, 'float64');
  assert.is(c.item(), 0.1);
  const s = tensor(3.5);
  assert.equal(s.shape, []);
  assert.is(s.numel, 1);
  assert.is(s.item(), 3.5);
  assert.is(tensor(true).dtype, 'bool');
  assert.is(tensor([1, 2], { dtype: 'int32' }).dtype, 'int32');
});

test('zeros, ones, full', () => {
  const z = zeros([2, 3]);
  assert.equal(z.shape, [2, 3]);
  assert.equal(vals(z), [0, 0, 0, 0, 0, 0]);
  assert.equal(vals(ones([3])), [1, 1, 1]);
  const f = full([2, 2], 7, { dtype: 'int32' });
  assert.is(f.dtype, 'int32');
  assert.equal(vals(f), [7, 7, 7, 7]);
});

test('arange with 1, 2, 3 arguments and a negative step', () => {
  assert.equal(vals(arange(4)), [0, 1, 2, 3]);
  assert.equal(vals(arange(2, 5)), [2, 3, 4]);
  assert.equal(vals(arange(1, 2, 0.25)), [1, 1.25, 1.5, 1.75]);
  assert.equal(vals(arange(5, 0, -2)), [5, 3, 1]);
  assert.equal(arange(0).shape, [0]);
});

test('linspace includes both ends', () => {
  close(linspace(0, 1, 5).dataSync(), [0, 0.25, 0.5, 0.75, 1]);
  close(linspace(-1, 1, 3).dataSync(), [-1, 0, 1]);
  assert.equal(vals(linspace(2, 3, 1)), [2]);
});

test('eye: square and rectangular', () => {
  assert.equal(eye(3).arraySync(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  assert.equal(eye(2, 3).arraySync(), [[1, 0, 0], [0, 1, 0]]);
  assert.equal(eye(3, 2).arraySync(), [[1, 0], [0, 1], [0, 0]]);
});

test('rand is in [0, 1) and repeats under manualSeed', () => {
  manualSeed(123);
  const a = vals(rand([1000]));
  assert.ok(a.every((v) => v >= 0 && v < 1));
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(m - 0.5) < 0.05, `mean ${m}`);
  manualSeed(123);
  assert.equal(vals(rand([1000])), a);
  manualSeed(124);
  assert.not.equal(vals(rand([1000])), a);
  // an explicit generator is independent of the default one
  assert.equal(vals(rand([5], { generator: new Generator(9) })), vals(rand([5], { generator: new Generator(9) })));
});

test('randn: mean ≈ 0 and std ≈ 1 over 10000 samples', () => {
  manualSeed(7);
  const a = vals(randn([10000]));
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1));
  assert.ok(Math.abs(m) < 0.05, `mean ${m}`);
  assert.ok(Math.abs(sd - 1) < 0.05, `std ${sd}`);
  assert.ok(a.some((v) => v < -2) && a.some((v) => v > 2), 'tails are present');
});

test('randint: int32 values in [low, high), every value hit', () => {
  const r = randint(-2, 3, [2000], { generator: new Generator(3) });
  assert.is(r.dtype, 'int32');
  const a = vals(r);
  assert.ok(a.every((v) => Number.isInteger(v) && v >= -2 && v < 3));
  assert.equal([...new Set(a)].sort((x, y) => x - y), [-2, -1, 0, 1, 2]);
});

test('zerosLike, onesLike, fullLike, randLike keep shape and dtype', () => {
  const x = tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  for (const [t, want] of [[zerosLike(x), 0], [onesLike(x), 1], [fullLike(x, 2.5), 2.5]] as [Tensor, number][]) {
    assert.equal(t.shape, [2, 3]);
    assert.is(t.dtype, 'float64');
    assert.ok(vals(t).every((v) => v === want));
  }
  const r = randLike(x);
  assert.equal(r.shape, [2, 3]);
  assert.is(r.dtype, 'float64');
  assert.ok(vals(r).every((v) => v >= 0 && v < 1));
  assert.is(new Set(vals(r)).size, 6);
  assert.is(x.zerosLike().dtype, 'float64');
  assert.is(fullLike(x, 1, { dtype: 'int32' }).dtype, 'int32');
});

// ---- views -------------------------------------------------------------------------------------

test('views share storage; their strides and offsets describe the layout', () => {
  const base = arange(24).reshape(2, 3, 4);
  assert.equal(base.strides, [12, 4, 1]);
  const p = base.permute(2, 0, 1);
  assert.ok(p.ref === base.ref);
  assert.equal(p.shape, [4, 2, 3]);
  assert.equal(p.strides, [1, 12, 4]);
  assert.not.ok(p.isContiguous());
  const tr = base.transpose(0, 1);
  assert.ok(tr.ref === base.ref);
  assert.equal(tr.strides, [4, 12, 1]);
  const v = base.view(6, 4);
  assert.ok(v.ref === base.ref);
  assert.equal(v.strides, [4, 1]);
  const n = base.narrow(2, 1, 2);
  assert.ok(n.ref === base.ref);
  assert.is(n.offset, 1);
  assert.equal(n.strides, [12, 4, 1]);
  const e = tensor([[1], [2]]).expand(2, 3);
  assert.equal(e.strides, [1, 0]);
  assert.equal(vals(e), [1, 1, 1, 2, 2, 2]);
  const s = base.slice(1, [null, null, 2], [1, null, 2]);
  assert.ok(s.ref === base.ref);
  assert.equal(s.shape, [2, 2]);
  assert.equal(s.strides, [8, 2]);
  assert.is(s.offset, 13);
  assert.equal(vals(s), [13, 15, 21, 23]);
  const u = base.unsqueeze(0);
  assert.ok(u.ref === base.ref);
  assert.equal(u.shape, [1, 2, 3, 4]);
  const d = eye(3).diagonal();
  assert.equal(d.strides, [4]);
  assert.equal(vals(d), [1, 1, 1]);
  // contiguous() of a contiguous tensor is itself; of a view it is a copy
  assert.ok(base.contiguous() === base);
  const pc = p.contiguous();
  assert.ok(pc.ref !== base.ref);
  assert.ok(pc.isContiguous());
  assert.equal(vals(pc), vals(p));
  // reshape of a permuted tensor copies; clone always copies
  assert.ok(p.reshape(-1).ref !== base.ref);
  assert.ok(base.clone().ref !== base.ref);
  assert.ok(base.detach().ref === base.ref);
});

test('permuted and transposed values', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.equal(x.t().arraySync(), [[1, 4], [2, 5], [3, 6]]);
  assert.equal(x.mT.arraySync(), [[1, 4], [2, 5], [3, 6]]);
  assert.equal(x.reshape(3, -1).arraySync(), [[1, 2], [3, 4], [5, 6]]);
  assert.equal(x.t().reshape(-1).arraySync(), [1, 4, 2, 5, 3, 6]);
  assert.equal(x.unsqueeze(1).squeeze().shape, [2, 3]);
  assert.equal(x.flatten().shape, [6]);
  assert.equal(x.reshape(1, 6).unflatten(1, [3, 2]).shape, [1, 3, 2]);
});

test('reshape and view of non-contiguous views read the right elements', () => {
  const x = arange(6).reshape(2, 3); // [[0,1,2],[3,4,5]]
  assert.equal(x.t().reshape(3, 2).arraySync(), [[0, 3], [1, 4], [2, 5]]);
  assert.equal(x.slice(null, [0, 3, 2]).reshape(4).arraySync(), [0, 2, 3, 5]);
  assert.equal(tensor([[1], [2]]).expand(2, 3).reshape(3, 2).arraySync(), [[1, 1], [1, 2], [2, 2]]);
  assert.equal(x.unsqueeze(0).expand(2, 2, 3).reshape(-1).arraySync(), [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
  // viewable without a copy: splitting a dim of a permuted tensor
  const p = arange(24).reshape(2, 3, 4).permute(2, 0, 1); // [4,2,3], strides [1,12,4]
  const v = p.view(2, 2, 6);
  assert.ok(v.ref === p.ref);
  assert.equal(v.strides, [2, 1, 4]);
  assert.equal(v.arraySync(), [[[0, 4, 8, 12, 16, 20], [1, 5, 9, 13, 17, 21]], [[2, 6, 10, 14, 18, 22], [3, 7, 11, 15, 19, 23]]]);
});

test('flip, roll, repeat values', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.equal(x.flip(1).arraySync(), [[3, 2, 1], [6, 5, 4]]);
  assert.equal(x.flip([0, 1]).arraySync(), [[6, 5, 4], [3, 2, 1]]);
  assert.equal(x.roll(1, 1).arraySync(), [[3, 1, 2], [6, 4, 5]]);
  assert.equal(x.roll(-1, 1).arraySync(), [[2, 3, 1], [5, 6, 4]]);
  assert.equal(x.roll(2).arraySync(), [[5, 6, 1], [2, 3, 4]]); // flattened
  assert.equal(x.roll([1, 1], [0, 1]).arraySync(), [[6, 4, 5], [3, 1, 2]]);
  assert.equal(tensor([1, 2]).repeat(2, 2).arraySync(), [[1, 2, 1, 2], [1, 2, 1, 2]]);
  assert.equal(tensor([[1], [2]]).repeat(1, 3).arraySync(), [[1, 1, 1], [2, 2, 2]]);
});

test('cat and stack values', () => {
  const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6]]);
  assert.equal(cat([a, b]).arraySync(), [[1, 2], [3, 4], [5, 6]]);
  assert.equal(cat([a, a.t()], 1).arraySync(), [[1, 2, 1, 3], [3, 4, 2, 4]]);
  const s = stack([tensor([1, 2]), tensor([3, 4])]);
  assert.equal(s.arraySync(), [[1, 2], [3, 4]]);
  assert.equal(stack([tensor([1, 2]), tensor([3, 4])], 1).arraySync(), [[1, 3], [2, 4]]);
  assert.equal(stack([tensor([1, 2]), tensor([3, 4])], -1).shape, [2, 2]);
});

test('slicing with steps and negative indices', () => {
  const x = arange(10);
  assert.equal(vals(x.slice([1, 8, 3])), [1, 4, 7]);
  assert.equal(vals(x.slice([-3, null])), [7, 8, 9]);
  assert.equal(vals(x.slice([null, -7])), [0, 1, 2]);
  assert.equal(vals(x.slice([-4, -1, 2])), [6, 8]);
  assert.equal(vals(x.slice([5, 100])), [5, 6, 7, 8, 9]); // stops clamp like Python
  assert.equal(x.slice([7, 3]).shape, [0]);
  assert.is(x.slice(-1).item(), 9);
  const m = arange(12).reshape(3, 4);
  assert.equal(m.slice(null, [null, null, -1 + 3]).arraySync(), [[0, 2], [4, 6], [8, 10]]);
  assert.equal(m.slice(-1, [1, null]).arraySync(), [9, 10, 11]);
  assert.equal(m.select(1, -1).arraySync(), [3, 7, 11]);
  assert.equal(m.narrow(0, 1, 2).arraySync(), [[4, 5, 6, 7], [8, 9, 10, 11]]);
});

test('chunk of 7 into 3 is [3,3,1]; split by size and by sizes; unbind', () => {
  const x = arange(7);
  const c = x.chunk(3);
  assert.equal(c.map((t) => t.shape[0]), [3, 3, 1]);
  assert.equal(c.map(vals), [[0, 1, 2], [3, 4, 5], [6]]);
  assert.equal(x.split(3).map((t) => t.shape[0]), [3, 3, 1]);
  assert.equal(x.split([2, 4, 1]).map(vals), [[0, 1], [2, 3, 4, 5], [6]]);
  const m = arange(6).reshape(2, 3);
  assert.equal(m.split([1, 2], 1).map((t) => t.arraySync()), [[[0], [3]], [[1, 2], [4, 5]]]);
  assert.equal(m.unbind(1).map(vals), [[0, 3], [1, 4], [2, 5]]);
  assert.equal(arange(6).chunk(4).map((t) => t.shape[0]), [2, 2, 2]);
});

test('indexing values: indexSelect, gather, scatterAdd, indexAdd', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  const i32 = (a: number[], shape?: number[]) => tensor(Int32Array.from(a), shape ?? [a.length]);
  assert.equal(x.indexSelect(1, i32([2, 0, 2])).arraySync(), [[3, 1, 3], [6, 4, 6]]);
  assert.equal(x.gather(1, i32([0, 0, 2, 1], [2, 2])).arraySync(), [[1, 1], [6, 5]]);
  assert.equal(zeros([3]).scatterAdd(0, i32([0, 2, 0]), tensor([1, 2, 3])).arraySync(), [4, 0, 2]);
  assert.equal(ones([3, 2]).indexAdd(0, i32([2, 2]), tensor([[1, 2], [3, 4]])).arraySync(), [[1, 1], [1, 1], [5, 7]]);
});

test('dropout: eval is the identity; train zeros about p and scales by 1/(1−p)', () => {
  const x = ones([4000]);
  assert.ok(ops.dropout(x, 0.5, false) === x);
  const y = vals(ops.dropout(x, 0.25, true, new Generator(5)));
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
  const zerosFrac = y.filter((v) => v === 0).length / y.length;
  assert.ok(Math.abs(zerosFrac - 0.25) < 0.03, `dropped fraction ${zerosFrac}`);
  assert.equal(vals(ops.dropout(x, 0.25, true, new Generator(5))), y);
});

// ---- reading -------------------------------------------------------------------------------------

test('data(), toArray(), dataSync(), arraySync(), item()', async () => {
  const x = tensor([[1, 2], [3, 4]]);
  const d = await x.data();
  assert.ok(d instanceof Float32Array);
  assert.equal(Array.from(d), [1, 2, 3, 4]);
  assert.equal(await x.toArray(), [[1, 2], [3, 4]]);
  assert.equal(await x.t().toArray(), [[1, 3], [2, 4]]);
  assert.equal(Array.from(await x.t().data()), [1, 3, 2, 4]);
  const s = x.dataSync();
  assert.ok(s instanceof Float32Array);
  s[0] = 100; // a copy: writing into it leaves the tensor alone
  assert.is(x.dataSync()[0], 1);
  assert.equal(Array.from(x.slice(1).dataSync()), [3, 4]);
  assert.is(x.sum().item(), 10);
  assert.is(x.slice(1, 0).item(), 3);
  assert.ok(tensor(Int32Array.from([1])).dataSync() instanceof Int32Array);
  assert.equal(tensor([true, false]).arraySync(), [true, false]);
  assert.equal(tensor(2).arraySync(), 2);
});

// ---- autograd semantics -------------------------------------------------------------------------

test('.grad accumulates over two backward calls; zeroGrad clears it', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  x.mul(2).sum().backward();
  assert.equal(vals(x.grad!), [2, 2, 2]);
  x.mul(3).sum().backward();
  assert.equal(vals(x.grad!), [5, 5, 5]);
  x.zeroGrad();
  assert.is(x.grad, null);
  x.square().sum().backward();
  assert.equal(vals(x.grad!), [2, 4, 6]);
});

test('a tensor used twice gets both contributions (x*x -> 2x)', () => {
  const x = tensor([1.5, -2], { requiresGrad: true });
  x.mul(x).sum().backward();
  assert.equal(vals(x.grad!), [3, -4]);
  const y = tensor([2], { requiresGrad: true });
  y.mul(y).mul(y).add(y).sum().backward(); // 3y² + 1 = 13
  assert.equal(vals(y.grad!), [13]);
});

test('backward with an explicit gradient on a non-scalar', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  x.mul(x).backward(tensor([1, 0.5, -1]));
  assert.equal(vals(x.grad!), [2, 2, -6]);
});

test('detach stops the gradient', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const d = x.detach();
  assert.not.ok(d.requiresGrad);
  assert.ok(d.isLeaf);
  x.mul(d).sum().backward(); // only the first factor carries a gradient
  assert.equal(vals(x.grad!), [1, 2]);
});

test('noGrad records nothing', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  assert.ok(isGradEnabled());
  const y = noGrad(() => {
    assert.not.ok(isGradEnabled());
    return x.mul(2).exp().sum();
  });
  assert.ok(isGradEnabled());
  assert.not.ok(y.requiresGrad);
  assert.is(y.gradFn, null);
  assert.throws(() => y.backward(), /does not require grad/);
  const z = x.mul(2);
  assert.ok(z.requiresGrad);
  assert.ok(z.gradFn !== null);
  assert.not.ok(z.isLeaf);
});

test('backward twice without retainGraph throws; with {retainGraph: true} it works', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.exp().sum();
  y.backward();
  assert.throws(() => y.backward(), /second time.*retainGraph/);

  const a = tensor([1, 2], { requiresGrad: true });
  const b = a.mul(a).sum();
  b.backward(undefined, { retainGraph: true });
  b.backward();
  assert.equal(vals(a.grad!), [4, 8]); // 2 · 2a
});

test('retainGrad keeps .grad on a non-leaf; other non-leaves get none', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const h = x.mul(3).retainGrad();
  const k = h.add(1);
  k.square().sum().backward();
  // d/dh Σ (h + 1)² = 2(h + 1) = 2(3x + 1) = [8, 14]
  assert.equal(vals(h.grad!), [8, 14]);
  assert.equal(vals(x.grad!), [24, 42]);
  assert.is(k.grad, null);
});

test('int and bool tensors cannot require grad; outputs of int ops do not', () => {
  assert.throws(() => tensor(Int32Array.from([1, 2])).requiresGrad_(), /only floating point/);
  assert.throws(() => tensor([1, 2], { dtype: 'int32', requiresGrad: true }), /floating point/);
  assert.throws(() => tensor([true]).requiresGrad_(), /floating point/);
  const x = tensor([1.5, 2.5], { requiresGrad: true });
  assert.not.ok(x.argmax().requiresGrad);
  assert.not.ok(x.gt(2).requiresGrad);
  assert.not.ok(x.int().requiresGrad);
  assert.throws(() => x.mul(2).requiresGrad_(false), /leaf/);
});

test('gradient flows through a cast to float64 and back', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  x.double().mul(tensor(Float64Array.from([3, 4]))).sum().backward();
  assert.is(x.grad!.dtype, 'float32');
  assert.equal(vals(x.grad!), [3, 4]);
});

test('broadcast gradients sum back to the operand shape', () => {
  const a = tensor([[1], [2], [3]], { requiresGrad: true });
  const b = tensor([[10, 20]], { requiresGrad: true });
  a.mul(b).sum().backward();
  assert.equal(a.grad!.shape, [3, 1]);
  assert.equal(vals(a.grad!), [30, 30, 30]);
  assert.equal(b.grad!.shape, [1, 2]);
  assert.equal(vals(b.grad!), [6, 6]);
});

test('amax splits the gradient between ties; max(dim) sends it to the first index', () => {
  const x = tensor([2, 5, 5], { requiresGrad: true });
  x.amax().backward();
  assert.equal(vals(x.grad!), [0, 0.5, 0.5]);
  const y = tensor([[2, 5, 5]], { requiresGrad: true });
  y.max(1).values.sum().backward();
  assert.equal(vals(y.grad!), [0, 1, 0]);
});

test.run();
