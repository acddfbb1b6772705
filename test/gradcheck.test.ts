// Finite-difference gradient checks (float64, js backend) for every differentiable op.
// Each case is one named uvu test: gradcheck(fn, inputs) compares autograd's
// gradient of Σ fn(inputs) ⊙ v (random v) with central differences.
// Views and non-contiguous layouts are applied inside fn, since gradcheck's
// inputs must be contiguous leaves. Inputs stay away from kinks (relu at 0,
// clamp bounds, abs at 0, ties in max) where the derivative does not exist.
// Run: node tools/run-tests.mjs gradcheck
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Generator, gradcheck, tensor, cat, stack, where, matmul, bmm, linear, dropout, ops,
  type GradcheckOptions, type Tensor,
} from '../src/index.js';
import { assertGradcheck, leaf, seededInputs } from './helpers/assert.js';

type Fn = (...xs: Tensor[]) => Tensor | Tensor[];

interface Case {
  /** The uvu test name. */
  name: string;
  fn: Fn;
  /** Fresh leaves for each run. */
  inputs: () => Tensor[];
  opts?: GradcheckOptions;
}

// ---- input builders ------------------------------------------------------------------------

const { smooth, distinct } = seededInputs(1);

const positive = (shape: readonly number[], lo = 0.5, hi = 2) => smooth(shape, { lo, hi });
const idx = (values: number[], shape: number[] = [values.length]) => tensor(Int32Array.from(values), shape);
const mask = (values: boolean[][] | boolean[]) => tensor(values as boolean[]);

// ---- the table ------------------------------------------------------------------------------

const cases: Case[] = [];
const add = (name: string, fn: Fn, inputs: () => Tensor[], opts?: GradcheckOptions) => cases.push({ name, fn, inputs, opts });

