/**
 * Reductions over any set of dims, with keepdim, and the statistics built on
 * them (mean, var, std, norm, logsumexp). The backward of a reduction
 * broadcasts the gradient back over the reduced dims.
 */
import { noGrad, record } from '../autograd.js';
import type { ReduceOp } from '../backends/backend.js';
import { isFloating } from '../dtype.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { castIfNeeded, fromStorage, normDim, normDims, requireFloat } from './core.js';
import { where } from './elementwise.js';
import { expand, reshape } from './view.js';

type Dims = number | readonly number[] | null | undefined;

/** The shape with the reduced axes set to 1 (keepdim) or removed. */
function reducedShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** Run a reduce kernel; returns the keepdim-shaped result. */
function reduceKernel(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  return fromStorage(x.backend.reduce(op, x, axes), reducedShape(x.shape, axes, true));
}

/** The gradient of a keepdim-or-not reduction output, broadcast back to the input's shape. */
function spread(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return expand(reshape(g, reducedShape(x.shape, axes, true)), x.shape);
}

function finish(kept: Tensor, x: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  return keepdim ? kept : reshape(kept, reducedShape(x.shape, axes, false));
}

/** Σ over dims (all dims when dim is omitted). Bool and int sum to int32. */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const axes = normDims('sum', dim ?? undefined, x.ndim);
  const src = x.dtype === 'bool' ? castIfNeeded(x, 'int32') : x;
  const kept = reduceKernel('sum', src, axes);
  record(kept, 'sum', [src], (g) => [spread(g, src, axes)]);
  return finish(kept, x, axes, keepdim);
}

export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  requireFloat('mean', x);
  const axes = normDims('mean', dim ?? undefined, x.ndim);
  const n = axes.reduce((a, d) => a * x.shape[d], 1);
  return sum(x, axes, keepdim).div(n);
}

/**
 * max/min over dims. The gradient is shared evenly between tied maxima
 * (PyTorch's amax rule).
 */
function extreme(op: 'max' | 'min', x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const name = op === 'max' ? 'amax' : 'amin';
  const axes = normDims(name, dim ?? undefined, x.ndim);
  for (const a of axes) if (x.shape[a] === 0) throw new RangeError(`${name}: cannot reduce over an empty dim ${a} of ${fmtShape(x.shape)}`);
  const kept = reduceKernel(op, x, axes);
  record(kept, name, [x], (g) => {
    const hit = x.eq(expand(kept, x.shape));
    const count = sum(hit, axes, true).to(g.dtype);
    return [where(hit, spread(g, x, axes).div(count), 0)];
  });
  return finish(kept, x, axes, keepdim);
}

export const amax = (x: Tensor, dim?: Dims, keepdim = false): Tensor => extreme('max', x, dim, keepdim);
export const amin = (x: Tensor, dim?: Dims, keepdim = false): Tensor => extreme('min', x, dim, keepdim);

export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

/** Index of the max/min along dim; without dim, of the flattened tensor. */
function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (dim === undefined) return argExtreme(op, reshape(x, [-1]), 0, false);
  const d = normDim(op, dim, x.ndim);
  if (x.shape[d] === 0) throw new RangeError(`${op}: cannot reduce over an empty dim ${dim} of ${fmtShape(x.shape)}`);
  const kept = fromStorage(x.backend.argReduce(op, x, d), reducedShape(x.shape, [d], true));
  return finish(kept, x, [d], keepdim);
}

export const argmax = (x: Tensor, dim?: number, keepdim = false): Tensor => argExtreme('argmax', x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number, keepdim = false): Tensor => argExtreme('argmin', x, dim, keepdim);

/** max along one dim with its indices; the gradient goes to the index only (PyTorch's rule for max(dim)). */
function extremeDim(op: 'max' | 'min', x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  const d = normDim(op, dim, x.ndim);
  const idx = argExtreme(op === 'max' ? 'argmax' : 'argmin', x, d, true);
  const values = fromStorage(x.backend.gather(x, d, idx), idx.shape);
  record(values, op, [x], (g) => [fromStorage(g.backend.scatterAdd(x.shape, d, idx, reshape(g, idx.shape)), x.shape)]);
  return { values: finish(values, x, [d], keepdim), indices: finish(idx, x, [d], keepdim) };
}

export const maxDim = (x: Tensor, dim: number, keepdim = false): ValuesIndices => extremeDim('max', x, dim, keepdim);
export const minDim = (x: Tensor, dim: number, keepdim = false): ValuesIndices => extremeDim('min', x, dim, keepdim);

/** Σ (x − mean)² / (n − 1) (unbiased, Bessel's correction) or / n. */
export function variance(x: Tensor, dim?: Dims, unbiased = true, keepdim = false): Tensor {
  requireFloat('var', x);
  const axes = normDims('var', dim ?? undefined, x.ndim);
  const n = axes.reduce((a, d) => a * x.shape[d], 1);
  const centered = x.sub(mean(x, axes, true));
  return sum(centered.square(), axes, keepdim).div(Math.max(n - (unbiased ? 1 : 0), 0));
}

export function std(x: Tensor, dim?: Dims, unbiased = true, keepdim = false): Tensor {
  return variance(x, dim, unbiased, keepdim).sqrt();
}

/**
 * p-norm over dims: (Σ|x|^p)^(1/p); p = Infinity gives max|x|. For p = 2 the
 * gradient x/‖x‖ is taken as 0 where ‖x‖ = 0, as PyTorch does.
 */
export function norm(x: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor {
  requireFloat('norm', x);
  const axes = normDims('norm', dim ?? undefined, x.ndim);
  if (p === Infinity) return amax(x.abs(), axes, keepdim);
  if (p === 1) return sum(x.abs(), axes, keepdim);
  if (p === 2) {
    const kept = noGrad(() => sum(x.square(), axes, true).sqrt());
    record(kept, 'norm', [x], (g) => [where(kept.eq(0), 0, x.mul(spread(g, x, axes)).div(expand(kept, x.shape)))]);
    return finish(kept, x, axes, keepdim);
  }
  if (!(p > 0)) throw new RangeError(`norm: p must be positive, got ${p}`);
  return sum(x.abs().pow(p), axes, keepdim).pow(1 / p);
}

/** log Σ e^x, computed as m + log Σ e^(x − m) with m = max x (m is constant for the gradient, which is softmax). */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  const xf = isFloating(x.dtype) ? x : castIfNeeded(x, 'float32');
  const axes = normDims('logsumexp', dim, x.ndim);
  const m = noGrad(() => {
    const raw = amax(xf, axes, true);
    return where(raw.abs().eq(Infinity), 0, raw); // an infinite max would give inf − inf
  });
  const out = sum(xf.sub(m).exp(), axes, true).log().add(m);
  return keepdim ? out : reshape(out, reducedShape(x.shape, axes, false));
}
