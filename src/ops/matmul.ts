/**
 * Matrix products: matmul with PyTorch's rules for 1-D operands and
 * broadcast batch dims, bmm, and linear.
 *   C = A B,   dA = G Bᵀ,   dB = Aᵀ G   (batch dims broadcast; their gradient is summed by expand)
 */
import { record } from '../autograd.js';
import { broadcastShapes, fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage, operands, requireFloat } from './core.js';
import { expand, reshape, transpose, unsqueeze, squeeze } from './view.js';

/** Batched product of operands that are both at least 2-D. */
function matmulNd(a: Tensor, b: Tensor): Tensor {
  const [M, K] = a.shape.slice(-2), [K2, N] = b.shape.slice(-2);
  if (K !== K2) {
    throw new RangeError(`matmul: inner dimensions do not match: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)} (${K} vs ${K2})`);
  }
  const batch = broadcastShapes('matmul (batch dims)', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ae = expand(a, [...batch, M, K]), be = expand(b, [...batch, K, N]);
  const out = fromStorage(a.backend.matmul(ae, be), [...batch, M, N]);
  return record(out, 'matmul', [ae, be], (g) => [matmulNd(g, transpose(be, -1, -2)), matmulNd(transpose(ae, -1, -2), g)]);
}

/**
 * torch.matmul: 1-D @ 1-D is a dot product; a 1-D left operand is a row
 * vector and a 1-D right operand a column vector (the added dim is removed
 * again); otherwise batch dims broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  [a, b] = operands('matmul', a, b);
  requireFloat('matmul', a);
  if (a.ndim === 0 || b.ndim === 0) throw new RangeError(`matmul: both arguments need at least 1 dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  let out = matmulNd(a2, b2);
  if (b.ndim === 1) out = squeeze(out, -1);
  if (a.ndim === 1) out = squeeze(out, b.ndim === 1 ? -1 : -2);
  return out;
}

/** Batched matmul of two 3-D tensors with equal batch size (no broadcasting, like torch.bmm). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3) throw new RangeError(`bmm: expects two 3-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) throw new RangeError(`bmm: batch sizes differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** y = x Wᵀ + b, with weight [out, in] and x [..., in] (torch.nn.functional.linear). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new RangeError(`linear: weight must be 2-D [out, in], got ${fmtShape(weight.shape)}`);
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new RangeError(`linear: input ${fmtShape(x.shape)} has ${x.shape[x.ndim - 1]} features, weight ${fmtShape(weight.shape)} expects ${weight.shape[1]}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new RangeError(`linear: bias ${fmtShape(bias.shape)} must be [${weight.shape[0]}] for weight ${fmtShape(weight.shape)}`);
  }
  // fold leading dims into one so the product is a single GEMM
  const lead = x.shape.slice(0, -1);
  const y = matmul(reshape(x, [-1, weight.shape[1]]), transpose(weight, 0, 1));
  const out = reshape(y, [...lead, weight.shape[0]]);
  return bias ? out.add(bias) : out;
}