// arithmetic, with broadcasting ([3,1,4] op [2,1] -> [3,2,4]) and scalars
add('add', (a, b) => a.add(b), () => [smooth([2, 3]), smooth([2, 3])]);
add('add broadcast [3,1,4] + [2,1]', (a, b) => a.add(b), () => [smooth([3, 1, 4]), smooth([2, 1])]);
add('add alpha=2.5', (a, b) => a.add(b, 2.5), () => [smooth([2, 3]), smooth([3])]);
add('add scalar', (a) => a.add(1.5), () => [smooth([4])]);
add('sub', (a, b) => a.sub(b), () => [smooth([3, 1, 4]), smooth([2, 1])]);
add('sub alpha=-3', (a, b) => a.sub(b, -3), () => [smooth([2, 3]), smooth([2, 3])]);
add('rsub (scalar - tensor)', (a) => ops.sub(2, a), () => [smooth([5])]);
add('mul broadcast', (a, b) => a.mul(b), () => [smooth([3, 1, 4]), smooth([2, 1])]);
add('mul same tensor twice', (a) => a.mul(a), () => [smooth([2, 3])]);
add('div broadcast', (a, b) => a.div(b), () => [smooth([3, 1, 4]), smooth([2, 1], { avoid: [0], margin: 0.5 })]);
add('div scalar by tensor', (a) => ops.div(3, a), () => [smooth([4], { avoid: [0], margin: 0.5 })]);
add('neg', (a) => a.neg(), () => [smooth([2, 3])]);
add('pow tensor^tensor (positive base, broadcast)', (a, b) => a.pow(b), () => [positive([3, 1, 4]), smooth([2, 1])]);
add('pow tensor^0.5', (a) => a.pow(0.5), () => [positive([2, 3])]);
add('pow tensor^3', (a) => a.pow(3), () => [smooth([2, 3])]);
add('pow tensor^-1', (a) => a.pow(-1), () => [smooth([2, 3], { avoid: [0], margin: 0.4 })]);
add('pow tensor^2', (a) => a.pow(2), () => [smooth([2, 3])]);
add('pow scalar^tensor', (a) => ops.pow(2, a), () => [smooth([4])]);
add('sqrt', (a) => a.sqrt(), () => [positive([2, 3])]);
add('rsqrt', (a) => a.rsqrt(), () => [positive([2, 3])]);
add('exp', (a) => a.exp(), () => [smooth([2, 3])]);
add('log', (a) => a.log(), () => [positive([2, 3], 0.2, 3)]);
add('abs', (a) => a.abs(), () => [smooth([2, 3], { avoid: [0] })]);
add('square', (a) => a.square(), () => [smooth([2, 3])]);
add('reciprocal', (a) => a.reciprocal(), () => [smooth([2, 3], { avoid: [0], margin: 0.4 })]);
add('sin', (a) => a.sin(), () => [smooth([5])]);
add('cos', (a) => a.cos(), () => [smooth([5])]);
add('erf', (a) => a.erf(), () => [smooth([5])]);
add('clamp min only', (a) => a.clamp(-0.5), () => [smooth([3, 4], { avoid: [-0.5] })]);
add('clamp max only', (a) => a.clamp(null, 0.7), () => [smooth([3, 4], { avoid: [0.7] })]);
add('clamp both', (a) => a.clamp(-0.5, 0.7), () => [smooth([3, 4], { avoid: [-0.5, 0.7] })]);
add('maximum broadcast', (a, b) => a.maximum(b), () => [distinct([3, 1, 4]), smooth([2, 1], { avoid: Array.from({ length: 12 }, (_, i) => -2 + (4 * (i + 0.5)) / 12), margin: 0.05 })]);
add('minimum', (a, b) => a.minimum(b), () => [smooth([2, 3]), smooth([2, 3])]);
add('maximum scalar', (a) => a.maximum(0.3), () => [smooth([6], { avoid: [0.3] })]);
add('where (broadcast cond and operands)', (a, b) => where(mask([[true], [false]]), a, b), () => [smooth([2, 3]), smooth([3])]);
add('where scalar other', (a) => a.where(mask([true, false, true]), 2), () => [smooth([2, 3])]);
add('maskedFill', (a) => a.maskedFill(mask([[true, false, false], [false, true, false]]), -1), () => [smooth([2, 3])]);
add('maskedFill broadcast mask', (a) => a.maskedFill(mask([false, true, false]), 5), () => [smooth([2, 3])]);

// activations
add('relu', (a) => a.relu(), () => [smooth([3, 4], { avoid: [0] })]);
add('relu6', (a) => a.relu6(), () => [smooth([3, 4], { lo: -2, hi: 8, avoid: [0, 6] })]);
add('leakyRelu default slope', (a) => a.leakyRelu(), () => [smooth([3, 4], { avoid: [0] })]);
add('leakyRelu slope 0.2', (a) => a.leakyRelu(0.2), () => [smooth([3, 4], { avoid: [0] })]);
add('hardsigmoid', (a) => a.hardsigmoid(), () => [smooth([3, 4], { lo: -5, hi: 5, avoid: [-3, 3] })]);
add('hardswish', (a) => a.hardswish(), () => [smooth([3, 4], { lo: -5, hi: 5, avoid: [-3, 3] })]);
add('sigmoid', (a) => a.sigmoid(), () => [smooth([3, 4], { lo: -4, hi: 4 })]);
add('tanh', (a) => a.tanh(), () => [smooth([3, 4])]);
add("gelu 'none'", (a) => a.gelu(), () => [smooth([3, 4], { lo: -3, hi: 3 })]);
add("gelu 'tanh'", (a) => a.gelu('tanh'), () => [smooth([3, 4], { lo: -3, hi: 3 })]);
add('silu', (a) => a.silu(), () => [smooth([3, 4], { lo: -4, hi: 4 })]);
add('softplus defaults (incl. the linear region above 20)', (a) => a.softplus(), () => [leaf([-3, -0.5, 0.1, 1.7, 4, 21, 25, -25], [8])]);
add('softplus beta=2 threshold=1', (a) => a.softplus(2, 1), () => [smooth([3, 4], { avoid: [0.5] })]);

