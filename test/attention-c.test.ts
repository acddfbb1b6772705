// Attention blocks sa_layer, ShuffleAttention, EfficientLocalizationAttention
// (with the T/B/S/L variants), SKAttention and CoTAttention: the checks the
// PyTorch fixtures (test/blocks.test.ts) cannot make. Constraint errors name
// the block and the shapes; the typed camelCase constructors default like the
// reference and build the same module as createBlock with Python kwargs;
// stateDict keys are PyTorch's (written out by hand); parameters start like
// the reference (sa_layer / ShuffleAttention: cweight = sweight = 0,
// cbias = sbias = 1, so the block at init is x·σ(1) channel-shuffled).
// Values are compared with |a − e| ≤ 1e-5 · max(1, |e|) (float32).
// Run: node tools/run-tests.mjs attention-c
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBlock, manualSeed, noGrad, randn, type Tensor } from '../src/index.js';
import { CoTAttention } from '../src/nn/attention/CoTAttention.js';
import { EfficientLocalizationAttention, type ELAVariant } from '../src/nn/attention/EfficientLocalizationAttention.js';
import { SALayer } from '../src/nn/attention/sa_layer.js';
import { ShuffleAttention } from '../src/nn/attention/ShuffleAttention.js';
import { SKAttention } from '../src/nn/attention/SKAttention.js';

const TOL = 1e-5;

