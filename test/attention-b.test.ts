// MedT AxialAttention / AxialAttention_dynamic and MHSA beyond the PyTorch
// fixtures (test/blocks.test.ts): the typed camelCase constructors and their
// defaults, PyTorch state-dict keys, MedT's initialisation, the gated block's
// gates option, and the constraint errors (each names the block and shapes).
// Run: node tools/run-tests.mjs attention-b
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBlock, manualSeed, noGrad, randn, type Tensor } from '../src/index.js';
import { AxialAttention } from '../src/nn/attention/AxialAttention.js';
import { AxialAttentionDynamic } from '../src/nn/attention/AxialAttention_dynamic.js';
import { MHSA } from '../src/nn/attention/MHSA.js';
import { throwsWith } from './helpers/assert.js';

const esc = (s: string) => s.replace(/[[\]().+*?^$|{}\\]/g, '\\$&');
const has = (s: string) => new RegExp(esc(s));

function std(t: Tensor): number {
  const v = Array.from(t.dataSync());
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
}

const BN = (n: string) => [`${n}.weight`, `${n}.bias`, `${n}.running_mean`, `${n}.running_var`, `${n}.num_batches_tracked`];
const AXIAL_KEYS = ['relative', 'flatten_index', 'qkv_transform.weight', ...BN('bn_qkv'), ...BN('bn_similarity'), ...BN('bn_output')];

// ---- AxialAttention ------------------------------------------------------------------------------

test('AxialAttention: typed constructor, reference defaults, PyTorch state-dict keys and shapes', () => {
  const m = new AxialAttention({ inPlanes: 16, outPlanes: 16 });
  assert.equal([m.groups, m.kernelSize, m.stride, m.bias, m.width, m.groupPlanes], [8, 56, 1, false, false, 2]);
  assert.equal(Object.keys(m.stateDict()), AXIAL_KEYS);
  assert.equal(m.relative.shape, [4, 111]);
  assert.equal(m.qkvTransform.weight.shape, [32, 16, 1]);
  assert.is(m.qkvTransform.bias, null);
  assert.equal(m.stateDict()['bn_similarity.weight'].shape, [24]);
  assert.equal(m.namedParameters().map(([k]) => k), [
    'relative', 'qkv_transform.weight', 'bn_qkv.weight', 'bn_qkv.bias', 'bn_similarity.weight', 'bn_similarity.bias', 'bn_output.weight', 'bn_output.bias',
  ]);
  // same keys through the registry, with Python's spelling
  const b = createBlock('AxialAttention', { in_planes: 16, out_planes: 16, groups: 2, kernel_size: 6, stride: 2, width: true });
  assert.equal(Object.keys(b.stateDict()), AXIAL_KEYS); // AvgPool2d has no state
});

test('AxialAttention: flatten_index is the int32 buffer k − q + K − 1', () => {
  const m = new AxialAttention({ inPlanes: 4, outPlanes: 4, groups: 2, kernelSize: 3 });
  const idx = m.stateDict().flatten_index;
  assert.is(idx.dtype, 'int32');
  assert.equal(Array.from(idx.dataSync()), [2, 1, 0, 3, 2, 1, 4, 3, 2]);
});

test('AxialAttention: MedT init, qkv ~ N(0, 1/in_planes), relative ~ N(0, 1/group_planes)', () => {
  manualSeed(7);
  const m = new AxialAttention({ inPlanes: 64, outPlanes: 128, groups: 2, kernelSize: 40 });
  assert.ok(Math.abs(std(m.qkvTransform.weight) / Math.sqrt(1 / 64) - 1) < 0.05, `qkv std ${std(m.qkvTransform.weight)}`);
  assert.ok(Math.abs(std(m.relative) / Math.sqrt(1 / 64) - 1) < 0.05, `relative std ${std(m.relative)}`);
});

test('AxialAttention: output shapes, both axes, stride pools H and W', () => {
  const x = randn([2, 8, 6, 4]);
  const h = new AxialAttention({ inPlanes: 8, outPlanes: 12, groups: 2, kernelSize: 6 });
  assert.equal(h.forward(x).shape, [2, 12, 6, 4]);
  const w = new AxialAttention({ inPlanes: 8, outPlanes: 12, groups: 2, kernelSize: 4, width: true });
  assert.equal(w.forward(x).shape, [2, 12, 6, 4]);
  const s = new AxialAttention({ inPlanes: 8, outPlanes: 12, groups: 2, kernelSize: 6, stride: 2 });
  assert.equal(s.forward(x).shape, [2, 12, 3, 2]);
  s.eval();
  assert.equal(noGrad(() => s.forward(x)).shape, [2, 12, 3, 2]);
});