// softmax / logSoftmax on every dim of a 3-D tensor
for (const dim of [0, 1, 2, -1]) {
  add(`softmax dim ${dim} of [2,3,4]`, (a) => a.softmax(dim), () => [smooth([2, 3, 4])]);
  add(`logSoftmax dim ${dim} of [2,3,4]`, (a) => a.logSoftmax(dim), () => [smooth([2, 3, 4])]);
}
add('softmax of a permuted input', (a) => a.permute(2, 0, 1).softmax(1), () => [smooth([2, 3, 4])]);
add('logSoftmax of a sliced input', (a) => a.slice(null, [0, 3, 2]).logSoftmax(-1), () => [smooth([2, 3, 4])]);

// reductions
for (const [label, dim, keepdim] of [
  ['all', undefined, false], ['dim 1', 1, false], ['dim -1 keepdim', -1, true],
  ['dims [0,2]', [0, 2], false], ['dims [0,2] keepdim', [0, 2], true], ['all dims keepdim', [0, 1, 2], true],
] as [string, number | number[] | undefined, boolean][]) {
  add(`sum ${label}`, (a) => a.sum(dim, keepdim), () => [smooth([2, 3, 4])]);
  add(`mean ${label}`, (a) => a.mean(dim, keepdim), () => [smooth([2, 3, 4])]);
  add(`amax ${label}`, (a) => a.amax(dim, keepdim), () => [distinct([2, 3, 4])]);
  add(`amin ${label}`, (a) => a.amin(dim, keepdim), () => [distinct([2, 3, 4])]);
}
add('sum of a permuted + sliced input', (a) => a.permute(2, 1, 0).slice([0, 4, 2]).sum([0, 2]), () => [smooth([2, 3, 4])]);
add('max() over all', (a) => a.max(), () => [distinct([3, 4])]);
add('min() over all', (a) => a.min(), () => [distinct([3, 4])]);
add('max(dim=1).values', (a) => a.max(1).values, () => [distinct([2, 3, 4])]);
add('max(dim=-1, keepdim).values', (a) => a.max(-1, true).values, () => [distinct([2, 3, 4])]);
add('min(dim=0).values', (a) => a.min(0).values, () => [distinct([2, 3, 4])]);
add('min(dim=2, keepdim).values', (a) => a.min(2, true).values, () => [distinct([2, 3, 4])]);
add('max(dim).values of a transposed input', (a) => a.t().max(0).values, () => [distinct([3, 4])]);
for (const unbiased of [true, false]) {
  add(`var all unbiased=${unbiased}`, (a) => a.var(undefined, unbiased), () => [smooth([3, 4])]);
  add(`var dim 1 unbiased=${unbiased}`, (a) => a.var(1, unbiased), () => [smooth([2, 3, 4])]);
  add(`var dims [0,2] keepdim unbiased=${unbiased}`, (a) => a.var([0, 2], unbiased, true), () => [smooth([2, 3, 4])]);
  add(`std all unbiased=${unbiased}`, (a) => a.std(undefined, unbiased), () => [smooth([3, 4])]);
  add(`std dim -1 keepdim unbiased=${unbiased}`, (a) => a.std(-1, unbiased, true), () => [smooth([2, 3, 4])]);
  add(`std dims [0,1] unbiased=${unbiased}`, (a) => a.std([0, 1], unbiased), () => [smooth([2, 3, 4])]);
}
add('norm p=2 all', (a) => a.norm(), () => [smooth([3, 4])]);
add('norm p=2 dim 1', (a) => a.norm(2, 1), () => [smooth([2, 3, 4])]);
add('norm p=2 dims [0,2] keepdim', (a) => a.norm(2, [0, 2], true), () => [smooth([2, 3, 4])]);
add('norm p=1 all', (a) => a.norm(1), () => [smooth([3, 4], { avoid: [0] })]);
add('norm p=1 dim 0 keepdim', (a) => a.norm(1, 0, true), () => [smooth([3, 4], { avoid: [0] })]);
add('norm p=3 all', (a) => a.norm(3), () => [smooth([3, 4], { avoid: [0] })]);
add('norm p=3 dim -1', (a) => a.norm(3, -1), () => [smooth([2, 3, 4], { avoid: [0] })]);
add('logsumexp dim 1', (a) => a.logsumexp(1), () => [smooth([2, 3, 4])]);
add('logsumexp dims [0,2] keepdim', (a) => a.logsumexp([0, 2], true), () => [smooth([2, 3, 4])]);
add('logsumexp large values', (a) => a.logsumexp(-1), () => [leaf([1000, 1001, 999, -5, -6, -4], [2, 3])]);

