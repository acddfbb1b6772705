// Attention blocks GSA (+ its LayerNorm), SimAM, ECAAttention, ParNetAttention and
// TripletAttention, beyond the PyTorch fixtures of test/blocks.test.ts: the typed
// camelCase constructors against createBlock (same PyTorch state-dict keys), the
// constraint errors (each names the block and the shapes or values), and small
// sanity checks whose expected values follow from the math by hand.
// Values are compared with |a − e| ≤ 1e-5 · max(1, |e|) (float32, the default dtype).
// Run: node tools/run-tests.mjs attention-a
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBlock, Generator, noGrad, tensor, type Tensor } from '../src/index.js';
import { ECAAttention } from '../src/nn/attention/ECAAttention.js';
import { GSA, GSALayerNorm } from '../src/nn/attention/GSA.js';
import { ParNetAttention } from '../src/nn/attention/ParNetAttention.js';
import { SimAM } from '../src/nn/attention/SimAM.js';
import { TripletAttention } from '../src/nn/attention/TripletAttention.js';

const TOL = 1e-5;

/** `fn` must throw an Error whose message matches every regex. */
function throwsWith(fn: () => unknown, ...patterns: RegExp[]): void {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof Error, `expected an Error to be thrown, got ${String(caught)}`);
  const msg = (caught as Error).message;
  for (const p of patterns) assert.match(msg, p, `message "${msg}" does not match ${p}`);
}

