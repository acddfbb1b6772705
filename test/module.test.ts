// The module layer: registration, PyTorch state-dict keys, loadStateDict's
// checks, train/eval, default initialisation bounds, BatchNorm's running
// statistics and num_batches_tracked, and a state dict through safetensors.
// Expected keys and values are written out by hand from PyTorch's behaviour.
// Run: node tools/run-tests.mjs module
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSafetensors, Module, manualSeed, nn, noGrad, ones, randn, saveSafetensors, tensor, zeros, type Tensor } from '../src/index.js';

class Block extends Module {
  readonly conv: nn.Conv2d;
  readonly norm: nn.BatchNorm2d;
  readonly head: nn.Sequential;
  readonly scale: Tensor;
  constructor() {
    super();
    this.conv = this.addModule('conv1', new nn.Conv2d(3, 4, 3, { padding: 1, bias: false }));
    this.norm = this.addModule('bn_qkv', new nn.BatchNorm2d(4));
    this.scale = this.addParameter('share_space1', ones([1, 4, 1, 1]));
    this.head = this.addModule('mlp', new nn.Sequential(new nn.Linear(4, 8), new nn.GELU(), new nn.Linear(8, 2)));
  }
  forward(x: Tensor): Tensor {
    const h = this.norm.forward(this.conv.forward(x)).mul(this.scale).relu();
    return this.head.forward(h.mean([2, 3]));
  }
}

test('stateDict keys are PyTorch keys, in its order (own parameters and buffers, then children)', () => {
  const m = new Block();
  assert.equal(Object.keys(m.stateDict()), [
    'share_space1',
    'conv1.weight',
    'bn_qkv.weight', 'bn_qkv.bias', 'bn_qkv.running_mean', 'bn_qkv.running_var', 'bn_qkv.num_batches_tracked',
    'mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias',
  ]);
  assert.equal(m.namedParameters().map(([k]) => k), [
    'share_space1', 'conv1.weight', 'bn_qkv.weight', 'bn_qkv.bias', 'mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias',
  ]);
  assert.equal(m.namedBuffers().map(([k]) => k), ['bn_qkv.running_mean', 'bn_qkv.running_var', 'bn_qkv.num_batches_tracked']);
  assert.equal(m.stateDict()['conv1.weight'].shape, [4, 3, 3, 3]);
  assert.ok(m.parameters().every((p) => p.requiresGrad && p.isLeaf));
  assert.is(m.getBuffer('num_batches_tracked'), null);
  assert.is(m.norm.numBatchesTracked!.dtype, 'int32');
});

test('train() and eval() reach every descendant', () => {
  const m = new Block();
  assert.ok(m.modules().every((x) => x.training));
  m.eval();
  assert.ok(m.modules().every((x) => !x.training));
  m.train();
  assert.ok(m.head.at(1).training);
});

test('loadStateDict copies values in place and keeps parameter identity', () => {
  const a = new Block(), b = new Block();
  const w = b.conv.weight;
  b.loadStateDict(a.stateDict());
  assert.is(b.conv.weight, w);
  assert.equal(Array.from(b.conv.weight.dataSync()), Array.from(a.conv.weight.dataSync()));
  assert.equal(Array.from(b.head.at(2).getParameter('bias')!.dataSync()), Array.from(a.head.at(2).getParameter('bias')!.dataSync()));
});

test('loadStateDict: strict errors list missing and unexpected keys; shape mismatch always fails; nothing is written on error', () => {
  const m = new Block();
  const before = Array.from(m.conv.weight.dataSync());
  const sd = { ...m.stateDict() };
  delete (sd as Record<string, Tensor>)['share_space1'];
  sd['extra.weight'] = zeros([1]);
  sd['conv1.weight'] = zeros([4, 3, 3, 3]);
  assert.throws(() => m.loadStateDict(sd), (e: Error) => /missing keys: share_space1/.test(e.message) && /unexpected keys: extra\.weight/.test(e.message));
  assert.equal(Array.from(m.conv.weight.dataSync()), before);
  const r = m.loadStateDict(sd, { strict: false });
  assert.equal(r.missingKeys, ['share_space1']);
  assert.equal(r.unexpectedKeys, ['extra.weight']);
  assert.ok(Array.from(m.conv.weight.dataSync()).every((v) => v === 0));
  const bad = { ...m.stateDict(), 'mlp.0.weight': zeros([8, 5]) };
  assert.throws(() => m.loadStateDict(bad, { strict: false }), /size mismatch for mlp\.0\.weight: checkpoint \[8,5\], model \[8,4\]/);
});