// linear algebra
add('matmul 1-D @ 1-D', (a, b) => matmul(a, b), () => [smooth([4]), smooth([4])]);
add('matmul 1-D @ 2-D', (a, b) => matmul(a, b), () => [smooth([3]), smooth([3, 4])]);
add('matmul 2-D @ 1-D', (a, b) => matmul(a, b), () => [smooth([2, 3]), smooth([3])]);
add('matmul 2-D @ 2-D', (a, b) => a.matmul(b), () => [smooth([2, 3]), smooth([3, 4])]);
add('matmul 1-D @ 3-D', (a, b) => matmul(a, b), () => [smooth([3]), smooth([2, 3, 4])]);
add('matmul 3-D @ 1-D', (a, b) => matmul(a, b), () => [smooth([2, 4, 3]), smooth([3])]);
add('matmul 3-D @ 3-D', (a, b) => matmul(a, b), () => [smooth([2, 2, 3]), smooth([2, 3, 4])]);
add('matmul 3-D @ 2-D (broadcast batch)', (a, b) => matmul(a, b), () => [smooth([2, 2, 3]), smooth([3, 4])]);
add('matmul 4-D @ 3-D (broadcast batch [2,1] vs [3])', (a, b) => matmul(a, b), () => [smooth([2, 1, 2, 3]), smooth([3, 3, 2])]);
add('matmul 5-D @ 5-D (broadcast batch)', (a, b) => matmul(a, b), () => [smooth([2, 1, 2, 2, 3]), smooth([1, 2, 1, 3, 2])]);
add('matmul of transposed operands', (a, b) => matmul(a.mT, b.t()), () => [smooth([2, 3, 2]), smooth([4, 3])]);
add('bmm', (a, b) => bmm(a, b), () => [smooth([2, 2, 3]), smooth([2, 3, 4])]);
add('bmm of a permuted operand', (a, b) => a.permute(1, 0, 2).bmm(b), () => [smooth([2, 3, 3]), smooth([3, 3, 2])]);
add('linear with bias', (x, w, b) => linear(x, w, b), () => [smooth([2, 3]), smooth([4, 3]), smooth([4])]);
add('linear without bias', (x, w) => linear(x, w), () => [smooth([2, 3]), smooth([4, 3])]);
add('linear 3-D input', (x, w, b) => linear(x, w, b), () => [smooth([2, 2, 3]), smooth([4, 3]), smooth([4])]);
add('linear 3-D non-contiguous input', (x, w) => linear(x.transpose(0, 1), w), () => [smooth([2, 2, 3]), smooth([4, 3])]);

