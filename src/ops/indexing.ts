/**
 * Indexing by integer tensors: gather / scatter_add along a dim, and
 * index_select / index_add along a dim. Each is the other's backward;
 * repeated indices accumulate in the backward.
 */
import { record } from '../autograd.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage, normDim } from './core.js';
import { expand, reshape } from './view.js';

function checkIndex(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') throw new TypeError(`${op}: index must be an int32 tensor, got ${index.dtype} ${fmtShape(index.shape)}`);
}

/** Run an index kernel; its out-of-range error is re-thrown naming the op and the user's shapes. */
function bounded<T>(op: string, x: Tensor, index: Tensor, dim: number, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new RangeError(`${op}: ${e.message.replace(/^\w+: /, '')} (input ${fmtShape(x.shape)}, index ${fmtShape(index.shape)}, dim ${dim})`);
  }
}

/** out[i][j] = x[index[i][j]][j] for dim 0 (and likewise for other dims); out has index's shape. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex('gather', index);
  const d = normDim('gather', dim, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((s, i) => i !== d && s > x.shape[i])) {
    throw new RangeError(`gather: index ${fmtShape(index.shape)} must have the rank of the input ${fmtShape(x.shape)} and be no larger outside dim ${dim}`);
  }
  return gatherKernel(x, d, index, (run) => bounded('gather', x, index, dim, run));
}

function gatherKernel(x: Tensor, d: number, index: Tensor, guard: <T>(run: () => T) => T): Tensor {
  const out = fromStorage(guard(() => x.backend.gather(x, d, index)), index.shape);
  return record(out, 'gather', [x], (g) => [fromStorage(g.backend.scatterAdd(x.shape, d, index, g), x.shape)]);
}

/** x + (zeros with src added at index along dim); duplicates accumulate. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return scatterAddGuarded(x, dim, index, src, (run) => bounded('scatter_add', x, index, dim, run));
}

function scatterAddGuarded(x: Tensor, dim: number, index: Tensor, src: Tensor, guard: <T>(run: () => T) => T): Tensor {
  checkIndex('scatter_add', index);
  const d = normDim('scatter_add', dim, x.ndim);
  if (index.ndim !== x.ndim || src.ndim !== x.ndim || index.shape.some((s, i) => s > src.shape[i] || (i !== d && s > x.shape[i]))) {
    throw new RangeError(`scatter_add: index ${fmtShape(index.shape)} must fit in src ${fmtShape(src.shape)} and, outside dim ${dim}, in the input ${fmtShape(x.shape)}`);
  }
  if (src.dtype !== x.dtype) throw new TypeError(`scatter_add: src dtype ${src.dtype} differs from the input's ${x.dtype}`);
  // only the index-shaped corner of src takes part
  const part = index.shape.every((s, i) => s === src.shape[i]) ? src : src.slice(...index.shape.map((s) => [0, s]));
  const added = fromStorage(guard(() => x.backend.scatterAdd(x.shape, d, index, part)), x.shape);
  const spread = record(added, 'scatter_add', [part], (g) => [fromStorage(g.backend.gather(g, d, index), index.shape)]);
  return x.add(spread);
}

/** The index-shaped view that turns a 1-D index along `dim` into a gather index of `shape`. */
function alongDim(index: Tensor, dim: number, shape: readonly number[]): Tensor {
  const viewShape = shape.map((s, i) => (i === dim ? index.shape[0] : 1));
  return expand(reshape(index, viewShape), shape.map((s, i) => (i === dim ? index.shape[0] : s)));
}

/** Rows (or slices along dim) picked by a 1-D index; the backward index_adds, so duplicates accumulate. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex('index_select', index);
  if (index.ndim > 1) throw new RangeError(`index_select: index must be 0-D or 1-D, got ${fmtShape(index.shape)}`);
  const d = normDim('index_select', dim, x.ndim);
  const idx = index.ndim === 0 ? reshape(index, [1]) : index;
  return gatherKernel(x, d, alongDim(idx, d, x.shape), (run) => bounded('index_select', x, index, dim, run));
}

/** x with alpha·source added to the slices along dim named by index (torch.index_add). */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, alpha = 1): Tensor {
  checkIndex('index_add', index);
  if (index.ndim > 1) throw new RangeError(`index_add: index must be 0-D or 1-D, got ${fmtShape(index.shape)}`);
  const d = normDim('index_add', dim, x.ndim);
  const idx = index.ndim === 0 ? reshape(index, [1]) : index;
  const expected = x.shape.map((s, i) => (i === d ? idx.shape[0] : s));
  if (source.ndim !== x.ndim || source.shape.some((s, i) => s !== expected[i])) {
    throw new RangeError(`index_add: source ${fmtShape(source.shape)} must be ${fmtShape(expected)} for input ${fmtShape(x.shape)}, dim ${dim}, index ${fmtShape(index.shape)}`);
  }
  const guard = <T>(run: () => T) => bounded('index_add', x, index, dim, run);
  return scatterAddGuarded(x, d, alongDim(idx, d, source.shape), alpha === 1 ? source : source.mul(alpha), guard);
}
