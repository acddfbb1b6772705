// Every op against PyTorch: forward outputs and gradients from
// test/fixtures/ops.safetensors, written by tools/fixtures/ops.py (npm run fixtures).
//
// For each case: the stored inputs become float64 leaves on the js backend
// (requiresGrad where PyTorch stored a gradient), the optional `pre` view is
// applied (so the op sees a non-contiguous input), the op runs, its outputs are
// compared with PyTorch's, then out.backward(cot) and every input gradient is
// compared with PyTorch's. An optional `post` view on the output makes the
// gradient that reaches the op's backward non-contiguous.
//
// Tolerances (relative to the reference tensor's largest finite |value|):
//   float64 forward and gradients:  max|a − b| ≤ 1e-9 · max(1, max|ref|)
//   float32 forward (same inputs rounded to float32):  max|a − b| ≤ 1e-4 · max(1, max|ref|)
// Integer (indices) and bool outputs must match exactly; a non-finite reference
// value (−inf from softmax masks) must be matched by the same value.
//
// Run: node tools/run-tests.mjs ops-fixtures
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  bmm, cat, einsum, getBackend, linear, loadSafetensors, matmul, ops, readSafetensorsMetadata, setBackend, stack, Tensor, where,
  type TensorOrScalar,
} from '../src/index.js';

const TOL_F64 = 1e-9;
const TOL_F32 = 1e-4;

interface Case {
  name: string;
  op: string;
  args: Args;
  inputs: string[];
  grads: (string | null)[];
  outputs: string[];
  cots: (string | null)[];
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Args = Record<string, any>;
type PreView = null | { transpose: [number, number] } | { permute: number[] } | { slice: ops.SliceSpec[] };

// the js backend, whatever backend another suite in this process left current
const previous = getBackend();
const js = await setBackend('js');
await setBackend(previous.name);

const bytes = readFileSync(new URL('./fixtures/ops.safetensors', import.meta.url));
const fixture = loadSafetensors(bytes, { backend: js });
const cases: Case[] = JSON.parse(readSafetensorsMetadata(bytes).cases);

/** JSON has no infinities: the generator writes them as strings. */
const num = (v: unknown): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));

function preView(x: Tensor, spec: PreView): Tensor {
  if (spec === null) return x;
  if ('transpose' in spec) return x.transpose(spec.transpose[0], spec.transpose[1]);
  if ('permute' in spec) return x.permute(spec.permute);
  if ('slice' in spec) return x.slice(...spec.slice);
  throw new Error(`unknown pre view ${JSON.stringify(spec)}`);
}

type Binary = (a: TensorOrScalar, b: TensorOrScalar) => Tensor;
const BINARY: Record<string, Binary> = {
  add: ops.add, sub: ops.sub, mul: ops.mul, div: ops.div, pow: ops.pow, maximum: ops.maximum, minimum: ops.minimum,
  eq: ops.eq, ne: ops.ne, lt: ops.lt, le: ops.le, gt: ops.gt, ge: ops.ge,
};

/** One binary op in the three forms the fixtures use: tensor∘tensor (with alpha), tensor∘scalar, scalar∘tensor. */
function binary(op: string) {
  return (xs: Tensor[], a: Args): Tensor => {
    const f = BINARY[op];
    if ('other' in a) return f(xs[0], num(a.other));
    if ('self' in a) return f(num(a.self), xs[0]);
    if ('alpha' in a) return op === 'add' ? xs[0].add(xs[1], a.alpha) : xs[0].sub(xs[1], a.alpha);
    return f(xs[0], xs[1]);
  };
}

