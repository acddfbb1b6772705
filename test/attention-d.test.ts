// MobileViTAttention, S2Attention and SplitAttention beyond the PyTorch fixtures
// (test/blocks.test.ts): the typed constructors and their defaults (the
// reference's), the constraint errors, and the S²-MLP spatial shifts checked by
// hand on tiny inputs (a clean shift that keeps the border row / column, not
// the upstream in-place smear; blocks.md C.2).
// Exact comparisons for the shifts (they only move values); gradcheck
// tolerances are gradcheck's defaults.
// Run: node tools/run-tests.mjs attention-d
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { arange, createBlock, getDefaultDtype, noGrad, setDefaultDtype, tensor, zeros, type Tensor } from '../src/index.js';
import { MobileViTAttention } from '../src/nn/attention/MobileViTAttention.js';
import { S2Attention, SplitAttention, spatialShift1, spatialShift2 } from '../src/nn/attention/S2Attention.js';
import { assertGradcheck, seededInputs, shapeRe, throwsWith, vals } from './helpers/assert.js';

const inputs = seededInputs(4100);

/** The state dict as {key: shape}, in registration order. */
const shapes = (m: { stateDict(): Record<string, Tensor> }) =>
  Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]] as const);

/** Run `fn` with float64 as the default dtype (parameters created in float64). */
function inFloat64<T>(fn: () => T): T {
  const previous = getDefaultDtype();
  setDefaultDtype('float64');
  try {
    return fn();
  } finally {
    setDefaultDtype(previous);
  }
}

// ---- the spatial shifts, by hand ------------------------------------------------------------------

// x [1, H=3, W=2, C=4] with x[0,i,j,c] = 100c + 10i + j: one channel per quarter.
const grid = () => tensor(Float64Array.from({ length: 24 }, (_, f) => {
  const c = f % 4, j = Math.floor(f / 4) % 2, i = Math.floor(f / 8);
  return 100 * c + 10 * i + j;
}), [1, 3, 2, 4], { requiresGrad: true });

test('spatialShift1: +1/−1 along H, +1/−1 along W, the border row and column keep their values', () => {
  const x = grid();
  const before = vals(x);
  const y = spatialShift1(x);
  assert.equal([...y.shape], [1, 3, 2, 4]);
  // (i, j) -> [c0: x[max(i−1,0), j], c1: x[min(i+1,2), j], c2: x[i, max(j−1,0)], c3: x[i, min(j+1,1)]]
  assert.equal(vals(y), [
    0, 110, 200, 301, /**/ 1, 111, 200, 301, // i = 0: c0 keeps row 0
    0, 120, 210, 311, /**/ 1, 121, 210, 311, // i = 1
    10, 120, 220, 321, /**/ 11, 121, 220, 321, // i = 2: c0 is row 1 (the in-place smear gives row 0), c1 keeps row 2
  ]);
  assert.equal(vals(x), before, 'the input is not modified');
  // backward = scatter-add: each source element receives one per destination that reads it
  y.sum().backward();
  assert.equal(vals(x.grad!), [
    2, 0, 2, 0, /**/ 2, 0, 0, 2,
    1, 1, 2, 0, /**/ 1, 1, 0, 2,
    0, 2, 2, 0, /**/ 0, 2, 0, 2,
  ]);
});

test('spatialShift2: as spatialShift1 with H and W swapped', () => {
  const y = spatialShift2(grid());
  // (i, j) -> [c0: x[i, max(j−1,0)], c1: x[i, min(j+1,1)], c2: x[max(i−1,0), j], c3: x[min(i+1,2), j]]
  assert.equal(vals(y), [
    0, 101, 200, 310, /**/ 0, 101, 201, 311,
    10, 111, 200, 320, /**/ 10, 111, 201, 321,
    20, 121, 210, 320, /**/ 20, 121, 211, 321,
  ]);
});

/** The clean shift by definition, as a gather over plain arrays: x [B,H,W,C] row-major. */
function shiftByHand(x: number[], [B, H, W, C]: number[], which: 1 | 2): number[] {
  const at = [0, Math.floor(C / 4), Math.floor(C / 2), Math.floor((3 * C) / 4), C];
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) for (let c = 0; c < C; c++) {
    const q = [0, 1, 2, 3].find((k) => c >= at[k] && c < at[k + 1])!;
    const alongH = which === 1 ? q < 2 : q >= 2;
    const step = q % 2 === 0 ? -1 : +1; // quarters 0, 2 read the previous row/column; 1, 3 the next
    const si = alongH ? Math.min(Math.max(i + step, 0), H - 1) : i;
    const sj = alongH ? j : Math.min(Math.max(j + step, 0), W - 1);
    out.push(x[((b * H + si) * W + sj) * C + c]);
  }
  return out;
}

