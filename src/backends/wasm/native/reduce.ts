/**
 * Native bindings: reductions, softmax, normalisation (assembly/reduce.ts,
 * softmax.ts, norm.ts). Each returns null for a case it does not handle, and
 * the backend then runs the js reference.
 *
 * The kernels take contiguous arrays. Views that are not contiguous are first
 * copied by the native strided copy (be.withContiguous), and then the dims are
 * merged into the few layouts the kernels know:
 *
 *   reduce, normalize:     [A, B, C, D], reducing B and D (see `layout4`)
 *   argReduce, softmax:    [A, R, C] along R
 *
 * A reduction whose axes do not fit [A, B, C, D] (e.g. axes 0 and 2 of a 5-d
 * tensor whose dims 1 and 3 are kept) is run on a copy with the reduced axes
 * moved last, i.e. as [K, 1, 1, R]; normalize then moves y back.
 *
 * Handled: float32 (all of them) and int32 sum/max/min. float64 and the rest
 * (bool, int32 prod, int32 argmax) take the reference path, as do empty tensors.
 */
import type { ArgReduceOp, Normalized, ReduceOp, Storage, View } from '../../backend.js';
import type { WasmBackend, WasmStorage } from '../index.js';

/** Op codes of assembly/reduce.ts. */
const OPS: Record<ReduceOp, number> = { sum: 0, prod: 1, max: 2, min: 3 };

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The contiguous shape seen as [A, B, C, D] with `axes` being B and D, or null.
 * Size-1 dims are dropped (they are both kept and reduced), adjacent dims of the
 * same kind are merged, and the runs must read kept, reduced, kept, reduced
 * (any of them possibly absent). A lone trailing reduced run is put in D, so that
 * "reduce the last axes" is [A, 1, 1, D]: one contiguous row per output.
 */
export function layout4(shape: readonly number[], axes: readonly number[]): [number, number, number, number] | null {
  const runs: { reduced: boolean; size: number }[] = [];
  shape.forEach((size, i) => {
    if (size === 1) return;
    const reduced = axes.includes(i);
    const last = runs[runs.length - 1];
    if (last && last.reduced === reduced) last.size *= size;
    else runs.push({ reduced, size });
  });
  const dims = [1, 1, 1, 1];
  let k = 0;
  for (let slot = 0; slot < 4 && k < runs.length; slot++) {
    if (runs[k].reduced === (slot % 2 === 1)) dims[slot] = runs[k++].size;
  }
  if (k < runs.length) return null;
  let [A, B, C, D] = dims;
  if (C === 1 && D === 1) [B, D] = [1, B];
  return [A, B, C, D];
}

/** The view with `axes` moved last (a free re-ordering), and the permutation used. */
function moveAxesLast(v: View, axes: readonly number[]): { view: View; order: number[] } {
  const keep = v.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...keep, ...axes];
  return { view: { storage: v.storage, shape: order.map((i) => v.shape[i]), strides: order.map((i) => v.strides[i]), offset: v.offset }, order };
}

/** Row-major strides of a shape. */
function rowMajor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/**
 * Run `fn` on the views as contiguous arrays in the layout [A, B, C, D] of
 * `axes`: as they are (copied when not contiguous) when their shape fits it,
 * else copied with the axes moved last, as [K, 1, 1, R]. `moved` tells the
 * caller that an output in x's shape must be moved back (see `unmove`).
 */
function withLayout<T>(
  be: WasmBackend, views: readonly View[], axes: readonly number[],
  fn: (dims: [number, number, number, number], moved: number[] | null, ...ptrs: number[]) => T,
): T {
  const shape = views[0].shape;
  const dims = layout4(shape, axes);
  if (dims) return be.withContiguous(views, (...ptrs) => fn(dims, null, ...ptrs));
  const copies: WasmStorage[] = [];
  try {
    let order: number[] = [];
    for (const v of views) {
      const m = moveAxesLast(v, axes);
      order = m.order;
      copies.push(be.stridedCopy(m.view));
    }
    const R = numel(axes.map((a) => shape[a]));
    return fn([numel(shape) / R, 1, 1, R], order, ...copies.map((c) => c.ptr));
  } finally {
    for (const c of copies) be.free(c);
  }
}

/** A contiguous array laid out in the moved order `order`, copied back to x's shape. */
function unmove(be: WasmBackend, s: WasmStorage, shape: readonly number[], order: readonly number[]): WasmStorage {
  const movedStrides = rowMajor(order.map((i) => shape[i]));
  const strides = new Array<number>(shape.length);
  order.forEach((dim, j) => { strides[dim] = movedStrides[j]; });
  return be.stridedCopy({ storage: s, shape, strides, offset: 0 });
}

