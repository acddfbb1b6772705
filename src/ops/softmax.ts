/**
 * softmax and log_softmax along any dim, as fused kernels with a fused backward.
 *   softmax:      y_j = e^(x_j − m) / Σ_k e^(x_k − m)    dx = y ⊙ (g − Σ g⊙y)
 *   log_softmax:  y_j = x_j − m − log Σ_k e^(x_k − m)    dx = g − e^y Σ g
 * m = max_k x_k keeps large inputs finite and lets −inf entries give exactly 0.
 */
import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { castIfNeeded, fromStorage, normDim } from './core.js';
import { isFloating } from '../dtype.js';

function softmaxOp(x: Tensor, dim: number, log: boolean): Tensor {
  const name = log ? 'log_softmax' : 'softmax';
  const xf = isFloating(x.dtype) ? x : castIfNeeded(x, 'float32');
  if (x.ndim === 0) return softmaxOp(xf.reshape([1]), 0, log).reshape([]);
  const d = normDim(name, dim, x.ndim);
  const out = fromStorage(xf.backend.softmax(xf, d, log), x.shape);
  return record(out, name, [xf], (g) => [fromStorage(g.backend.softmaxBackward(out, g, d, log), x.shape)]);
}

export const softmax = (x: Tensor, dim: number): Tensor => softmaxOp(x, dim, false);
export const logSoftmax = (x: Tensor, dim: number): Tensor => softmaxOp(x, dim, true);