function close(actual: Tensor, expected: ArrayLike<number>, msg: string): void {
  const a = actual.dataSync();
  assert.is(a.length, expected.length, `${msg}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - expected[i]) <= TOL * Math.max(1, Math.abs(expected[i])), `${msg} [${i}]: got ${a[i]}, expected ${expected[i]}`);
  }
}

/** fn must throw, and the message must contain every fragment. */
function throwsWith(fn: () => unknown, ...fragments: string[]): void {
  let message: string | null = null;
  try { fn(); } catch (e) { message = (e as Error).message; }
  assert.ok(message !== null, `expected an error containing ${JSON.stringify(fragments)}`);
  for (const f of fragments) assert.ok(message!.includes(f), `error '${message}' should contain '${f}'`);
}

const shapes = (m: { stateDict(): Record<string, Tensor> }) =>
  Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape]));

// ---- constraint errors --------------------------------------------------------------------------

test('sa_layer: C must be divisible by 2·groups (PyTorch builds GroupNorm(0, 0) for sa_layer(64))', () => {
  throwsWith(() => new SALayer({ channel: 64 }), 'sa_layer: channel 64 must be divisible by 2·groups = 128');
  throwsWith(() => createBlock('sa_layer', { channel: 20, groups: 4 }), 'sa_layer: channel 20 must be divisible by 2·groups = 8');
  throwsWith(() => createBlock('sa_layer', { groups: 2 }), "sa_layer: missing required argument 'channel'");
  throwsWith(() => new SALayer({ channel: 16, groups: 0 }), 'sa_layer', 'groups');
  const m = new SALayer({ channel: 16, groups: 2 });
  throwsWith(() => m.forward(randn([2, 8, 4, 4])), 'sa_layer: expected input [B,16,H,W], got [2,8,4,4]');
  throwsWith(() => m.forward(randn([16, 4, 4])), 'sa_layer', '[16,4,4]');
});

test('ShuffleAttention: C must be divisible by 2·G; reduction is accepted and unused', () => {
  throwsWith(() => new ShuffleAttention({ channel: 20, G: 4 }), 'ShuffleAttention: channel 20 must be divisible by 2·G = 8');
  throwsWith(() => createBlock('ShuffleAttention', { channel: 24, G: 8 }), 'ShuffleAttention: channel 24 must be divisible by 2·G = 16');
  throwsWith(() => createBlock('ShuffleAttention', { channel: 16, groups: 2 }), "ShuffleAttention: unexpected keyword argument 'groups'");
  const a = createBlock('ShuffleAttention', { channel: 16, G: 2, reduction: 4 });
  const b = createBlock('ShuffleAttention', { channel: 16, G: 2, reduction: 1000 });
  assert.equal(shapes(a), shapes(b));
  throwsWith(() => a.forward(randn([1, 12, 3, 3])), 'ShuffleAttention: expected input [B,16,H,W], got [1,12,3,3]');
});

test('ShuffleAttention uses view like EAP (a channels-last input fails); sa_layer reshapes', () => {
  manualSeed(1);
  const x = randn([2, 5, 6, 16]).permute(0, 3, 1, 2); // [2,16,5,6], channels-last memory
  const sa = new ShuffleAttention({ channel: 16, G: 2 });
  throwsWith(() => sa.forward(x), 'view');
  const official = new SALayer({ channel: 16, groups: 2 });
  official.loadStateDict(sa.stateDict());
  const y = noGrad(() => official.forward(x));
  close(y, noGrad(() => sa.forward(x.contiguous())).dataSync(), 'sa_layer on a permuted input');
});

test('EfficientLocalizationAttention: C % num_groups, C % groups, odd kernel', () => {
  throwsWith(() => new EfficientLocalizationAttention({ channel: 8 }), 'EfficientLocalizationAttention: channel 8 must be divisible by num_groups 16');
  throwsWith(() => createBlock('EfficientLocalizationAttention', { channel: 48, num_groups: 32 }), 'channel 48 must be divisible by num_groups 32');
  throwsWith(() => createBlock('EfficientLocalizationAttention', { channel: 32, groups: 5 }), 'EfficientLocalizationAttention: channel 32 must be divisible by the conv groups 5');
  throwsWith(() => new EfficientLocalizationAttention({ channel: 32, kernelSize: 4 }), 'EfficientLocalizationAttention: kernel_size must be a positive odd integer', 'got 4');
  const m = new EfficientLocalizationAttention({ channel: 32 });
  throwsWith(() => m.forward(randn([1, 16, 4, 4])), 'EfficientLocalizationAttention: expected input [B,32,H,W], got [1,16,4,4]');
});

test('SKAttention: C % group, kernels of one parity, input channels', () => {
  throwsWith(() => new SKAttention({ channel: 10, group: 4 }), 'SKAttention: channel 10 must be divisible by group 4');
  throwsWith(() => new SKAttention({ channel: 8, kernels: [1, 2] }), 'SKAttention: kernels [1, 2] give branch outputs of different sizes');
  throwsWith(() => new SKAttention({ channel: 8, kernels: [] }), 'SKAttention: kernels must hold at least one kernel size');
  const m = new SKAttention({ channel: 8, kernels: [1, 3], reduction: 2, L: 4 });
  throwsWith(() => m.forward(randn([2, 4, 5, 5])), 'SKAttention: expected input [B,8,H,W], got [2,4,5,5]');
});

test('CoTAttention: dim % 4 (key conv groups=4) and an odd kernel_size', () => {
  throwsWith(() => new CoTAttention({ dim: 6 }), 'CoTAttention: dim 6 must be a positive multiple of 4');
  throwsWith(() => createBlock('CoTAttention', { dim: 10, kernel_size: 3 }), 'CoTAttention: dim 10');
  throwsWith(() => createBlock('CoTAttention', { dim: 8, kernel_size: 2 }), 'CoTAttention: kernel_size must be a positive odd integer', 'got 2');
  const m = new CoTAttention({ dim: 8 });
  throwsWith(() => m.forward(randn([1, 4, 5, 5])), 'CoTAttention: expected input [B,8,H,W], got [1,4,5,5]');
});

// ---- typed constructors, defaults, state-dict keys ----------------------------------------------

test('sa_layer / ShuffleAttention: PyTorch keys and the reference init (gates σ(1), so out = shuffle(x·σ(1)))', () => {
  const sa = new SALayer({ channel: 128 }); // groups = 64 by default
  assert.is(sa.groups, 64);
  assert.equal(shapes(sa), {
    cweight: [1, 1, 1, 1], cbias: [1, 1, 1, 1], sweight: [1, 1, 1, 1], sbias: [1, 1, 1, 1], 'gn.weight': [1], 'gn.bias': [1],
  });
  const sh = new ShuffleAttention(); // channel 512, G 8
  assert.is(sh.channel, 512);
  assert.is(sh.G, 8);
  assert.equal(Object.keys(sh.stateDict()), ['cweight', 'cbias', 'sweight', 'sbias', 'gn.weight', 'gn.bias']);
  assert.equal(sh.cweight.shape, [1, 32, 1, 1]);

  for (const m of [new SALayer({ channel: 12, groups: 3 }), new ShuffleAttention({ channel: 12, G: 3 })]) {
    assert.ok(Array.from(m.cweight.dataSync()).every((v) => v === 0) && Array.from(m.sweight.dataSync()).every((v) => v === 0));
    assert.ok(Array.from(m.cbias.dataSync()).every((v) => v === 1) && Array.from(m.sbias.dataSync()).every((v) => v === 1));
    manualSeed(2);
    const [B, C, H, W] = [2, 12, 3, 4];
    const x = randn([B, C, H, W]);
    const xs = x.dataSync();
    const y = noGrad(() => m.forward(x));
    assert.equal(y.shape, [B, C, H, W]);
    const s = 1 / (1 + Math.exp(-1));
    const expected = new Float64Array(xs.length);
    // channel_shuffle(·, 2): out channel 2i + j = in channel j·C/2 + i
    for (let b = 0; b < B; b++) for (let i = 0; i < C / 2; i++) for (let j = 0; j < 2; j++) {
      for (let p = 0; p < H * W; p++) expected[(b * C + 2 * i + j) * H * W + p] = xs[(b * C + j * (C / 2) + i) * H * W + p] * s;
    }
    close(y, expected, `${m.constructor.name} at init`);
  }
});

test('createBlock with Python kwargs builds what the typed constructor builds', () => {
  const cases: [string, Record<string, unknown>, { stateDict(): Record<string, Tensor> }][] = [
    ['sa_layer', { channel: 16, groups: 2 }, new SALayer({ channel: 16, groups: 2 })],
    ['ShuffleAttention', {}, new ShuffleAttention()],
    ['EfficientLocalizationAttention', { channel: 32, kernel_size: 5, groups: 4, num_groups: 16 },
      new EfficientLocalizationAttention({ channel: 32, kernelSize: 5, groups: 4, numGroups: 16 })],
    ['SKAttention', { channel: 16, kernels: [1, 3], reduction: 4, L: 8 }, new SKAttention({ channel: 16, kernels: [1, 3], reduction: 4, L: 8 })],
    ['CoTAttention', { dim: 8, kernel_size: 5 }, new CoTAttention({ dim: 8, kernelSize: 5 })],
  ];
  for (const [name, kwargs, typed] of cases) assert.equal(shapes(createBlock(name, kwargs)), shapes(typed), name);
});

test('SKAttention: defaults (512, [1,3,5,7], reduction 16, group 1, L 32 → d = 32) and PyTorch keys', () => {
  // (the full default, 4 branches of 512→512 convs up to 7×7, is 22M parameters: built in two parts)
  const wide = new SKAttention({ kernels: [1] });
  assert.is(wide.channel, 512);
  assert.is(wide.d, 32); // max(32, 512 // 16)
  assert.equal(wide.convs.at(0).conv.weight.shape, [512, 512, 1, 1]); // group = 1
  const narrow = new SKAttention({ channel: 4, L: 2 });
  assert.equal([...narrow.convs].map((b) => b.conv.weight.shape), [[4, 4, 1, 1], [4, 4, 3, 3], [4, 4, 5, 5], [4, 4, 7, 7]]);
  assert.is(narrow.fcs.length, 4);
  assert.is(narrow.d, 2); // max(2, 4 // 16 = 0)
  assert.is(new SKAttention({ channel: 16, reduction: 4, L: 8 }).d, 8);
  assert.is(new SKAttention({ channel: 64, reduction: 2, L: 8 }).d, 32);
  const small = new SKAttention({ channel: 8, kernels: [1, 3], reduction: 2, group: 2, L: 4 });
  assert.equal(shapes(small), {
    'convs.0.conv.weight': [8, 4, 1, 1], 'convs.0.conv.bias': [8],
    'convs.0.bn.weight': [8], 'convs.0.bn.bias': [8], 'convs.0.bn.running_mean': [8], 'convs.0.bn.running_var': [8], 'convs.0.bn.num_batches_tracked': [],
    'convs.1.conv.weight': [8, 4, 3, 3], 'convs.1.conv.bias': [8],
    'convs.1.bn.weight': [8], 'convs.1.bn.bias': [8], 'convs.1.bn.running_mean': [8], 'convs.1.bn.running_var': [8], 'convs.1.bn.num_batches_tracked': [],
    'fc.weight': [4, 8], 'fc.bias': [4],
    'fcs.0.weight': [8, 4], 'fcs.0.bias': [8], 'fcs.1.weight': [8, 4], 'fcs.1.bias': [8],
  });
  manualSeed(3);
  const x = randn([2, 8, 5, 4]);
  assert.equal(noGrad(() => small.forward(x)).shape, [2, 8, 5, 4]);
});

test('CoTAttention: defaults (dim 512, kernel 3) and PyTorch keys', () => {
  // (the full default is 2.4M parameters: the two defaults are checked apart)
  const wide = new CoTAttention({ kernelSize: 1 });
  assert.is(wide.dim, 512);
  assert.equal(shapes(wide)['attention_embed.0.weight'], [256, 1024, 1, 1]); // 2C → 2C/4
  assert.equal(shapes(wide)['attention_embed.3.weight'], [512, 256, 1, 1]); // → k²·C
  const small = new CoTAttention({ dim: 4 });
  assert.is(small.kernelSize, 3);
  assert.equal(shapes(small)['attention_embed.3.weight'], [9 * 4, 2, 1, 1]);
  assert.equal(Object.keys(new CoTAttention({ dim: 8 }).stateDict()), [
    'key_embed.0.weight',
    'key_embed.1.weight', 'key_embed.1.bias', 'key_embed.1.running_mean', 'key_embed.1.running_var', 'key_embed.1.num_batches_tracked',
    'value_embed.0.weight',
    'value_embed.1.weight', 'value_embed.1.bias', 'value_embed.1.running_mean', 'value_embed.1.running_var', 'value_embed.1.num_batches_tracked',
    'attention_embed.0.weight',
    'attention_embed.1.weight', 'attention_embed.1.bias', 'attention_embed.1.running_mean', 'attention_embed.1.running_var', 'attention_embed.1.num_batches_tracked',
    'attention_embed.3.weight', 'attention_embed.3.bias',
  ]);
  assert.equal(shapes(new CoTAttention({ dim: 8 }))['key_embed.0.weight'], [8, 2, 3, 3]); // groups = 4
});

// ---- ELA variants ---------------------------------------------------------------------------------

test('EfficientLocalizationAttention: the seed default is ELA-B (k7, depthwise, GN16)', () => {
  const m = new EfficientLocalizationAttention({ channel: 32 });
  assert.equal(shapes(m), { 'conv.weight': [32, 1, 7], 'gn.weight': [32], 'gn.bias': [32] });
  assert.is(m.pad, 3);
  assert.is(m.gn.numGroups, 16);
  assert.equal(shapes(createBlock('EfficientLocalizationAttention', { channel: 32, groups: null })), shapes(m));
});

test('EfficientLocalizationAttention.variant: T / B / S / L of the seed docstring', () => {
  const expected: Record<ELAVariant, { k: number; perGroup: number; gn: number }> = {
    T: { k: 5, perGroup: 1, gn: 32 }, // groups = C
    B: { k: 7, perGroup: 1, gn: 16 }, // groups = C
    S: { k: 5, perGroup: 8, gn: 16 }, // groups = C/8
    L: { k: 7, perGroup: 8, gn: 16 }, // groups = C/8
  };
  manualSeed(4);
  const x = randn([2, 64, 5, 6]);
  for (const [v, e] of Object.entries(expected) as [ELAVariant, (typeof expected)['T']][]) {
    const m = EfficientLocalizationAttention.variant(v, 64);
    assert.equal(m.conv.weight.shape, [64, e.perGroup, e.k], `ELA-${v} conv weight`);
    assert.is(m.conv.groups, 64 / e.perGroup, `ELA-${v} groups`);
    assert.is(m.gn.numGroups, e.gn, `ELA-${v} GroupNorm groups`);
    const o = EfficientLocalizationAttention.variantOptions(v, 64);
    assert.equal(shapes(createBlock('EfficientLocalizationAttention', { channel: 64, kernel_size: o.kernelSize, groups: o.groups, num_groups: o.numGroups })), shapes(m));
    assert.equal(noGrad(() => m.forward(x)).shape, [2, 64, 5, 6], `ELA-${v} keeps the shape`);
  }
  throwsWith(() => EfficientLocalizationAttention.variant('S', 36), 'ELA-S needs channel % 8 = 0', 'got channel 36');
  throwsWith(() => EfficientLocalizationAttention.variant('T', 16), 'channel 16 must be divisible by num_groups 32');
  throwsWith(() => EfficientLocalizationAttention.variant('X' as ELAVariant, 32), "unknown variant 'X'");
});

test('EfficientLocalizationAttention: the gate factorises, y / x = σ_h[c,h] · σ_w[c,w], one conv + GN shared', () => {
  manualSeed(5);
  const m = new EfficientLocalizationAttention({ channel: 16, kernelSize: 3, numGroups: 4 });
  const [C, H, W] = [16, 4, 5];
  const x = randn([1, C, H, W]);
  const xs = x.dataSync();
  const ys = noGrad(() => m.forward(x)).dataSync();
  const r = (c: number, h: number, w: number) => ys[(c * H + h) * W + w] / xs[(c * H + h) * W + w];
  // rank one per channel: r[h,w]·r[h',w'] = r[h,w']·r[h',w]
  for (let c = 0; c < C; c++) for (let h = 1; h < H; h++) for (let w = 1; w < W; w++) {
    const lhs = r(c, h, w) * r(c, 0, 0), rhs = r(c, h, 0) * r(c, 0, w);
    assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.max(1, Math.abs(rhs)), `channel ${c} (${h},${w}): ${lhs} vs ${rhs}`);
    assert.ok(r(c, h, w) > 0 && r(c, h, w) < 1, 'a product of two sigmoids lies in (0, 1)');
  }
  assert.equal(m.namedParameters().map(([k]) => k), ['conv.weight', 'gn.weight', 'gn.bias']);
});

test.run();
