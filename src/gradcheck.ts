/**
 * gradcheck: compare autograd's gradients with central finite differences,
 * in float64, like torch.autograd.gradcheck.
 *
 * For a random cotangent v, L(inputs) = Σ fn(inputs) ⊙ v. Autograd gives
 * ∂L/∂x; the check perturbs each element of each input by ±eps and compares
 * (L(x + eps) − L(x − eps)) / 2eps. A random v tests the whole Jacobian: a
 * wrong entry would have to cancel against v by chance.
 */
import { noGrad } from './autograd.js';
import { tidy } from './memory.js';
import { randn, tensor } from './creation.js';
import { Generator } from './random.js';
import { fmtShape } from './shape.js';
import { Tensor } from './tensor.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed for the cotangent. */
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Largest |analytic − numeric| over all checked elements. */
  maxError: number;
  /** A description of the first mismatch, if any. */
  message: string;
}

type Outputs = Tensor | readonly Tensor[];

function asList(out: Outputs): readonly Tensor[] {
  return out instanceof Tensor ? [out] : out;
}

/** Σ out ⊙ v over every output, as a plain number. */
function project(out: Outputs, vs: readonly Tensor[]): Tensor {
  return asList(out).map((o, i) => o.mul(vs[i]).sum()).reduce((a, b) => a.add(b));
}

export function gradcheck(fn: (...inputs: Tensor[]) => Outputs, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 1234 } = opts;
  for (const x of inputs) {
    if (x.dtype !== 'float64') throw new TypeError(`gradcheck: inputs must be float64 tensors, got ${x.dtype} ${fmtShape(x.shape)}`);
    if (!x.isLeaf || !x.isContiguous()) throw new TypeError('gradcheck: inputs must be contiguous leaf tensors (apply views inside fn)');
  }
  const gen = new Generator(seed);
  const first = fn(...inputs);
  const vs = asList(first).map((o) => randn(o.shape, { dtype: 'float64', backend: o.backend, generator: gen }));

  // analytic: one backward pass
  for (const x of inputs) x.zeroGrad();
  const loss = project(first, vs);
  if (!loss.requiresGrad) throw new Error('gradcheck: the function output does not depend on any input that requires grad');
  loss.backward();
  const analytic = inputs.map((x) => (x.grad ? x.grad.dataSync() : new Float64Array(x.numel)));

  // numeric: central differences, element by element
  let maxError = 0, message = '';
  noGrad(() => {
    inputs.forEach((x, k) => {
      if (!x.requiresGrad) return;
      const data = Float64Array.from(x.dataSync());
      const set = () => tidy(() => { x.copy_(tensor(data, [...x.shape], { dtype: 'float64', backend: x.backend })); });
      const evaluate = () => tidy(() => project(fn(...inputs), vs).item());
      for (let i = 0; i < x.numel; i++) {
        const orig = data[i];
        data[i] = orig + eps;
        set();
        const plus = evaluate();
        data[i] = orig - eps;
        set();
        const minus = evaluate();
        data[i] = orig;
        set();
        const numeric = (plus - minus) / (2 * eps);
        const err = Math.abs(analytic[k][i] - numeric);
        maxError = Math.max(maxError, err);
        if (!(err <= atol + rtol * Math.abs(numeric)) && !message) {
          message = `input ${k} ${fmtShape(x.shape)}, element ${i}: analytic ${analytic[k][i]} vs numeric ${numeric}`;
        }
      }
    });
  });
  for (const x of inputs) x.zeroGrad();
  return { ok: message === '', maxError, message };
}