test('AxialAttention: kernel_size must equal the attended length', () => {
  const m = new AxialAttention({ inPlanes: 16, outPlanes: 16, groups: 2, kernelSize: 7 });
  throwsWith(() => m.forward(randn([2, 16, 8, 8])), /^AxialAttention: kernel_size 7 must equal the attended length H = 8 of input \[2,16,8,8\]$/);
  const w = new AxialAttention({ inPlanes: 16, outPlanes: 16, groups: 2, kernelSize: 8, width: true });
  throwsWith(() => w.forward(randn([2, 16, 8, 5])), /^AxialAttention:/, has('attended length W = 5'), has('[2,16,8,5]'));
  assert.equal(w.forward(randn([1, 16, 3, 8])).shape, [1, 16, 3, 8]); // H is free with width=true
});

test('AxialAttention: input rank and channels', () => {
  const m = new AxialAttention({ inPlanes: 16, outPlanes: 16, groups: 2, kernelSize: 4 });
  throwsWith(() => m.forward(randn([16, 4, 4])), /^AxialAttention:/, /4-D/, has('[16,4,4]'));
  throwsWith(() => m.forward(randn([2, 8, 4, 4])), /^AxialAttention:/, has('[2,8,4,4]'), /8 channels/, /in_planes is 16/);
});

test('AxialAttention: constructor constraints (groups, even group_planes, positive sizes)', () => {
  throwsWith(() => new AxialAttention({ inPlanes: 12, outPlanes: 16 }), /^AxialAttention: in_planes 12 must be divisible by groups 8$/);
  throwsWith(() => new AxialAttention({ inPlanes: 16, outPlanes: 20 }), /^AxialAttention: out_planes 20 must be divisible by groups 8$/);
  throwsWith(() => new AxialAttention({ inPlanes: 16, outPlanes: 24, groups: 8 }), /^AxialAttention: group_planes/, /24 \/ 8 = 3/, /even/);
  throwsWith(() => new AxialAttention({ inPlanes: 16, outPlanes: 16, kernelSize: 0 }), /^AxialAttention: kernel_size must be a positive integer, got 0/);
  throwsWith(() => new AxialAttention({ inPlanes: 16, outPlanes: 16, stride: 1.5 }), /^AxialAttention: stride must be a positive integer/);
  throwsWith(() => createBlock('AxialAttention', { in_planes: 16 }), /AxialAttention: missing required argument 'out_planes'/);
  throwsWith(() => createBlock('AxialAttention', { in_planes: 16, out_planes: 16, gates_trainable: false }), /unexpected keyword argument 'gates_trainable'/);
});

// ---- AxialAttention_dynamic (gated) --------------------------------------------------------------

test('AxialAttention_dynamic: typed constructor, gate values, PyTorch keys (gates first, like the reference)', () => {
  const m = new AxialAttentionDynamic({ inPlanes: 16, outPlanes: 16, groups: 2, kernelSize: 6 });
  assert.equal(Object.keys(m.stateDict()), ['f_qr', 'f_kr', 'f_sve', 'f_sv', ...AXIAL_KEYS]);
  assert.equal(m.gates().map((g) => [g.shape, Number(g.item().toFixed(6))]), [[[], 0.1], [[], 0.1], [[], 0.1], [[], 1]]);
  const d = new AxialAttentionDynamic({ inPlanes: 16, outPlanes: 16 });
  assert.equal([d.groups, d.kernelSize, d.stride, d.bias, d.width], [8, 56, 1, false, false]);
});

test('AxialAttention_dynamic: gates are trainable by default and get gradients', () => {
  const m = new AxialAttentionDynamic({ inPlanes: 8, outPlanes: 8, groups: 2, kernelSize: 5 });
  assert.ok(m.gates().every((g) => g.requiresGrad));
  m.forward(randn([2, 8, 5, 3])).sum().backward();
  for (const [k, p] of m.namedParameters()) assert.ok(p.grad, `${k} has no gradient`);
});

