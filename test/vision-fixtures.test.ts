// The vision ops against PyTorch: forward outputs and gradients (to input,
// weight, bias and grid) from test/fixtures/vision.safetensors, written by
// tools/fixtures/vision.py (npm run fixtures).
//
// The harness is test/helpers/fixtures.ts, shared with test/ops-fixtures.test.ts:
// each case runs in float64 (outputs and every input gradient compared) and,
// as a second test, forward in float32. Tolerances, relative to the reference
// tensor's largest finite |value|:
//   float64 forward and gradients:  max|a − b| ≤ 1e-9 · max(1, max|ref|)
//   float32 forward:                max|a − b| ≤ 1e-4 · max(1, max|ref|)
// Argmax indices (max pools with return_indices) must match exactly.
//
// batch_norm's outputs are [y, running_mean, running_var]: the running stats
// are the input tensors themselves after the call (torchlet updates them in
// place in training, like PyTorch, and must leave them alone in eval), so the
// inputs are copies of the fixture's tensors (copyInputs).
//
// Run: node tools/run-tests.mjs vision-fixtures
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, type Tensor } from '../src/index.js';
import { fixtureTests, loadFixture, type Args, type OpTable } from './helpers/fixtures.js';

const fixture = await loadFixture(new URL('./fixtures/vision.safetensors', import.meta.url));
const cases = fixture.cases;

/** `o` without its undefined entries: an option the case leaves out is not passed at all. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const convOpts = (a: Args): ops.ConvOptions => defined({ stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups });
const windowOpts = (a: Args): ops.FoldOptions => defined({ stride: a.stride, padding: a.padding, dilation: a.dilation });
const maxPoolOpts = (a: Args): ops.MaxPoolOptions => defined({ ...windowOpts(a), ceilMode: a.ceil_mode });
const withIndices = ({ values, indices }: ops.ValuesIndices): Tensor[] => [values, indices];

/** Fixture op name + args (PyTorch's keyword names) → the torchlet call. */
const OPS: OpTable = {
  conv1d: ([x, w, b], a) => ops.conv1d(x, w, b ?? null, convOpts(a)),
  conv2d: ([x, w, b], a) => ops.conv2d(x, w, b ?? null, convOpts(a)),
  conv_transpose2d: ([x, w, b], a) => ops.convTranspose2d(x, w, b ?? null, defined({
    stride: a.stride, padding: a.padding, outputPadding: a.output_padding, dilation: a.dilation, groups: a.groups,
  })),
  avg_pool2d: ([x], a) => ops.avgPool2d(x, a.kernel_size, defined({
    stride: a.stride, padding: a.padding, ceilMode: a.ceil_mode, countIncludePad: a.count_include_pad,
    divisorOverride: a.divisor_override,
  })),
  max_pool2d: ([x], a) => (a.return_indices
    ? withIndices(ops.maxPool2dWithIndices(x, a.kernel_size, maxPoolOpts(a)))
    : ops.maxPool2d(x, a.kernel_size, maxPoolOpts(a))),
  max_pool1d: ([x], a) => (a.return_indices
    ? withIndices(ops.maxPool1dWithIndices(x, a.kernel_size, maxPoolOpts(a) as Parameters<typeof ops.maxPool1d>[2]))
    : ops.maxPool1d(x, a.kernel_size, maxPoolOpts(a) as Parameters<typeof ops.maxPool1d>[2])),
  adaptive_avg_pool2d: ([x], a) => ops.adaptiveAvgPool2d(x, a.output_size),
  adaptive_max_pool2d: ([x], a) => (a.return_indices
    ? withIndices(ops.adaptiveMaxPool2dWithIndices(x, a.output_size))
    : ops.adaptiveMaxPool2d(x, a.output_size)),
  adaptive_avg_pool1d: ([x], a) => ops.adaptiveAvgPool1d(x, a.output_size),
  unfold: ([x], a) => ops.unfold(x, a.kernel_size, windowOpts(a)),
  fold: ([x], a) => ops.fold(x, a.output_size, a.kernel_size, windowOpts(a)),
  pad: ([x], a) => ops.pad(x, a.pad, a.mode, a.value ?? 0),
  interpolate: ([x], a) => ops.interpolate(x, defined({
    size: a.size, scaleFactor: a.scale_factor, mode: a.mode, alignCorners: a.align_corners,
  })),
  grid_sample: ([x, grid], a) => ops.gridSample(x, grid, { alignCorners: a.align_corners }),
  layer_norm: ([x, w, b], a) => ops.layerNorm(x, a.normalized_shape, w, b, a.eps ?? 1e-5),
  group_norm: ([x, w, b], a) => ops.groupNorm(x, a.num_groups, w, b, a.eps ?? 1e-5),
  batch_norm: ([x, runningMean, runningVar, weight, bias], a) => [
    ops.batchNorm(x, runningMean, runningVar, { weight, bias, training: a.training, momentum: a.momentum, eps: a.eps }),
    runningMean,
    runningVar,
  ],
  instance_norm: ([x, weight, bias], a) => ops.instanceNorm(x, defined({ weight, bias, eps: a.eps })),
  // GSA's channels-first LayerNorm: (x − mean_C) / sqrt(var_C + eps) · w[:,None,None] + b[:,None,None]
  layer_norm_cf: ([x, w, b], a) => ops.layerNormChannelsFirst(x, w, b, a.eps),
};

fixtureTests(fixture, OPS, { copyInputs: true });

test('the vision fixtures cover every op the brief lists', () => {
  const have = new Set(cases.map((c) => c.op));
  const want = [
    'conv1d', 'conv2d', 'conv_transpose2d', 'avg_pool2d', 'max_pool2d', 'max_pool1d', 'adaptive_avg_pool2d',
    'adaptive_max_pool2d', 'adaptive_avg_pool1d', 'unfold', 'fold', 'pad', 'interpolate', 'grid_sample',
    'layer_norm', 'group_norm', 'batch_norm', 'instance_norm', 'layer_norm_cf',
  ];
  assert.equal(want.filter((op) => !have.has(op)), []);
  assert.equal([...have].filter((op) => !OPS[op]), [], 'fixture ops without a torchlet mapping');
  for (const mode of ['constant', 'reflect', 'replicate', 'circular']) {
    assert.ok(cases.some((c) => c.op === 'pad' && c.args.mode === mode), `pad mode ${mode}`);
  }
  assert.ok(cases.some((c) => c.op === 'batch_norm' && c.args.training), 'batch_norm in training');
  assert.ok(cases.some((c) => c.op === 'batch_norm' && !c.args.training), 'batch_norm in eval');
});

test.run();