/**
 * Allocate float32/int32 outputs, run `fn` with them, and free them all if
 * anything throws (an allocation, a copy, a wasm abort): an error leaks nothing.
 */
function withOutputs<T>(be: WasmBackend, sizes: readonly [Storage['dtype'], number][], fn: (...outs: WasmStorage[]) => T): T {
  const outs: WasmStorage[] = [];
  try {
    for (const [dtype, n] of sizes) outs.push(be.alloc(dtype, n));
    return fn(...outs);
  } catch (e) {
    for (const o of outs) be.free(o);
    throw e;
  }
}

// ---- reductions ---------------------------------------------------------------------------

export function reduce(be: WasmBackend, op: ReduceOp, x: View, axes: readonly number[]): Storage | null {
  const dtype = x.storage.dtype;
  const f32 = dtype === 'float32';
  if (!(f32 || (dtype === 'int32' && op !== 'prod')) || numel(x.shape) === 0) return null;
  const kept = numel(x.shape.filter((_, i) => !axes.includes(i)));
  return withOutputs(be, [[dtype, kept]], (out) => {
    withLayout(be, [x], axes, ([A, B, C, D], _moved, px) => be.k.fn[f32 ? 'reduceF32' : 'reduceI32'](OPS[op], px, out.ptr, A, B, C, D));
    return out;
  });
}

/** The contiguous shape seen as [A, R, C] around `axis`. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [numel(shape.slice(0, axis)), shape[axis], numel(shape.slice(axis + 1))];
}

export function argReduce(be: WasmBackend, op: ArgReduceOp, x: View, axis: number): Storage | null {
  if (x.storage.dtype !== 'float32' || numel(x.shape) === 0) return null;
  const [A, R, C] = around(x.shape, axis);
  return withOutputs(be, [['int32', A * C]], (out) => {
    be.withContiguous([x], (px) => be.k.fn.argReduceF32(op === 'argmin' ? 1 : 0, px, out.ptr, A, R, C));
    return out;
  });
}

// ---- softmax ----------------------------------------------------------------------------------

export function softmax(be: WasmBackend, x: View, axis: number, log: boolean): Storage | null {
  if (x.storage.dtype !== 'float32' || numel(x.shape) === 0) return null;
  const [A, R, C] = around(x.shape, axis);
  return withOutputs(be, [['float32', A * R * C]], (out) => {
    be.withContiguous([x], (px) => be.k.fn.softmaxF32(px, out.ptr, A, R, C, log ? 1 : 0));
    return out;
  });
}

export function softmaxBackward(be: WasmBackend, y: View, g: View, axis: number, log: boolean): Storage | null {
  if (y.storage.dtype !== 'float32' || g.storage.dtype !== 'float32' || numel(y.shape) === 0) return null;
  const [A, R, C] = around(y.shape, axis);
  return withOutputs(be, [['float32', A * R * C]], (out) => {
    be.withContiguous([y, g], (py, pg) => be.k.fn.softmaxBackwardF32(py, pg, out.ptr, A, R, C, log ? 1 : 0));
    return out;
  });
}

// ---- normalisation ----------------------------------------------------------------------------

export function normalize(be: WasmBackend, x: View, axes: readonly number[], eps: number): Normalized | null {
  if (x.storage.dtype !== 'float32' || numel(x.shape) === 0) return null;
  const groups = numel(x.shape.filter((_, i) => !axes.includes(i)));
  return withOutputs(be, [['float32', numel(x.shape)], ['float32', groups], ['float32', groups]], (y, mean, rstd) => {
    const moved = withLayout(be, [x], axes, ([A, B, C, D], order, px) => {
      be.k.fn.normalizeF32(px, y.ptr, mean.ptr, rstd.ptr, A, B, C, D, eps);
      return order;
    });
    if (!moved) return { y, mean, rstd };
    const back = unmove(be, y, x.shape, moved);
    be.free(y);
    return { y: back, mean, rstd };
  });
}

export function normalizeBackward(be: WasmBackend, g: View, y: View, rstd: View, axes: readonly number[]): Storage | null {
  if (g.storage.dtype !== 'float32' || y.storage.dtype !== 'float32' || rstd.storage.dtype !== 'float32' || numel(g.shape) === 0) return null;
  return withOutputs(be, [['float32', numel(g.shape)]], (dx) => {
    // rstd has the keepdim shape: its row-major order is the group order in both layouts
    const moved = be.withContiguous([rstd], (pr) => withLayout(be, [g, y], axes, ([A, B, C, D], order, pg, py) => {
      be.k.fn.normalizeBackwardF32(pg, py, pr, dx.ptr, A, B, C, D);
      return order;
    }));
    if (!moved) return dx;
    const back = unmove(be, dx, g.shape, moved);
    be.free(dx);
    return back;
  });
}