// indexing
add('indexSelect dim 0 with duplicate indices', (a) => a.indexSelect(0, idx([2, 0, 2, 1])), () => [smooth([3, 4])]);
add('indexSelect dim 1 with duplicate indices', (a) => a.indexSelect(1, idx([3, 3, 0])), () => [smooth([2, 4, 2])]);
add('gather dim 1', (a) => a.gather(1, idx([0, 2, 2, 1, 0, 0], [2, 3])), () => [smooth([2, 4])]);
add('gather dim 0 (smaller index)', (a) => a.gather(0, idx([1, 0, 1], [1, 3])), () => [smooth([2, 4])]);
add('scatterAdd dim 0: grads to input and src', (a, s) => a.scatterAdd(0, idx([0, 2, 0, 0, 1, 2], [2, 3]), s), () => [smooth([3, 3]), smooth([2, 3])]);
add('scatterAdd dim 1 with src larger than index', (a, s) => a.scatterAdd(1, idx([1, 1, 0, 2], [2, 2]), s), () => [smooth([2, 3]), smooth([2, 4])]);
add('indexAdd duplicates: grads to input and source', (a, s) => a.indexAdd(0, idx([1, 0, 1]), s), () => [smooth([3, 2]), smooth([3, 2])]);
add('indexAdd dim 1 alpha=-2', (a, s) => a.indexAdd(1, idx([2, 2]), s, -2), () => [smooth([2, 3]), smooth([2, 2])]);

// dropout and casts
add('dropout eval is the identity', (a) => dropout(a, 0.5, false), () => [smooth([3, 4])]);
add('dropout train p=0.3 with a fixed generator', (a) => dropout(a, 0.3, true, new Generator(42)), () => [smooth([4, 5])]);
add("to('float64') from float64", (a) => a.to('float64').mul(2), () => [smooth([3])]);

// views and shape ops (the gradient routes back to the picked positions)
add('view', (a) => a.view(3, 4), () => [smooth([2, 6])]);
add('view of a transposed tensor that allows it', (a) => a.permute(1, 0, 2).view(3, 8), () => [smooth([1, 3, 8])]);
add('reshape', (a) => a.reshape([4, 3]), () => [smooth([2, 6])]);
add('reshape with -1', (a) => a.reshape(-1, 2), () => [smooth([2, 3, 2])]);
add('reshape of a non-contiguous tensor (copies)', (a) => a.t().reshape(-1), () => [smooth([3, 4])]);
add('permute', (a) => a.permute(2, 0, 1), () => [smooth([2, 3, 4])]);
add('transpose', (a) => a.transpose(0, 2), () => [smooth([2, 3, 4])]);
add('t', (a) => a.t(), () => [smooth([2, 3])]);
add('mT', (a) => a.mT, () => [smooth([2, 3, 4])]);
add('squeeze all', (a) => a.squeeze(), () => [smooth([2, 1, 3, 1])]);
add('squeeze one dim', (a) => a.squeeze(1), () => [smooth([2, 1, 3])]);
add('unsqueeze', (a) => a.unsqueeze(1), () => [smooth([2, 3])]);
add('unsqueeze last', (a) => a.unsqueeze(-1), () => [smooth([2, 3])]);
add('expand', (a) => a.expand(2, 3, 4), () => [smooth([3, 1])]);
add('expand with -1', (a) => a.expand(2, -1, 4), () => [smooth([1, 3, 1])]);
add('expandAs', (a, b) => a.expandAs(b).mul(b), () => [smooth([1, 4]), smooth([3, 4])]);
add('expanded input into mul', (a, b) => a.expand(3, 4).mul(b), () => [smooth([4]), smooth([3, 4])]);
add('flatten', (a) => a.flatten(), () => [smooth([2, 3, 4])]);
add('flatten middle dims', (a) => a.flatten(1, 2), () => [smooth([2, 3, 4, 1])]);
add('unflatten', (a) => a.unflatten(1, [2, -1]), () => [smooth([2, 6])]);
add('narrow', (a) => a.narrow(1, 1, 2), () => [smooth([2, 4])]);
add('narrow negative start', (a) => a.narrow(0, -2, 2), () => [smooth([4, 2])]);
add('slice with steps', (a) => a.slice([1, null, 2], [null, null, 3]), () => [smooth([5, 7])]);
add('slice with negative bounds', (a) => a.slice([-3, -1], null, [0, 2]), () => [smooth([4, 2, 3])]);
add('slice with an index (drops the dim)', (a) => a.slice(null, 1), () => [smooth([3, 4])]);
add('select', (a) => a.select(1, 2), () => [smooth([2, 3, 4])]);
add('select negative', (a) => a.select(-1, -1), () => [smooth([2, 3])]);
add('chunk', (a) => a.chunk(3, 1), () => [smooth([2, 7])]);
add('split int', (a) => a.split(2), () => [smooth([5, 2])]);
add('split sizes list', (a) => a.split([1, 3, 2], 1), () => [smooth([2, 6])]);
add('unbind', (a) => a.unbind(1), () => [smooth([2, 3])]);
add('contiguous of a permuted tensor', (a) => a.permute(1, 0).contiguous(), () => [smooth([2, 3])]);
add('clone', (a) => a.clone(), () => [smooth([2, 3])]);
add('cat dim 0', (a, b) => cat([a, b]), () => [smooth([2, 3]), smooth([1, 3])]);
add('cat dim 1 with a repeated tensor', (a, b) => cat([a, b, a], 1), () => [smooth([2, 3]), smooth([2, 1])]);
add('cat of non-contiguous views', (a) => cat([a.t(), a.slice(null, [0, 3, 2]).t()], 0), () => [smooth([2, 4])]);
add('stack dim 0', (a, b) => stack([a, b]), () => [smooth([2, 3]), smooth([2, 3])]);
add('stack dim -1', (a, b) => stack([a, b], -1), () => [smooth([2, 3]), smooth([2, 3])]);
add('repeat', (a) => a.repeat(2, 3), () => [smooth([2, 2])]);
add('repeat adding dims', (a) => a.repeat(2, 1, 2), () => [smooth([3])]);
add('flip one dim', (a) => a.flip(0), () => [smooth([3, 4])]);
add('flip several dims', (a) => a.flip([0, 2]), () => [smooth([2, 3, 4])]);
add('roll one dim', (a) => a.roll(1, 1), () => [smooth([2, 4])]);
add('roll flattened', (a) => a.roll(-3), () => [smooth([2, 4])]);
add('roll several dims', (a) => a.roll([1, -1], [0, 1]), () => [smooth([3, 4])]);
add('diagonal', (a) => a.diagonal(), () => [smooth([3, 4])]);
add('diagonal offset 1', (a) => a.diagonal(1), () => [smooth([3, 4])]);
add('diagonal offset -1 dims 1,2', (a) => a.diagonal(-1, 1, 2), () => [smooth([2, 3, 3])]);