/** Fixture op name + args → the torchlet call. */
const OPS: Record<string, (xs: Tensor[], a: Args) => Tensor | Tensor[]> = {
  ...Object.fromEntries(Object.keys(BINARY).map((op) => [op, binary(op)])),
  neg: ([x]) => x.neg(),
  pow_scalar: ([x], a) => x.pow(a.exponent),
  sqrt: ([x]) => x.sqrt(),
  rsqrt: ([x]) => x.rsqrt(),
  exp: ([x]) => x.exp(),
  log: ([x]) => x.log(),
  abs: ([x]) => x.abs(),
  sign: ([x]) => x.sign(),
  clamp: ([x], a) => x.clamp(a.min ?? null, a.max ?? null),
  where: ([c, x, y], a) => ('other' in a ? where(c, x, num(a.other)) : 'self' in a ? where(c, num(a.self), x) : where(c, x, y)),
  masked_fill: ([x, m], a) => x.maskedFill(m, num(a.value)),
  relu: ([x]) => x.relu(),
  relu6: ([x]) => x.relu6(),
  leaky_relu: ([x], a) => x.leakyRelu(a.negative_slope),
  hardsigmoid: ([x]) => x.hardsigmoid(),
  hardswish: ([x]) => x.hardswish(),
  sigmoid: ([x]) => x.sigmoid(),
  tanh: ([x]) => x.tanh(),
  gelu: ([x], a) => x.gelu(a.approximate),
  silu: ([x]) => x.silu(),
  softplus: ([x], a) => x.softplus(a.beta, a.threshold),
  softmax: ([x], a) => x.softmax(a.dim),
  log_softmax: ([x], a) => x.logSoftmax(a.dim),
  sum: ([x], a) => x.sum(a.dim, a.keepdim),
  mean: ([x], a) => x.mean(a.dim, a.keepdim),
  max: ([x], a) => {
    if (a.dim == null) return x.max();
    const { values, indices } = x.max(a.dim, a.keepdim);
    return [values, indices];
  },
  min: ([x], a) => {
    if (a.dim == null) return x.min();
    const { values, indices } = x.min(a.dim, a.keepdim);
    return [values, indices];
  },
  amax: ([x], a) => x.amax(a.dim, a.keepdim),
  amin: ([x], a) => x.amin(a.dim, a.keepdim),
  argmax: ([x], a) => x.argmax(a.dim ?? undefined, a.keepdim),
  argmin: ([x], a) => x.argmin(a.dim ?? undefined, a.keepdim),
  var: ([x], a) => x.var(a.dim, a.unbiased, a.keepdim),
  std: ([x], a) => x.std(a.dim, a.unbiased, a.keepdim),
  norm: ([x], a) => x.norm(num(a.p), a.dim, a.keepdim),
  logsumexp: ([x], a) => x.logsumexp(a.dim, a.keepdim),
  matmul: ([x, y]) => matmul(x, y),
  bmm: ([x, y]) => bmm(x, y),
  linear: ([x, w, b]) => linear(x, w, b),
  einsum: (xs, a) => einsum(a.equation, ...xs),
  index_select: ([x, i], a) => x.indexSelect(a.dim, i),
  gather: ([x, i], a) => x.gather(a.dim, i),
  scatter_add: ([x, i, s], a) => x.scatterAdd(a.dim, i, s),
  index_add: ([x, i, s], a) => x.indexAdd(a.dim, i, s, a.alpha),
  cat: (xs, a) => cat(xs, a.dim),
  stack: (xs, a) => stack(xs, a.dim),
  repeat: ([x], a) => x.repeat(a.repeats),
  flip: ([x], a) => x.flip(a.dims),
  roll: ([x], a) => x.roll(a.shifts, a.dims ?? undefined),
  permute_contiguous: ([x], a) => x.permute(a.dims).contiguous(),
  transpose: ([x], a) => x.transpose(a.dims[0], a.dims[1]),
  reshape: ([x], a) => x.reshape(a.shape),
  narrow: ([x], a) => x.narrow(a.dim, a.start, a.length),
  slice: ([x], a) => x.slice(...a.specs),
  chunk: ([x], a) => x.chunk(a.chunks, a.dim),
  split: ([x], a) => x.split(a.split, a.dim),
  unbind: ([x], a) => x.unbind(a.dim),
  expand: ([x], a) => x.expand(a.shape),
  expand_sum: ([x], a) => x.expand(a.shape).sum(a.dim),
};

/**
 * Known imprecision on PyTorch's side, applied to torchlet's value so the
 * reference itself is never edited and the bound stays 1e-9:
 * PyTorch's CPU hardsigmoid_backward multiplies by `scalar_t(1.0f / 6.0f)`, a
 * float32 constant, even in float64; its gradient is torchlet's exact g/6 times
 * 6·fround(1/6) = 1 + 2.98e-8.
 */
const PYTORCH_GRAD_QUIRKS: Record<string, (g: Tensor) => Tensor> = {
  hardsigmoid: (g) => g.mul(6 * Math.fround(1 / 6)),
};

function ref(key: string): Tensor {
  const t = fixture[key];
  if (!t) throw new Error(`fixture has no tensor '${key}'`);
  return t;
}

/**
 * actual ≈ expected: same shape and kind of dtype; integers and bools exactly;
 * floats within tol · max(1, max|expected|), non-finite expected values exactly.
 */
function expectClose(what: string, actual: Tensor | null, expected: Tensor, tol: number): void {
  if (actual === null) {
    // no gradient reached the input: only right if PyTorch's gradient is zero
    const e = expected.dataSync();
    const i = e.findIndex((v) => v !== 0);
    if (i >= 0) assert.unreachable(`${what}: no gradient, but PyTorch has ${e[i]} at flat index ${i}`);
    return;
  }
  assert.equal([...actual.shape], [...expected.shape], `${what}: shape [${actual.shape}] vs PyTorch [${expected.shape}]`);
  const a = actual.dataSync(), e = expected.dataSync();
  if (expected.dtype === 'int32' || expected.dtype === 'bool') {
    assert.is(actual.dtype, expected.dtype, `${what}: dtype ${actual.dtype} vs PyTorch ${expected.dtype}`);
    for (let i = 0; i < e.length; i++) {
      if (a[i] !== e[i]) assert.unreachable(`${what}: element ${i} is ${a[i]}, PyTorch ${e[i]} (exact match required)`);
    }
    return;
  }
  assert.ok(actual.dtype === 'float64' || actual.dtype === 'float32', `${what}: dtype ${actual.dtype}, expected a float`);
  let scale = 1;
  for (const v of e) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  const bound = tol * scale;
  let worst = -1, worstErr = 0;
  for (let i = 0; i < e.length; i++) {
    if (!Number.isFinite(e[i])) {
      if (!Object.is(a[i], e[i]) && !(Number.isNaN(a[i]) && Number.isNaN(e[i]))) {
        assert.unreachable(`${what}: element ${i} is ${a[i]}, PyTorch ${e[i]}`);
      }
      continue;
    }
    const err = Math.abs(a[i] - e[i]);
    if (Number.isNaN(err)) assert.unreachable(`${what}: element ${i} is ${a[i]}, PyTorch ${e[i]}`);
    if (err > worstErr) { worst = i; worstErr = err; }
  }
  if (worst >= 0 && worstErr > bound) {
    assert.unreachable(`${what}: element ${worst} is ${a[worst]}, PyTorch ${e[worst]} (|diff| ${worstErr.toExponential(3)} > ${bound.toExponential(3)} = ${tol} * ${scale.toPrecision(4)})`);
  }
}