test('AxialAttention_dynamic: gatesTrainable false freezes the gates as upstream; setGatesTrainable(true) unfreezes', () => {
  for (const m of [
    new AxialAttentionDynamic({ inPlanes: 8, outPlanes: 8, groups: 2, kernelSize: 5, gatesTrainable: false }),
    createBlock('AxialAttention_dynamic', { in_planes: 8, out_planes: 8, groups: 2, kernel_size: 5, gates_trainable: false }) as AxialAttentionDynamic,
  ]) {
    assert.ok(m.gates().every((g) => !g.requiresGrad));
    assert.ok('f_sv' in m.stateDict(), 'frozen gates stay in the state dict');
    m.forward(randn([2, 8, 5, 3])).sum().backward();
    for (const [k, p] of m.namedParameters()) {
      if (k.startsWith('f_')) assert.is(p.grad, null, `${k} is frozen`);
      else assert.ok(p.grad, `${k} has no gradient`);
    }
    m.zeroGrad();
    m.setGatesTrainable(true);
    m.forward(randn([2, 8, 5, 3])).sum().backward();
    for (const g of m.gates()) assert.ok(g.grad);
  }
});

test('AxialAttention_dynamic: constraint errors name the block', () => {
  const m = new AxialAttentionDynamic({ inPlanes: 16, outPlanes: 16, groups: 2, kernelSize: 7 });
  throwsWith(() => m.forward(randn([2, 16, 8, 8])), /^AxialAttention_dynamic: kernel_size 7 must equal the attended length H = 8 of input \[2,16,8,8\]$/);
  throwsWith(() => new AxialAttentionDynamic({ inPlanes: 10, outPlanes: 16, groups: 4 }), /^AxialAttention_dynamic: in_planes 10 must be divisible by groups 4$/);
  throwsWith(() => new AxialAttentionDynamic({ inPlanes: 16, outPlanes: 12, groups: 4 }), /^AxialAttention_dynamic: group_planes/, /even/);
});

// ---- MHSA ----------------------------------------------------------------------------------------

test('MHSA: typed constructor, reference defaults, PyTorch keys', () => {
  const m = new MHSA({ nDims: 16 });
  assert.equal([m.width, m.height, m.heads, m.pos], [14, 14, 4, false]);
  const conv = ['query', 'key', 'value'].flatMap((n) => [`${n}.weight`, `${n}.bias`]);
  assert.equal(Object.keys(m.stateDict()), conv);
  const p = new MHSA({ nDims: 16, width: 3, height: 5, heads: 2, posEmb: true });
  assert.equal(Object.keys(p.stateDict()), ['rel_h_weight', 'rel_w_weight', ...conv]);
  assert.equal(p.relHWeight!.shape, [1, 2, 8, 1, 5]);
  assert.equal(p.relWWeight!.shape, [1, 2, 8, 3, 1]);
  assert.equal(p.stateDict()['query.weight'].shape, [16, 16, 1, 1]);
  const b = createBlock('MHSA', { n_dims: 16, width: 3, height: 5, heads: 2, pos_emb: true });
  assert.equal(Object.keys(b.stateDict()), Object.keys(p.stateDict()));
});

test('MHSA: shapes; the pos grid may be larger than the input (first N positions kept)', () => {
  const x = randn([2, 8, 3, 5]);
  assert.equal(new MHSA({ nDims: 8, heads: 2 }).forward(x).shape, [2, 8, 3, 5]);
  assert.equal(new MHSA({ nDims: 8, width: 4, height: 4, heads: 2, posEmb: true }).forward(x).shape, [2, 8, 3, 5]);
  assert.equal(new MHSA({ nDims: 8, width: 5, height: 3, heads: 2, posEmb: true }).forward(x).shape, [2, 8, 3, 5]);
});

test('MHSA: constraint errors', () => {
  throwsWith(() => new MHSA({ nDims: 10, heads: 4 }), /^MHSA: n_dims 10 must be divisible by heads 4$/);
  throwsWith(() => new MHSA({ nDims: 8, heads: 0 }), /^MHSA: heads must be a positive integer, got 0/);
  throwsWith(() => createBlock('MHSA', { n_dims: 6 }), /^MHSA: n_dims 6 must be divisible by heads 4$/);
  const small = new MHSA({ nDims: 8, width: 4, height: 3, heads: 2, posEmb: true });
  throwsWith(() => small.forward(randn([1, 8, 4, 4])), /^MHSA:/, /width·height = 4·3 = 12/, /H·W = 4·4 = 16/, has('[1,8,4,4]'));
  const m = new MHSA({ nDims: 8, heads: 2 });
  throwsWith(() => m.forward(randn([1, 6, 4, 4])), /^MHSA:/, has('[1,6,4,4]'), /6 channels/, /n_dims is 8/);
  throwsWith(() => m.forward(randn([8, 4, 4])), /^MHSA:/, /4-D/, has('[8,4,4]'));
});

test.run();