test('spatial shifts: uneven quarters (C = 6 → 1, 2, 1, 2 channels, floor division as in the reference), H = 1, W = 1', () => {
  for (const shape of [[2, 3, 4, 6], [1, 1, 3, 5], [1, 4, 1, 7], [1, 2, 2, 2]]) {
    const values = inputs.uniformValues(shape.reduce((a, b) => a * b, 1));
    const x = tensor(Float64Array.from(values), shape);
    assert.equal(vals(spatialShift1(x)), shiftByHand(values, shape, 1), `shift1 ${shape}`);
    assert.equal(vals(spatialShift2(x)), shiftByHand(values, shape, 2), `shift2 ${shape}`);
  }
});

test('S2Attention: gradcheck through the shifts with uneven quarters (channels 6)', () => {
  inFloat64(() => {
    const m = new S2Attention({ channels: 6 });
    assertGradcheck((x) => m.forward(x), [inputs.smooth([1, 6, 3, 2])], 'S2Attention');
  });
});

// ---- typed constructors ----------------------------------------------------------------------------

test('MobileViTAttention: the defaults are the reference\'s (in_channel 3, dim 512, k 3, patch 7, depth 3, heads 8, head_dim 64, mlp_dim 1024)', () => {
  const s = Object.fromEntries(shapes(new MobileViTAttention()));
  assert.equal(Object.keys(s).length, 4 * 2 + 3 * 11);
  assert.equal(s['conv1.weight'], [3, 3, 3, 3]);
  assert.equal(s['conv2.weight'], [512, 3, 1, 1]);
  assert.equal(s['trans.layers.2.0.ln.weight'], [512]);
  assert.equal(s['trans.layers.2.0.fn.to_qkv.weight'], [3 * 8 * 64, 512]);
  assert.equal(s['trans.layers.2.0.fn.to_out.0.weight'], [512, 8 * 64]);
  assert.equal(s['trans.layers.2.1.fn.net.0.weight'], [1024, 512]);
  assert.equal(s['trans.layers.2.1.fn.net.3.weight'], [512, 1024]);
  assert.equal(s['conv3.weight'], [3, 512, 1, 1]);
  assert.equal(s['conv4.weight'], [3, 6, 3, 3]);
  assert.not.ok('trans.layers.3.0.ln.weight' in s);
});

test('MobileViTAttention: typed options = createBlock kwargs; heads 1 with head_dim = dim has no to_out', () => {
  const typed = new MobileViTAttention({ inChannel: 2, dim: 8, kernelSize: 1, patchSize: 2, depth: 1, heads: 1, headDim: 8, mlpDim: 8 });
  const byName = createBlock('MobileViTAttention', { in_channel: 2, dim: 8, kernel_size: 1, patch_size: 2, depth: 1, heads: 1, head_dim: 8, mlp_dim: 8 });
  assert.equal(shapes(typed), shapes(byName));
  assert.equal(shapes(typed), [
    ['conv1.weight', [2, 2, 1, 1]], ['conv1.bias', [2]], ['conv2.weight', [8, 2, 1, 1]], ['conv2.bias', [8]],
    ['trans.layers.0.0.ln.weight', [8]], ['trans.layers.0.0.ln.bias', [8]], ['trans.layers.0.0.fn.to_qkv.weight', [24, 8]],
    ['trans.layers.0.1.ln.weight', [8]], ['trans.layers.0.1.ln.bias', [8]],
    ['trans.layers.0.1.fn.net.0.weight', [8, 8]], ['trans.layers.0.1.fn.net.0.bias', [8]],
    ['trans.layers.0.1.fn.net.3.weight', [8, 8]], ['trans.layers.0.1.fn.net.3.bias', [8]],
    ['conv3.weight', [2, 8, 1, 1]], ['conv3.bias', [2]], ['conv4.weight', [2, 4, 1, 1]], ['conv4.bias', [2]],
  ]);
  // H ≠ W, both multiples of the patch; train and eval agree (dropout 0, no batch statistics)
  const m = new MobileViTAttention({ inChannel: 2, dim: 8, patchSize: 2, depth: 2, heads: 2, headDim: 4, mlpDim: 16 });
  const x = inputs.smooth([2, 2, 4, 6]).detach().to(getDefaultDtype());
  const yTrain = noGrad(() => m.forward(x));
  assert.equal([...yTrain.shape], [2, 2, 4, 6]);
  m.eval();
  assert.equal(vals(noGrad(() => m.forward(x))), vals(yTrain));
});