function runOp(c: Case, inputs: Tensor[]): Tensor[] {
  const fn = OPS[c.op];
  if (!fn) throw new Error(`no torchlet mapping for fixture op '${c.op}'`);
  const pre: PreView[] = c.args.pre ?? inputs.map(() => null);
  const out = fn(inputs.map((x, i) => preView(x, pre[i])), c.args);
  if (c.args.post) {
    if (Array.isArray(out)) {
      // max(dim) gives [values, indices]: the view applies to both; other list ops take no post view
      return out.map((o) => preView(o, c.args.post));
    }
    return [preView(out, c.args.post)];
  }
  return Array.isArray(out) ? out : [out];
}

function checkOutputs(c: Case, outs: Tensor[], tol: number, label: string): void {
  assert.is(outs.length, c.outputs.length, `${c.name}: ${outs.length} outputs, PyTorch ${c.outputs.length}`);
  outs.forEach((o, i) => expectClose(`${c.name} ${label}output ${i}`, o, ref(c.outputs[i]), tol));
}

for (const c of cases) {
  test(c.name, () => {
    const inputs = c.inputs.map((k, i) => {
      const x = ref(k).detach(); // a fresh leaf over the fixture's storage
      if (c.grads[i] !== null) {
        assert.is(x.dtype, 'float64');
        x.requiresGrad_(true);
      }
      return x;
    });
    const outs = runOp(c, inputs);
    checkOutputs(c, outs, TOL_F64, '');

    // loss = Σ_i sum(out_i ⊙ cot_i): one backward per differentiable output, gradients accumulate
    c.cots.forEach((k, i) => {
      if (k === null) return;
      assert.ok(outs[i].requiresGrad, `${c.name}: output ${i} does not require grad`);
      outs[i].backward(ref(k), { retainGraph: true });
    });
    c.grads.forEach((k, i) => {
      if (k === null) return;
      const quirk = PYTORCH_GRAD_QUIRKS[c.op];
      const g = inputs[i].grad;
      expectClose(`${c.name} grad of input ${i}`, g && quirk ? quirk(g) : g, ref(k), TOL_F64);
    });
  });

  test(`${c.name} [float32 forward]`, () => {
    const inputs = c.inputs.map((k) => {
      const x = ref(k);
      return x.dtype === 'float64' ? x.to('float32') : x;
    });
    const outs = runOp(c, inputs);
    outs.forEach((o, i) => {
      if (o.dtype === 'float64') assert.unreachable(`${c.name} [float32]: output ${i} is float64 from float32 inputs`);
    });
    checkOutputs(c, outs, TOL_F32, '[float32] ');
  });
}

test('the fixtures cover every op the brief lists', () => {
  const have = new Set(cases.map((c) => c.op));
  const want = [
    'add', 'sub', 'mul', 'div', 'neg', 'pow', 'pow_scalar', 'sqrt', 'rsqrt', 'exp', 'log', 'abs', 'sign', 'clamp',
    'maximum', 'minimum', 'where', 'masked_fill', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'relu', 'relu6', 'leaky_relu',
    'hardsigmoid', 'hardswish', 'sigmoid', 'tanh', 'gelu', 'silu', 'softplus', 'softmax', 'log_softmax', 'sum', 'mean',
    'max', 'min', 'amax', 'argmax', 'var', 'std', 'norm', 'logsumexp', 'matmul', 'bmm', 'linear', 'einsum',
    'index_select', 'gather', 'scatter_add', 'index_add', 'cat', 'stack', 'repeat', 'flip', 'roll',
    'permute_contiguous', 'narrow', 'slice', 'chunk', 'split', 'unbind', 'expand', 'expand_sum',
  ];
  assert.equal(want.filter((op) => !have.has(op)), []);
  assert.equal([...have].filter((op) => !OPS[op]), [], 'fixture ops without a torchlet mapping');
  assert.ok(cases.some((c) => c.args.pre), 'non-contiguous cases');
});

test.run();
