/**
 * The op cases of issue 5: torchlet (NCHW, its layout) against tfjs-backend-wasm (NHWC for
 * convolutions: its wasm backend rejects NCHW, so the peer runs in its own native layout).
 * All backends get the same input values (randomData), and each case's outputs are compared
 * once with the peer's before timing.
 *
 * A case: { name, shape, flops (per call, or null), target, jsMaxFlop?, setup(ctx) } where
 * setup returns { wasm, js, peer, check, dispose }: zero-argument functions running one call
 * (results disposed), `check(keys)` -> { [key]: relative error against the peer }.
 */
import { tensor, matmul, bmm, softmax, F, tidy } from 'torchlet';
import { randomData, relErr } from './timing.mjs';

const numel = (s) => s.reduce((a, b) => a * b, 1);

/** Build the same data on torchlet backends and tfjs; `tfPerm` lays the tfjs copy out differently. */
function inputs(ctx, specs) {
  const out = { tl: {}, tf: {} };
  specs.forEach(([name, shape, tfPerm], i) => {
    const data = randomData(numel(shape), 17 + i);
    for (const [k, be] of Object.entries(ctx.backends)) (out.tl[k] ??= {})[name] = tensor(data, shape, { backend: be });
    const t = ctx.tf.tensor(data, shape);
    out.tf[name] = tfPerm ? ctx.tf.transpose(t, tfPerm) : t;
    if (tfPerm) t.dispose();
  });
  return out;
}

/**
 * Wraps per-backend call builders into the case interface.
 * tl(x) -> a torchlet Tensor result; tfFn() -> a tfjs result; tfToTl(y) -> y laid out as torchlet's.
 */
function makeCase(ctx, io, tl, tfFn, tfToTl = (y) => y) {
  const tf = ctx.tf;
  const run = (k) => () => tidy(() => { tl(io.tl[k]); });
  const fns = {};
  for (const k of Object.keys(ctx.backends)) fns[k] = run(k);
  return {
    ...fns,
    peer: () => tf.tidy(() => { tfFn(io.tf); }),
    /** Relative error of each backend in `keys` against the peer's result. */
    check(keys) {
      const ref = tf.tidy(() => tfToTl(tfFn(io.tf)).dataSync());
      const errs = {};
      for (const k of keys) errs[k] = tidy(() => relErr(tl(io.tl[k]).dataSync(), ref));
      return errs;
    },
    dispose() {
      for (const per of Object.values(io.tl)) for (const t of Object.values(per)) t.dispose();
      for (const t of Object.values(io.tf)) t.dispose();
    },
  };
}

const NHWC = [0, 2, 3, 1];
const NCHW = [0, 3, 1, 2];

function matmulCase(n) {
  return {
    name: `matmul ${n}`, shape: `[${n},${n}]x[${n},${n}]`, flops: 2 * n ** 3, target: 1.2,
    setup: (ctx) => makeCase(ctx, inputs(ctx, [['a', [n, n]], ['b', [n, n]]]), (t) => matmul(t.a, t.b), (t) => ctx.tf.matMul(t.a, t.b)),
  };
}

/** conv2d on [1,64,56,56]: k x k, 64 -> 64, groups `g` (64 = depthwise), 'same' padding, no bias. */
function convCase(name, k, groups, target) {
  const [N, C, H, W, O] = [1, 64, 56, 56, 64];
  return {
    name, shape: `[${N},${C},${H},${W}] w[${O},${C / groups},${k},${k}]`,
    flops: 2 * N * O * H * W * (C / groups) * k * k, target,
    setup(ctx) {
      const tf = ctx.tf;
      const depthwise = groups === C;
      // torchlet weight [O, C/g, k, k]; tfjs conv2d wants [k, k, C, O], depthwiseConv2d [k, k, C, 1].
      const io = inputs(ctx, [['x', [N, C, H, W], NHWC], ['w', [O, C / groups, k, k], depthwise ? [2, 3, 0, 1] : [2, 3, 1, 0]]]);
      const pad = (k - 1) / 2;
      return makeCase(ctx, io,
        (t) => F.conv2d(t.x, t.w, null, { padding: pad, groups }),
        (t) => (depthwise ? tf.depthwiseConv2d(t.x, t.w, 1, 'same') : tf.conv2d(t.x, t.w, 1, 'same')),
        (y) => tf.transpose(y, NCHW));
    },
  };
}

export const OP_CASES = [
  matmulCase(256),
  matmulCase(512),
  { ...matmulCase(1024), jsMaxFlop: 1e9 },
  {
    name: 'bmm (attention)', shape: '[64,49,64]x[64,64,49]', flops: 2 * 64 * 49 * 64 * 49, target: 5,
    setup: (ctx) => makeCase(ctx, inputs(ctx, [['a', [64, 49, 64]], ['b', [64, 64, 49]]]), (t) => bmm(t.a, t.b), (t) => ctx.tf.matMul(t.a, t.b)),
  },
  convCase('depthwise conv 3x3', 3, 64, 1.5),
  convCase('conv 1x1', 1, 1, 1.0),
  convCase('conv 3x3', 3, 1, 1.0),
  {
    name: 'softmax', shape: '[256,1024] dim -1', flops: null, target: 1.0,
    setup: (ctx) => makeCase(ctx, inputs(ctx, [['x', [256, 1024]]]), (t) => softmax(t.x, -1), (t) => ctx.tf.softmax(t.x)),
  },
  {
    name: 'layer norm', shape: '[3136,64] (affine)', flops: null, target: 1.0,
    setup(ctx) {
      const tf = ctx.tf;
      const io = inputs(ctx, [['x', [3136, 64]], ['g', [64]], ['b', [64]]]);
      // tfjs has no layer-norm op; this is the composition tfjs-layers' LayerNormalization uses.
      return makeCase(ctx, io, (t) => F.layerNorm(t.x, [64], t.g, t.b, 1e-5), (t) => {
        const { mean, variance } = tf.moments(t.x, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(t.x, mean), tf.rsqrt(tf.add(variance, 1e-5))), t.g), t.b);
      });
    },
  },
];