test('S2Attention / SplitAttention: defaults (512 channels, k 3), and SplitAttention gets channels (blocks.md C.1)', () => {
  const s = Object.fromEntries(shapes(new S2Attention()));
  assert.equal(s['mlp1.weight'], [1536, 512]);
  assert.equal(s['split_attention.mlp2.weight'], [1536, 512]);
  assert.equal(shapes(new S2Attention({ channels: 8 })), [
    ['mlp1.weight', [24, 8]], ['mlp1.bias', [24]], ['mlp2.weight', [8, 8]], ['mlp2.bias', [8]],
    ['split_attention.mlp1.weight', [8, 8]], ['split_attention.mlp2.weight', [24, 8]],
  ]);
  assert.equal(shapes(new S2Attention({ channels: 8 })), shapes(createBlock('S2Attention', { channels: 8 })));
  const split = new SplitAttention();
  assert.is(split.channel, 512);
  assert.is(split.k, 3);
  assert.equal(shapes(new SplitAttention({ channel: 4, k: 2 })), [['mlp1.weight', [4, 4]], ['mlp2.weight', [8, 4]]]);
  assert.equal(shapes(new SplitAttention({ channel: 4, k: 2 })), shapes(createBlock('SplitAttention', { channel: 4, k: 2 })));
  // channels that are not a multiple of 4 work, as in the reference (uneven quarters)
  const y = noGrad(() => new S2Attention({ channels: 5 }).forward(zeros([1, 5, 2, 3])));
  assert.equal([...y.shape], [1, 5, 2, 3]);
  const z = noGrad(() => new SplitAttention({ channel: 4, k: 2 }).forward(arange(2 * 3 * 4).reshape(1, 2, 1, 3, 4).to(getDefaultDtype())));
  assert.equal([...z.shape], [1, 1, 3, 4]);
});

// ---- constraint errors -----------------------------------------------------------------------------

test('MobileViTAttention: errors name the block and the shapes', () => {
  const m = new MobileViTAttention({ inChannel: 2, dim: 8, patchSize: 2, depth: 1, heads: 2, headDim: 4, mlpDim: 8 });
  throwsWith(() => m.forward(zeros([1, 2, 7, 8])), /^MobileViTAttention: H and W \(7x8\) must be multiples of patch_size 2/, shapeRe(1, 2, 7, 8));
  throwsWith(() => m.forward(zeros([1, 2, 8, 5])), /^MobileViTAttention:/, /8x5/, /patch_size 2/);
  throwsWith(() => m.forward(zeros([1, 3, 8, 8])), /^MobileViTAttention:/, shapeRe(1, 3, 8, 8), /3 channels/, /in_channel 2/);
  throwsWith(() => m.forward(zeros([2, 8, 8])), /^MobileViTAttention:/, /\[B,C,H,W\]/, shapeRe(2, 8, 8));
  throwsWith(() => new MobileViTAttention({ kernelSize: 4 }), /^MobileViTAttention: kernel_size must be odd/, /got 4/);
  throwsWith(() => new MobileViTAttention({ dim: 0 }), /^MobileViTAttention: dim must be a positive integer, got 0/);
  throwsWith(() => new MobileViTAttention({ heads: 1.5 }), /^MobileViTAttention: heads must be a positive integer, got 1.5/);
  throwsWith(() => new MobileViTAttention({ patchSize: -2 }), /^MobileViTAttention: patch_size must be a positive integer/);
  throwsWith(() => createBlock('MobileViTAttention', { patch: 2 }), /MobileViTAttention: unexpected keyword argument 'patch'/);
});

test('S2Attention / SplitAttention: errors name the block and the shapes', () => {
  const m = new S2Attention({ channels: 8 });
  throwsWith(() => m.forward(zeros([1, 6, 4, 4])), /^S2Attention:/, shapeRe(1, 6, 4, 4), /6 channels/, /channels=8/);
  throwsWith(() => m.forward(zeros([8, 4, 4])), /^S2Attention:/, /\[B,C,H,W\]/, shapeRe(8, 4, 4));
  throwsWith(() => m.forward(zeros([1, 8, 0, 4])), /^S2Attention:/, shapeRe(1, 8, 0, 4), /empty/);
  throwsWith(() => new S2Attention({ channels: 0 }), /^S2Attention: channels must be a positive integer, got 0/);
  throwsWith(() => createBlock('S2Attention', { channel: 8 }), /S2Attention: unexpected keyword argument 'channel'/);

  const s = new SplitAttention({ channel: 8, k: 3 });
  throwsWith(() => s.forward(zeros([2, 2, 4, 5, 8])), /^SplitAttention:/, shapeRe(2, 2, 4, 5, 8), /2 branches/, /k=3/);
  throwsWith(() => s.forward(zeros([2, 3, 4, 5, 6])), /^SplitAttention:/, shapeRe(2, 3, 4, 5, 6), /6 channels/, /channel=8/);
  throwsWith(() => s.forward(zeros([2, 3, 20, 8])), /^SplitAttention:/, /\[B,k,H,W,C\]/, shapeRe(2, 3, 20, 8));
  throwsWith(() => new SplitAttention({ k: 0 }), /^SplitAttention: k must be a positive integer, got 0/);

  throwsWith(() => spatialShift1(zeros([3, 2, 4])), /^spatialShift1:/, shapeRe(3, 2, 4));
  throwsWith(() => spatialShift2(zeros([1, 0, 2, 4])), /^spatialShift2:/, shapeRe(1, 0, 2, 4));
});

test.run();
