// Every attention block against PyTorch (fixtures from tools/fixtures/blocks.py):
// build it by its reference name and Python keyword arguments, load the
// reference state dict, then in train mode compare the output, the input
// gradient, every parameter gradient and the updated buffers (running stats,
// num_batches_tracked) after backward with loss = sum(out · cot); then the
// eval-mode output.
//
// Each case runs twice on each available backend:
//   float64 (parameters created in float64):           max|a − b| ≤ 1e-9 · max(1, max|ref|)
//   float32 (the working precision):                   max|a − b| ≤ 1e-4 · max(1, max|ref|)
// A reference tensor that is exactly zero (a gradient that is zero in theory)
// is compared with the absolute tolerance 1e-4 (1e-9 in float64) × the largest
// gradient magnitude of the case. Integer buffers must match exactly.
// Run: node tools/run-tests.mjs blocks      (BLOCK=GSA to run one block)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import {
  createBlock, getDefaultDtype, loadSafetensors, noGrad, readSafetensorsMetadata, setBackend, setDefaultDtype, type Tensor,
} from '../src/index.js';
import { expectClose } from './helpers/fixtures.js';

interface BlockCase {
  name: string;
  block: string;
  kwargs: Record<string, unknown>;
  input_shape: number[];
  notes?: string;
}

const dir = new URL('./fixtures/blocks/', import.meta.url);
const only = process.env.BLOCK;
/** The suite runs once per backend (tools/run-tests.mjs sets TORCHLET_BACKEND). */
const backends = [process.env.TORCHLET_BACKEND ?? 'js'];

function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of t.dataSync()) m = Math.max(m, Math.abs(v));
  return m;
}

/** The tensors under `<case>/<prefix>/` keyed by the rest of the name. */
function under(all: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

function runCase(c: BlockCase, all: Record<string, Tensor>, dtype: 'float32' | 'float64'): void {
  const tol = dtype === 'float64' ? 1e-9 : 1e-4;
  const ref = (k: string) => {
    const t = all[`${c.name}/${k}`];
    if (!t) throw new Error(`fixture ${c.name} has no '${k}'`);
    return t;
  };
  const cast = (t: Tensor) => (t.dtype === 'float64' || t.dtype === 'float32' ? t.to(dtype) : t);
  const previous = getDefaultDtype();
  setDefaultDtype(dtype);
  try {
    const m = createBlock(c.block, c.kwargs);
    const before = under(all, `${c.name}/state_before/`);
    m.loadStateDict(Object.fromEntries(Object.entries(before).map(([k, v]) => [k, cast(v)])));

    // train mode: forward, backward, buffers
    m.train();
    const x = cast(ref('x')).detach().requiresGrad_(true);
    const out = m.forward(x);
    expectClose(`${c.name} out_train`, out, ref('out_train'), tol);
    out.backward(cast(ref('cot')));
    const grads = under(all, `${c.name}/grad/`);
    const caseMax = Math.max(maxAbs(ref('grad_x')), ...Object.values(grads).map(maxAbs));
    const check = (what: string, actual: Tensor | null, expected: Tensor) =>
      expectClose(what, actual, expected, maxAbs(expected) === 0 ? tol * caseMax : tol);
    check(`${c.name} grad x`, x.grad, ref('grad_x'));
    const params = new Map(m.namedParameters());
    for (const [k, g] of Object.entries(grads)) {
      const p = params.get(k);
      assert.ok(p, `${c.name}: PyTorch has a gradient for '${k}', torchlet has no such parameter`);
      check(`${c.name} grad ${k}`, p!.grad, g);
    }
    for (const [k, p] of params) {
      if (p.requiresGrad) assert.ok(k in grads, `${c.name}: torchlet parameter '${k}' has no PyTorch gradient to compare`);
    }
    const after = under(all, `${c.name}/state_after/`);
    const state = m.stateDict();
    assert.equal(Object.keys(state).sort(), Object.keys(after).sort(), `${c.name}: state dict keys`);
    for (const [k, v] of Object.entries(after)) expectClose(`${c.name} state_after ${k}`, state[k], v, tol);

    // eval mode: running statistics instead of batch statistics
    m.eval();
    const y = noGrad(() => m.forward(cast(ref("x"))));
    expectClose(`${c.name} out_eval`, y, ref('out_eval'), tol);
  } finally {
    setDefaultDtype(previous);
  }
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort()) {
  const bytes = readFileSync(new URL(file, dir));
  const cases: BlockCase[] = JSON.parse(readSafetensorsMetadata(bytes).cases);
  for (const c of cases) {
    if (only && c.block !== only) continue;
    for (const be of backends) {
      for (const dtype of ['float64', 'float32'] as const) {
        test(`${c.block} ${c.name} [${be} ${dtype}]`, async () => {
          const backend = await setBackend(be);
          runCase(c, loadSafetensors(bytes, { backend }), dtype);
        });
      }
    }
  }
}

test.run();