const shapeRe = (...dims: number[]): RegExp => new RegExp(`\\[${dims.join(',')}\\]`);

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, msg: string, tol = TOL): void {
  assert.is(actual.length, expected.length, `${msg}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${msg} [${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

/** A seeded normal tensor (float32). */
function randn(shape: number[], seed: number, requiresGrad = false): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, () => g.normal()), shape, { requiresGrad });
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

// ---- GSA -----------------------------------------------------------------------------------------

const GSA_KEYS = [
  'share_space1', 'share_space2', 'share_space3', 'share_space4',
  ...[1, 2, 3, 4].flatMap((i) => [`conv${i}.0.weight`, `conv${i}.0.bias`, `conv${i}.2.weight`, `conv${i}.2.bias`]),
  'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
  'ldw.0.weight', 'ldw.0.bias', 'ldw.2.weight', 'ldw.2.bias',
];

test('GSA: typed constructor = createBlock, PyTorch keys, shapes, share_space starts at ones', () => {
  const m = new GSA({ dimIn: 8, dimOut: 12 });
  const b = createBlock('GSA', { dim_in: 8, dim_out: 12 });
  assert.ok(b instanceof GSA);
  assert.equal(Object.keys(m.stateDict()), GSA_KEYS);
  assert.equal(Object.keys(b.stateDict()), GSA_KEYS);
  const sd = m.stateDict();
  assert.equal(sd.share_space1.shape, [1, 2, 8, 8]);
  assert.equal(sd['conv1.0.weight'].shape, [2, 1, 3, 3]); // depthwise
  assert.equal(sd['ldw.0.weight'].shape, [8, 1, 3, 3]);
  assert.equal(sd['ldw.2.weight'].shape, [12, 8, 1, 1]);
  assert.ok(Array.from(sd.share_space3.dataSync()).every((v) => v === 1));
  assert.ok(Array.from(sd['norm1.weight'].dataSync()).every((v) => v === 1));
  assert.ok(Array.from(sd['norm2.bias'].dataSync()).every((v) => v === 0));
  assert.equal(m.forward(randn([2, 8, 5, 7], 1)).shape, [2, 12, 5, 7]);
});

test('GSA: at H = 1 only row 0 of share_space gets a gradient (bilinear, align_corners)', () => {
  const m = new GSA({ dimIn: 4, dimOut: 4 });
  const x = randn([2, 4, 1, 6], 2, true);
  m.forward(x).sum().backward();
  const g = m.getParameter('share_space2')!.grad!.dataSync(); // [1,1,8,8]
  for (let r = 0; r < 8; r++) {
    const row = Array.from(g.slice(r * 8, r * 8 + 8));
    if (r === 0) assert.ok(row.some((v) => v !== 0), 'row 0 has a gradient');
    else assert.ok(row.every((v) => v === 0), `row ${r} has no gradient`);
  }
  assert.ok(x.grad && Array.from(x.grad.dataSync()).some((v) => v !== 0));
});

test('GSA: constraint errors', () => {
  throwsWith(() => new GSA({ dimIn: 18, dimOut: 8 }), /^GSA:/, /dim_in/, /divisible by 4/, /18/);
  throwsWith(() => createBlock('GSA', { dim_in: 6, dim_out: 6 }), /^GSA:/, /divisible by 4/, /6/);
  throwsWith(() => new GSA({ dimIn: 0, dimOut: 8 }), /^GSA:/, /dim_in/);
  throwsWith(() => new GSA({ dimIn: 8, dimOut: 0 }), /^GSA:/, /dim_out/, /0/);
  throwsWith(() => createBlock('GSA', { dim_in: 8 }), /^GSA:/, /dim_out/);
  const m = new GSA({ dimIn: 8, dimOut: 8 });
  throwsWith(() => m.forward(randn([2, 4, 5, 5], 3)), /^GSA:/, shapeRe(2, 4, 5, 5), /\[B, 8, H, W\]/);
  throwsWith(() => m.forward(randn([8, 5, 5], 3)), /^GSA:/, shapeRe(8, 5, 5));
});

// ---- GSA's LayerNorm ----------------------------------------------------------------------------

test('GSALayerNorm: channels_first equals channels_last on the channels-last view; per-pixel mean 0, biased var 1', () => {
  const x = randn([2, 6, 3, 4], 4);
  const cf = createBlock('LayerNorm', { normalized_shape: 6, data_format: 'channels_first' });
  const cl = new GSALayerNorm({ normalizedShape: 6 });
  assert.ok(cf instanceof GSALayerNorm);
  assert.is((cf as GSALayerNorm).eps, 1e-6);
  assert.is(cl.dataFormat, 'channels_last');
  assert.equal(Object.keys(cf.stateDict()), ['weight', 'bias']);
  const a = cf.forward(x);
  const b = cl.forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2).contiguous();
  close(a.dataSync(), b.dataSync(), 'channels_first vs channels_last');
  const mean = a.mean(1).dataSync();
  const variance = a.var(1, false).dataSync();
  close(mean, new Array(mean.length).fill(0), 'per-pixel mean');
  close(variance, new Array(variance.length).fill(1), 'per-pixel biased variance', 1e-4);
});

test('GSALayerNorm: constraint errors', () => {
  throwsWith(() => createBlock('LayerNorm', { normalized_shape: 4, data_format: 'nchw' }), /^GSALayerNorm:/, /data_format/, /nchw/);
  throwsWith(() => new GSALayerNorm({ normalizedShape: 0 }), /^GSALayerNorm:/, /normalized_shape/);
  throwsWith(() => new GSALayerNorm({ normalizedShape: 4, dataFormat: 'channels_first' }).forward(randn([2, 3, 4, 4], 5)),
    /^GSALayerNorm:/, /channels_first/, shapeRe(2, 3, 4, 4));
  throwsWith(() => new GSALayerNorm({ normalizedShape: 4, dataFormat: 'channels_first' }).forward(randn([2, 4, 6], 5)),
    /^GSALayerNorm:/, /\[B, 4, H, W\]/, shapeRe(2, 4, 6));
  throwsWith(() => new GSALayerNorm({ normalizedShape: 4 }).forward(randn([2, 4, 3], 5)), /^GSALayerNorm:/, /channels_last/, shapeRe(2, 4, 3));
});

// ---- SimAM ----------------------------------------------------------------------------------------

test('SimAM: no parameters; matches the energy formula; constant maps give x · sigmoid(1/2)', () => {
  const m = new SimAM();
  assert.is(m.eLambda, 1e-4);
  assert.equal(Object.keys(m.stateDict()), []);
  assert.is((createBlock('SimAM', { e_lambda: 0.5 }) as SimAM).eLambda, 0.5);

  const [B, C, H, W] = [1, 2, 2, 3];
  const x = randn([B, C, H, W], 6);
  const xs = x.dataSync();
  const lambda = 0.25;
  const expected: number[] = [];
  for (let c = 0; c < C; c++) {
    const v = Array.from(xs.slice(c * H * W, (c + 1) * H * W));
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    const d = v.map((t) => (t - mu) ** 2);
    const s = d.reduce((a, b) => a + b, 0) / (H * W - 1);
    for (let i = 0; i < v.length; i++) expected.push(v[i] * sigmoid(d[i] / (4 * (s + lambda)) + 0.5));
  }
  close(new SimAM({ eLambda: lambda }).forward(x).dataSync(), expected, 'SimAM formula');

  const flat = tensor(new Float32Array([3, 3, 3, 3, -2, -2, -2, -2]), [1, 2, 2, 2]);
  close(m.forward(flat).dataSync(), [3, 3, 3, 3, -2, -2, -2, -2].map((v) => v * sigmoid(0.5)), 'constant maps');
});

test('SimAM: constraint errors', () => {
  const m = new SimAM();
  throwsWith(() => m.forward(randn([2, 3, 1, 1], 7)), /^SimAM:/, /H\*W > 1/, shapeRe(2, 3, 1, 1));
  throwsWith(() => m.forward(randn([2, 3, 4], 7)), /^SimAM:/, shapeRe(2, 3, 4));
  throwsWith(() => createBlock('SimAM', { e_lambda: 'big' }), /^SimAM:/, /e_lambda/);
  throwsWith(() => createBlock('SimAM', { channels: 4 }), /^SimAM:/, /channels/); // EAP's signature, not the seed's
});

// ---- ECAAttention ---------------------------------------------------------------------------------

test('ECAAttention: keys; an identity conv gives x · sigmoid(mean_hw x)', () => {
  const m = new ECAAttention();
  assert.is(m.kernelSize, 3);
  assert.equal(Object.keys(m.stateDict()), ['conv.weight', 'conv.bias']);
  assert.equal(m.stateDict()['conv.weight'].shape, [1, 1, 3]);
  assert.equal(createBlock('ECAAttention', { kernel_size: 5 }).stateDict()['conv.weight'].shape, [1, 1, 5]);

  m.loadStateDict({ 'conv.weight': tensor(new Float32Array([0, 1, 0]), [1, 1, 3]), 'conv.bias': tensor(new Float32Array([0]), [1]) });
  const [B, C, H, W] = [2, 3, 2, 2];
  const x = randn([B, C, H, W], 8);
  const xs = x.dataSync();
  const expected: number[] = [];
  for (let bc = 0; bc < B * C; bc++) {
    const v = Array.from(xs.slice(bc * H * W, (bc + 1) * H * W));
    const a = sigmoid(v.reduce((p, q) => p + q, 0) / v.length);
    expected.push(...v.map((t) => t * a));
  }
  close(m.forward(x).dataSync(), expected, 'ECA with identity conv');
});

test('ECAAttention: constraint errors', () => {
  throwsWith(() => new ECAAttention({ kernelSize: 4 }), /^ECAAttention:/, /kernel_size/, /odd/, /4/);
  throwsWith(() => createBlock('ECAAttention', { kernel_size: 0 }), /^ECAAttention:/, /kernel_size/);
  throwsWith(() => new ECAAttention().forward(randn([2, 8, 5], 9)), /^ECAAttention:/, shapeRe(2, 8, 5));
});

// ---- ParNetAttention ------------------------------------------------------------------------------

test('ParNetAttention: keys with BatchNorm buffers, default channel 512, train ≠ eval', () => {
  const keys = [
    'sse.1.weight', 'sse.1.bias',
    'conv1x1.0.weight', 'conv1x1.0.bias', 'conv1x1.1.weight', 'conv1x1.1.bias',
    'conv1x1.1.running_mean', 'conv1x1.1.running_var', 'conv1x1.1.num_batches_tracked',
    'conv3x3.0.weight', 'conv3x3.0.bias', 'conv3x3.1.weight', 'conv3x3.1.bias',
    'conv3x3.1.running_mean', 'conv3x3.1.running_var', 'conv3x3.1.num_batches_tracked',
  ];
  const m = new ParNetAttention({ channel: 4 });
  assert.equal(Object.keys(m.stateDict()), keys);
  assert.equal(Object.keys(createBlock('ParNetAttention', { channel: 4 }).stateDict()), keys);
  assert.is(new ParNetAttention().channel, 512);

  const x = randn([2, 4, 3, 5], 10);
  const yTrain = m.forward(x);
  assert.equal(yTrain.shape, [2, 4, 3, 5]);
  assert.is(m.stateDict()['conv3x3.1.num_batches_tracked'].item(), 1);
  m.eval();
  const yEval = noGrad(() => m.forward(x));
  const diff = Math.max(...Array.from(yTrain.dataSync(), (v, i) => Math.abs(v - yEval.dataSync()[i])));
  assert.ok(diff > 1e-3, `train and eval should differ (BatchNorm), max diff ${diff}`);
});

test('ParNetAttention: constraint errors', () => {
  throwsWith(() => new ParNetAttention({ channel: 0 }), /^ParNetAttention:/, /channel/);
  throwsWith(() => createBlock('ParNetAttention', { channel: 2.5 }), /^ParNetAttention:/, /channel/, /2\.5/);
  throwsWith(() => new ParNetAttention({ channel: 4 }).forward(randn([2, 3, 5, 5], 11)), /^ParNetAttention:/, /\[B, 4, H, W\]/, shapeRe(2, 3, 5, 5));
});

// ---- TripletAttention -----------------------------------------------------------------------------

const gateKeys = (g: string) => [
  `${g}.conv.conv.weight`, `${g}.conv.bn.weight`, `${g}.conv.bn.bias`,
  `${g}.conv.bn.running_mean`, `${g}.conv.bn.running_var`, `${g}.conv.bn.num_batches_tracked`,
];

test('TripletAttention: keys (no hw gate with no_spatial), BN momentum 0.01', () => {
  const m = new TripletAttention();
  assert.equal(Object.keys(m.stateDict()), [...gateKeys('cw'), ...gateKeys('hc'), ...gateKeys('hw')]);
  const ns = createBlock('TripletAttention', { no_spatial: true }) as TripletAttention;
  assert.equal(Object.keys(ns.stateDict()), [...gateKeys('cw'), ...gateKeys('hc')]);
  assert.is(ns.hw, null);
  assert.equal(m.stateDict()['cw.conv.conv.weight'].shape, [1, 2, 7, 7]);
  const bn = m.cw.conv.bn!;
  assert.is(bn.momentum, 0.01);
  assert.is(bn.eps, 1e-5);

  // running_mean ← 0.99 · 0 + 0.01 · (batch mean of the conv output), for the cw gate's input P x
  const x = randn([2, 3, 4, 5], 12);
  const convOut = noGrad(() => m.cw.conv.conv.forward(m.cw.compress.forward(x.permute(0, 2, 1, 3).contiguous())));
  const batchMean = convOut.mean().item();
  const y = m.forward(x);
  assert.equal(y.shape, [2, 3, 4, 5]);
  close([m.stateDict()['cw.conv.bn.running_mean'].item()], [0.01 * batchMean], 'running_mean after one step');
});

test('TripletAttention: no_spatial averages the two rotated gates (×1/2)', () => {
  const m = new TripletAttention({ noSpatial: true });
  m.eval();
  const x = randn([1, 3, 4, 5], 13);
  const y = noGrad(() => m.forward(x));
  const a = noGrad(() => m.cw.forward(x.permute(0, 2, 1, 3).contiguous()).permute(0, 2, 1, 3));
  const b = noGrad(() => m.hc.forward(x.permute(0, 3, 2, 1).contiguous()).permute(0, 3, 2, 1));
  close(y.dataSync(), a.add(b).mul(0.5).contiguous().dataSync(), 'no_spatial output');
});

test('TripletAttention: constraint errors', () => {
  throwsWith(() => new TripletAttention().forward(randn([2, 3, 4], 14)), /^TripletAttention:/, shapeRe(2, 3, 4));
  throwsWith(() => createBlock('TripletAttention', { no_spatial: 'yes' }), /^TripletAttention:/, /no_spatial/);
});

test.run();