test('default init: Linear and Conv weights and biases lie in U(±1/sqrt(fan_in)) and are not constant', () => {
  manualSeed(3);
  const lin = new nn.Linear(50, 40);
  const conv = new nn.Conv2d(8, 6, [3, 2], { groups: 2 }); // fan_in = 8/2·3·2 = 24
  for (const [t, fanIn] of [[lin.weight, 50], [lin.bias!, 50], [conv.weight, 24], [conv.bias!, 24]] as const) {
    const v = Array.from(t.dataSync());
    const bound = 1 / Math.sqrt(fanIn);
    assert.ok(v.every((x) => Math.abs(x) <= bound), 'within the bound');
    assert.ok(Math.max(...v) > 0.5 * bound && Math.min(...v) < -0.5 * bound, 'spread over the range');
  }
  assert.equal(conv.weight.shape, [6, 4, 3, 2]);
});

test('BatchNorm2d: train updates running stats (momentum 0.1, unbiased var) and num_batches_tracked; eval uses them', () => {
  const bn = new nn.BatchNorm2d(1);
  // one channel, values 1..4: mean 2.5, biased var 1.25, unbiased var 5/3
  const x = tensor([1, 2, 3, 4], [2, 1, 1, 2]);
  const y = bn.forward(x);
  const s = Math.sqrt(1.25 + 1e-5);
  assert.ok(Array.from(y.dataSync()).every((v, i) => Math.abs(v - (i + 1 - 2.5) / s) < 1e-5));
  assert.ok(Math.abs(bn.runningMean!.item() - 0.25) < 1e-6);
  assert.ok(Math.abs(bn.runningVar!.item() - (0.9 + 0.1 * 5 / 3)) < 1e-6);
  assert.is(bn.numBatchesTracked!.item(), 1);
  bn.forward(x);
  assert.is(bn.numBatchesTracked!.item(), 2);
  bn.eval();
  const rm = bn.runningMean!.item(), rv = bn.runningVar!.item();
  const z = bn.forward(x);
  assert.ok(Array.from(z.dataSync()).every((v, i) => Math.abs(v - (i + 1 - rm) / Math.sqrt(rv + 1e-5)) < 1e-5));
  assert.is(bn.numBatchesTracked!.item(), 2, 'eval does not count batches');
});

test('BatchNorm1d with momentum null keeps a cumulative average', () => {
  const bn = new nn.BatchNorm1d(1, { momentum: null });
  bn.forward(tensor([[1], [3]]));  // mean 2
  bn.forward(tensor([[5], [7]]));  // mean 6
  assert.ok(Math.abs(bn.runningMean!.item() - 4) < 1e-6);
});

test('Dropout: identity in eval, zeroes and rescales in train', () => {
  const d = new nn.Dropout(0.5);
  const x = ones([1000]);
  const y = Array.from(d.forward(x).dataSync());
  assert.ok(y.every((v) => v === 0 || v === 2));
  assert.ok(y.filter((v) => v === 0).length > 350 && y.filter((v) => v === 0).length < 650);
  d.eval();
  assert.is(d.forward(x), x);
});

test('a training step reaches every parameter; zeroGrad clears; requiresGrad_(false) freezes', () => {
  const m = new Block();
  const x = randn([2, 3, 5, 4]);
  m.forward(x).sum().backward();
  for (const [k, p] of m.namedParameters()) assert.ok(p.grad && p.grad.shape.join() === p.shape.join(), k);
  m.zeroGrad();
  assert.ok(m.parameters().every((p) => p.grad === null));
  m.requiresGrad_(false);
  assert.not.ok(m.forward(x).requiresGrad);
});

test('a state dict survives saveSafetensors -> loadSafetensors -> loadStateDict', () => {
  const a = new Block(), b = new Block();
  noGrad(() => a.forward(randn([2, 3, 4, 4]))); // move the running stats
  const bytes = saveSafetensors(a.stateDict());
  b.loadStateDict(loadSafetensors(bytes));
  for (const [k, t] of Object.entries(a.stateDict())) {
    assert.equal(Array.from(b.stateDict()[k].dataSync()), Array.from(t.dataSync()), k);
  }
});

test('registration errors: duplicate and dotted names', () => {
  class Bad extends Module {
    constructor(dotted: boolean) {
      super();
      this.addParameter('w', zeros([1]));
      if (dotted) this.addModule('a.b', new nn.ReLU());
      else this.addBuffer('w', zeros([1]));
    }
    forward(): void {}
  }
  assert.throws(() => new Bad(false), /'w' is already registered in Bad/);
  assert.throws(() => new Bad(true), /invalid name 'a\.b'/);
});

test('Parameter: a detached leaf that requires grad (or not), registered by addParameter', () => {
  const base = ones([2]).requiresGrad_(true);
  const derived = base.mul(3);
  const p = nn.Parameter(derived);
  assert.ok(p.isLeaf && p.requiresGrad);
  assert.equal(Array.from(p.dataSync()), [3, 3]);
  const frozen = nn.Parameter(zeros([1]), false);
  assert.not.ok(frozen.requiresGrad);
  class Holder extends Module {
    constructor() { super(); this.addParameter('gate', frozen, false); }
    forward(): void {}
  }
  const h = new Holder();
  assert.equal(h.namedParameters().map(([k]) => k), ['gate']);
  assert.is(h.getParameter('gate'), frozen);
});

test.run();