// compositions over non-contiguous inputs (permuted, stepped slices, expanded)
add('exp of a permuted input', (a) => a.permute(1, 0).exp(), () => [smooth([2, 3])]);
add('mul of stepped slices', (a, b) => a.slice(null, [0, 4, 2]).mul(b.slice([1, 3], null)), () => [smooth([2, 4]), smooth([3, 2])]);
add('div of an expanded input', (a, b) => b.div(a.expand(2, 3)), () => [positive([1, 3]), smooth([2, 3])]);
add('sigmoid of a flipped + stepped input', (a) => a.flip(1).slice(null, [null, null, 2]).sigmoid(), () => [smooth([2, 5])]);
add('small MLP (linear, gelu, logSoftmax, mean)', (x, w1, w2) => linear(linear(x, w1).gelu(), w2).logSoftmax(-1).mean(), () => [smooth([3, 4]), smooth([5, 4]), smooth([2, 5])]);

for (const c of cases) {
  test(c.name, () => {
    const inputs = c.inputs();
    for (const x of inputs) assert.is(x.dtype, 'float64');
    assertGradcheck(c.fn, inputs, c.name, c.opts);
  });
}

// gradcheck itself must catch a wrong gradient, or none of the above means anything
test('gradcheck rejects a wrong backward', () => {
  const x = smooth([3]);
  // x.detach() in one term drops that term's gradient: analytic 1·x', numeric 2·x'
  const r = gradcheck((a) => a.mul(a.detach()), [x]);
  assert.not.ok(r.ok);
  assert.match(r.message, /analytic/);
});

test.run();
