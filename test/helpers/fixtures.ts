// The PyTorch-fixture harness shared by test/ops-fixtures.test.ts and
// test/vision-fixtures.test.ts: loading a fixture file written by
// tools/fixtures/*.py, comparing tensors, and one pair of uvu tests per case.
//
// For each case: the stored inputs become float64 leaves on the js backend
// (requiresGrad where PyTorch stored a gradient), the optional `pre` view is
// applied (so the op sees a non-contiguous input), the op runs, its outputs are
// compared with PyTorch's, then out.backward(cot) and every input gradient is
// compared with PyTorch's. An optional `post` view on the output makes the
// gradient that reaches the op's backward non-contiguous. A second test runs
// the forward again on the inputs rounded to float32.
//
// Tolerances (relative to the reference tensor's largest finite |value|):
//   float64 forward and gradients:  max|a − b| ≤ 1e-9 · max(1, max|ref|)
//   float32 forward (same inputs rounded to float32):  max|a − b| ≤ 1e-4 · max(1, max|ref|)
// Integer (indices) and bool outputs must match exactly; a non-finite reference
// value (−inf from softmax masks) must be matched by the same value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { getBackend, loadSafetensors, ops, readSafetensorsMetadata, setBackend, Tensor } from '../../src/index.js';

export const TOL_F64 = 1e-9;
export const TOL_F32 = 1e-4;

/** One entry of the fixture's `cases` metadata (see the header of tools/fixtures/ops.py). */
export interface Case {
  name: string;
  op: string;
  args: Args;
  inputs: string[];
  grads: (string | null)[];
  outputs: string[];
  cots: (string | null)[];
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Args = Record<string, any>;
export type PreView = null | { transpose: [number, number] } | { permute: number[] } | { slice: ops.SliceSpec[] };
/** Fixture op name → the torchlet call on the (viewed) inputs. */
export type OpTable = Record<string, (xs: Tensor[], a: Args) => Tensor | Tensor[]>;

export interface Fixture {
  cases: Case[];
  /** The stored tensor `key` (on the current backend). */
  ref(key: string): Tensor;
}

/** Reads a fixture file onto the current backend (tools/run-tests.mjs runs the suite once per backend). */
export async function loadFixture(url: URL): Promise<Fixture> {
  const bytes = readFileSync(url);
  const tensors = loadSafetensors(bytes); // onto the current backend: the suite runs once per backend
  const cases: Case[] = JSON.parse(readSafetensorsMetadata(bytes).cases);
  return {
    cases,
    ref(key) {
      const t = tensors[key];
      if (!t) throw new Error(`fixture has no tensor '${key}'`);
      return t;
    },
  };
}

/** JSON has no infinities: the generator writes them as strings. */
export const num = (v: unknown): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));

export function preView(x: Tensor, spec: PreView): Tensor {
  if (spec === null) return x;
  if ('transpose' in spec) return x.transpose(spec.transpose[0], spec.transpose[1]);
  if ('permute' in spec) return x.permute(spec.permute);
  if ('slice' in spec) return x.slice(...spec.slice);
  throw new Error(`unknown pre view ${JSON.stringify(spec)}`);
}

/**
 * actual ≈ expected: same shape and kind of dtype; integers and bools exactly;
 * floats within tol · max(1, max|expected|), non-finite expected values exactly.
 */
export function expectClose(what: string, actual: Tensor | null, expected: Tensor, tol: number): void {
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

function runOp(table: OpTable, c: Case, inputs: Tensor[]): Tensor[] {
  const fn = table[c.op];
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

function checkOutputs(fx: Fixture, c: Case, outs: Tensor[], tol: number, label: string): void {
  assert.is(outs.length, c.outputs.length, `${c.name}: ${outs.length} outputs, PyTorch ${c.outputs.length}`);
  outs.forEach((o, i) => expectClose(`${c.name} ${label}output ${i}`, o, fx.ref(c.outputs[i]), tol));
}

export interface FixtureTestOptions {
  /** Per op: applied to torchlet's gradient before the comparison (known imprecision on PyTorch's side). */
  gradQuirks?: Record<string, (g: Tensor) => Tensor>;
  /**
   * Give each op copies of the stored inputs rather than views of the fixture's
   * storage: needed where an op writes into an input (batch_norm's running stats).
   */
  copyInputs?: boolean;
}

/** Registers, per case, `<name>` (float64 forward + gradients) and `<name> [float32 forward]`. */
export function fixtureTests(fx: Fixture, table: OpTable, opts: FixtureTestOptions = {}): void {
  for (const c of fx.cases) {
    test(c.name, () => {
      const inputs = c.inputs.map((k, i) => {
        let x = fx.ref(k).detach(); // a fresh leaf over the fixture's storage
        if (opts.copyInputs) x = x.clone();
        if (c.grads[i] !== null) {
          assert.is(x.dtype, 'float64');
          x.requiresGrad_(true);
        }
        return x;
      });
      const outs = runOp(table, c, inputs);
      checkOutputs(fx, c, outs, TOL_F64, '');

      // loss = Σ_i sum(out_i ⊙ cot_i): one backward per differentiable output, gradients accumulate
      c.cots.forEach((k, i) => {
        if (k === null) return;
        assert.ok(outs[i].requiresGrad, `${c.name}: output ${i} does not require grad`);
        outs[i].backward(fx.ref(k), { retainGraph: true });
      });
      c.grads.forEach((k, i) => {
        if (k === null) return;
        const quirk = opts.gradQuirks?.[c.op];
        const g = inputs[i].grad;
        expectClose(`${c.name} grad of input ${i}`, g && quirk ? quirk(g) : g, fx.ref(k), TOL_F64);
      });
    });

    test(`${c.name} [float32 forward]`, () => {
      const inputs = c.inputs.map((k) => {
        const x = fx.ref(k);
        return x.dtype === 'float64' ? x.to('float32') : opts.copyInputs ? x.clone() : x;
      });
      const outs = runOp(table, c, inputs);
      outs.forEach((o, i) => {
        if (o.dtype === 'float64') assert.unreachable(`${c.name} [float32]: output ${i} is float64 from float32 inputs`);
      });
      checkOutputs(fx, c, outs, TOL_F32, '[float32] ');
    });
  }
}
