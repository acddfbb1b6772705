/**
 * The one in-place write: copy values into an existing tensor's memory.
 * Optimizers, loadStateDict and batch norm's running statistics use it so a
 * parameter or buffer keeps its identity. Like PyTorch's `copy_`, it is not
 * tracked by autograd: never use it on a tensor the current graph still needs.
 */
import { isGradEnabled } from '../autograd.js';
import { broadcastShapes, fmtShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { castIfNeeded } from './core.js';
import { expand } from './view.js';

export function copy_(dst: Tensor, src: Tensor): Tensor {
  if (isGradEnabled() && dst.requiresGrad && dst.isLeaf) {
    throw new Error(`copy_: a leaf tensor ${fmtShape(dst.shape)} that requires grad is being written in place; wrap the update in noGrad()`);
  }
  const shape = broadcastShapes('copy_', dst.shape, src.shape);
  if (!shapesEqual(shape, dst.shape)) throw new RangeError(`copy_: source ${fmtShape(src.shape)} cannot be broadcast to destination ${fmtShape(dst.shape)}`);
  if (src.backend !== dst.backend) throw new Error(`copy_: source is on ${src.backend.name}, destination on ${dst.backend.name}`);
  const s = castIfNeeded(expand(src.detach(), dst.shape), dst.dtype);
  dst.backend.assign(dst, s);
  return dst;
}
