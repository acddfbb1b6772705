/**
 * Shape and view ops. Views share the input's storage (no copy): they only
 * compute a new shape, strides and offset. The backward of a view routes the
 * gradient back to the positions the view picked.
 */
import { record } from '../autograd.js';
import type { DType } from '../dtype.js';
import { isFloating } from '../dtype.js';
import { noGrad } from '../autograd.js';
import { contiguousStrides, fmtShape, numel, shapesEqual, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { fromStorage, isContiguous, makeView, normDim, normDims } from './core.js';
import { sum } from './reduce.js';

// ---- copies and casts ---------------------------------------------------------

/** Same data, a new tensor outside the graph. */
export function detach(x: Tensor): Tensor {
  return makeView(x, x.shape, x.strides, x.offset);
}

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = fromStorage(x.backend.copy(x, dtype), x.shape);
  if (!isFloating(dtype)) return out; // integer and bool results carry no gradient
  return record(out, 'to', [x], (g) => [isFloating(x.dtype) ? g.to(x.dtype) : null]);
}

/** A contiguous tensor with the same values; returns `x` itself when it already is one. */
export function contiguous(x: Tensor): Tensor {
  if (isContiguous(x)) return x;
  return clone(x);
}

/** A copy in fresh memory; its gradient is the identity. */
export function clone(x: Tensor): Tensor {
  const out = fromStorage(x.backend.copy(x), x.shape);
  return record(out, 'clone', [x], (g) => [g]);
}

// ---- reshaping ------------------------------------------------------------------

/** Resolve one -1 in a target shape and check the element count. */
export function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  const out = [...shape];
  const neg = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) throw new RangeError(`${op}: only one dimension can be inferred, got ${fmtShape(shape)} for input of shape ${fmtShape(x.shape)}`);
  if (out.some((d) => d < -1 || !Number.isInteger(d))) throw new RangeError(`${op}: invalid shape ${fmtShape(shape)}`);
  if (neg >= 0) {
    const rest = out.reduce((a, d, i) => (i === neg ? a : a * d), 1);
    if (rest === 0 || x.numel % rest !== 0) throw new RangeError(`${op}: shape ${fmtShape(shape)} is invalid for input of shape ${fmtShape(x.shape)} (${x.numel} elements)`);
    out[neg] = x.numel / rest;
  }
  if (numel(out) !== x.numel) throw new RangeError(`${op}: shape ${fmtShape(shape)} is invalid for input of shape ${fmtShape(x.shape)} (${x.numel} elements)`);
  return out;
}

/**
 * Strides that let `x`'s memory be read as `shape` without a copy, or null.
 * Groups of old dims that are laid out back to back can be re-split freely
 * (the same rule as PyTorch's computeStride).
 */
function viewStrides(x: Tensor, shape: readonly number[]): number[] | null {
  if (x.numel === 0 || isContiguous(x)) return contiguousStrides(shape);
  const oldShape = x.shape, oldStrides = x.strides;
  const newStrides = new Array<number>(shape.length);
  let viewD = shape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1];
  let tensorNumel = 1, viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    // a chunk ends where the next-outer old dim does not continue this one in memory
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= shape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) { chunkBase = oldStrides[d - 1]; tensorNumel = 1; viewNumel = 1; }
    }
  }
  return viewD === -1 ? newStrides : null;
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('view', x, shape);
  const strides = viewStrides(x, target);
  if (!strides) throw new Error(`view: size ${fmtShape(target)} is not compatible with input ${fmtShape(x.shape)} strides ${fmtShape(x.strides)} (at least one dimension spans two contiguous runs); use reshape()`);
  const out = makeView(x, target, strides, x.offset);
  return record(out, 'view', [x], (g) => [g.reshape([...x.shape])]);
}

/** A view when the memory allows it, otherwise a copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('reshape', x, shape);
  return viewStrides(x, target) ? view(x, target) : view(contiguous(x), target);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim), e = normDim('flatten', endDim, x.ndim);
  if (s > e) throw new RangeError(`flatten: start_dim ${startDim} cannot come after end_dim ${endDim}`);
  const mid = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

export function unflatten(x: Tensor, dim: number, sizes: number[]): Tensor {
  const d = normDim('unflatten', dim, x.ndim);
  const known = sizes.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
  const filled = sizes.map((s) => (s === -1 ? x.shape[d] / known : s));
  if (filled.reduce((a, b) => a * b, 1) !== x.shape[d] || filled.some((s) => !Number.isInteger(s))) {
    throw new RangeError(`unflatten: sizes ${fmtShape(sizes)} do not multiply to dim ${dim} of size ${x.shape[d]} (input ${fmtShape(x.shape)})`);
  }
  return reshape(x, [...x.shape.slice(0, d), ...filled, ...x.shape.slice(d + 1)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) throw new RangeError(`permute: got ${dims.length} dims ${fmtShape(dims)} for a tensor of rank ${x.ndim} ${fmtShape(x.shape)}`);
  const p = dims.map((d) => normDim('permute', d, x.ndim));
  if (new Set(p).size !== p.length) throw new RangeError(`permute: dims ${fmtShape(dims)} repeat a dimension (input ${fmtShape(x.shape)})`);
  const out = makeView(x, p.map((d) => x.shape[d]), p.map((d) => x.strides[d]), x.offset);
  const inverse = new Array<number>(p.length);
  p.forEach((d, i) => (inverse[d] = i));
  return record(out, 'permute', [x], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim === 0) return x;
  const a = normDim('transpose', dim0, x.ndim), b = normDim('transpose', dim1, x.ndim);
  const p = [...x.shape.keys()];
  [p[a], p[b]] = [p[b], p[a]];
  return permute(x, p);
}

export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new RangeError(`t: expects a tensor with <= 2 dimensions, got ${fmtShape(x.shape)}; use transpose()`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : normDims('squeeze', dim, x.ndim);
  const drop = new Set(dims.filter((d) => x.shape[d] === 1)); // like PyTorch, a non-1 dim is left alone
  const keep = x.shape.map((_, i) => i).filter((i) => !drop.has(i));
  const out = makeView(x, keep.map((i) => x.shape[i]), keep.map((i) => x.strides[i]), x.offset);
  return record(out, 'squeeze', [x], (g) => [g.reshape([...x.shape])]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape], strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d] * x.shape[d] : 1);
  const out = makeView(x, shape, strides, x.offset);
  return record(out, 'unsqueeze', [x], (g) => [g.reshape([...x.shape])]);
}

/** Sum a broadcast gradient back down to `shape` (the backward of expand). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = axes.length ? sum(g, axes, true) : g;
  return reshape(s, [...shape]);
}

/** Broadcast to a larger shape with zero strides (no copy). -1 keeps a dim. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) throw new RangeError(`expand: the target ${fmtShape(shape)} has fewer dims than the input ${fmtShape(x.shape)}`);
  const lead = shape.length - x.ndim;
  const outShape: number[] = [], strides: number[] = [];
  shape.forEach((d, i) => {
    const j = i - lead;
    const size = j >= 0 ? x.shape[j] : 1;
    const target = d === -1 ? (j >= 0 ? size : NaN) : d;
    if (Number.isNaN(target)) throw new RangeError(`expand: -1 is not allowed in a new leading dim (${fmtShape(shape)})`);
    if (j >= 0 && size !== 1 && size !== target) {
      throw new RangeError(`expand: the input ${fmtShape(x.shape)} cannot be expanded to ${fmtShape(shape)} (dim ${i}: ${size} vs ${target}; only size-1 dims can grow)`);
    }
    outShape.push(target);
    strides.push(j >= 0 && size === target ? x.strides[j] : 0);
  });
  if (shapesEqual(outShape, x.shape)) return x;
  const out = makeView(x, outShape, strides, x.offset);
  return record(out, 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

// ---- picking parts -----------------------------------------------------------------

/**
 * The backward of any view that picks a subset of positions: zeros of the
 * input's shape, with the gradient written into the same view of them.
 */
function embed(g: Tensor, x: Tensor, sameView: (base: Tensor) => Tensor): Tensor {
  const base = fromStorage(g.backend.zeros(g.dtype, x.numel), x.shape);
  const target = noGrad(() => sameView(base));
  g.backend.assign(target, g);
  target.dispose();
  return base;
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim('narrow', dim, x.ndim);
  const n = x.shape[d];
  const s = start < 0 ? start + n : start;
  if (s < 0 || length < 0 || s + length > n || !Number.isInteger(s) || !Number.isInteger(length)) {
    throw new RangeError(`narrow: start ${start} + length ${length} exceeds dim ${dim} of size ${n} (input ${fmtShape(x.shape)})`);
  }
  const shape = [...x.shape];
  shape[d] = length;
  const out = makeView(x, shape, x.strides, x.offset + s * x.strides[d]);
  return record(out, 'narrow', [x], (g) => [embed(g, x, (b) => narrow(b, d, s, length))]);
}

/** One dim of a Python slice: an index (drops the dim), null (all), or [start, stop, step] with nulls allowed. */
export type SliceSpec = number | null | readonly (number | null | undefined)[];

/** `x[specs...]` for basic Python slicing over leading dims; steps must be positive (as in PyTorch). */
export function slice(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  if (specs.length > x.ndim) throw new RangeError(`slice: too many indices (${specs.length}) for a tensor of rank ${x.ndim} ${fmtShape(x.shape)}`);
  const shape: number[] = [], strides: number[] = [];
  let offset = x.offset;
  x.shape.forEach((n, d) => {
    const spec = d < specs.length ? specs[d] : null;
    if (typeof spec === 'number') {
      const i = spec < 0 ? spec + n : spec;
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`slice: index ${spec} is out of bounds for dim ${d} of size ${n} (input ${fmtShape(x.shape)})`);
      offset += i * x.strides[d];
      return;
    }
    const [a, b, c] = spec ?? [];
    const step = c ?? 1;
    if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
    const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    const start = a == null ? 0 : clampIdx(a);
    const stop = b == null ? n : clampIdx(b);
    const len = Math.max(0, Math.ceil((stop - start) / step));
    offset += (len > 0 ? start : 0) * x.strides[d];
    shape.push(len);
    strides.push(x.strides[d] * step);
  });
  const out = makeView(x, shape, strides, offset);
  return record(out, 'slice', [x], (g) => [embed(g, x, (b) => slice(b, specs))]);
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim('select', dim, x.ndim);
  const specs: SliceSpec[] = x.shape.slice(0, d).map(() => null);
  specs.push(index);
  return slice(x, specs);
}

/** Split into `chunks` pieces of ceil(n / chunks) (the last may be smaller), like torch.chunk. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normDim('chunk', dim, x.ndim);
  const size = Math.ceil(x.shape[d] / chunks);
  return split(x, Math.max(size, 1), d);
}

/** Pieces of `size` (the last may be smaller), or of the listed sizes, like torch.split. */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSizes === 'number') {
    if (!Number.isInteger(sizeOrSizes) || sizeOrSizes <= 0) throw new RangeError(`split: split_size must be a positive integer, got ${sizeOrSizes}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, n - s));
    if (n === 0) sizes.push(0);
  } else {
    sizes = [...sizeOrSizes];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n || sizes.some((s) => s < 0)) throw new RangeError(`split: sizes ${fmtShape(sizes)} must sum to dim ${dim} of size ${n} (input ${fmtShape(x.shape)})`);
  }
  let start = 0;
  return sizes.map((len) => { const p = narrow(x, d, start, len); start += len; return p; });
}

export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normDim('unbind', dim, x.ndim);
  return [...Array(x.shape[d]).keys()].map((i) => select(x, d, i));
}

/** A view of a diagonal: sizes and strides of dim1 and dim2 merge into one last dim. */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const a = normDim('diagonal', dim1, x.ndim), b = normDim('diagonal', dim2, x.ndim);
  if (a === b) throw new RangeError(`diagonal: dim1 and dim2 cannot be the same (${dim1})`);
  const len = Math.max(0, offset >= 0 ? Math.min(x.shape[a], x.shape[b] - offset) : Math.min(x.shape[a] + offset, x.shape[b]));
  const start = len === 0 ? 0 : offset >= 0 ? offset * x.strides[b] : -offset * x.strides[a];
  const keep = x.shape.map((_, i) => i).filter((i) => i !== a && i !== b);
  const out = makeView(x, [...keep.map((i) => x.shape[i]), len], [...keep.map((i) => x.strides[i]), x.strides[a] + x.strides[b]], x.offset + start);
  return record(out, 'diagonal', [x], (g) => [embed(g, x, (base) => diagonal(base, offset, a, b))]);
}

// ---- joining and copying ----------------------------------------------------------

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError('cat: expected a non-empty list of tensors');
  const first = tensors[0];
  const d = normDim('cat', dim, first.ndim);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new RangeError(`cat: sizes must match except in dim ${dim}; got ${tensors.map((u) => fmtShape(u.shape)).join(', ')}`);
    }
    if (t.dtype !== first.dtype) throw new TypeError(`cat: all tensors must have one dtype; got ${tensors.map((u) => u.dtype).join(', ')}`);
    if (t.backend !== first.backend) throw new Error('cat: all tensors must be on one backend');
  }
  const shape = [...first.shape];
  shape[d] = tensors.reduce((a, t) => a + t.shape[d], 0);
  const out = fromStorage(first.backend.zeros(first.dtype, numel(shape)), shape);
  let start = 0;
  const starts = tensors.map((t) => {
    const part = noGrad(() => narrow(out, d, start, t.shape[d]));
    first.backend.assign(part, t);
    part.dispose();
    const s = start;
    start += t.shape[d];
    return s;
  });
  return record(out, 'cat', tensors, (g) => tensors.map((t, i) => narrow(g, d, starts[i], t.shape[d])));
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError('stack: expected a non-empty list of tensors');
  const first = tensors[0];
  for (const t of tensors) {
    if (!shapesEqual(t.shape, first.shape)) throw new RangeError(`stack: all tensors must have one shape; got ${tensors.map((u) => fmtShape(u.shape)).join(', ')}`);
  }
  const d = normDim('stack', dim, first.ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/** Tile the tensor `reps` times along each dim (torch.Tensor.repeat). */
export function repeat(x: Tensor, reps: readonly number[]): Tensor {
  if (reps.length < x.ndim) throw new RangeError(`repeat: the number of repeats (${reps.length}) cannot be smaller than the rank ${x.ndim} of ${fmtShape(x.shape)}`);
  const lead = reps.length - x.ndim;
  const shape = [...Array(lead).fill(1), ...x.shape];
  // [a, b] -> [1, a, 1, b] -> expand [ra, a, rb, b] -> reshape [ra*a, rb*b]
  const inter: number[] = [], expanded: number[] = [];
  shape.forEach((s, i) => { inter.push(1, s); expanded.push(reps[i], s); });
  return reshape(expand(reshape(x, inter), expanded), shape.map((s, i) => s * reps[i]));
}

export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const ds = normDims('flip', dims, x.ndim);
  let offset = x.offset;
  const strides = [...x.strides];
  for (const d of ds) {
    if (x.shape[d] > 0) offset += (x.shape[d] - 1) * x.strides[d];
    strides[d] = -strides[d];
  }
  // a reversed view, materialised at once so no negative stride ever reaches the user
  const reversed = makeView(x, x.shape, strides, offset);
  const out = fromStorage(x.backend.copy(reversed), x.shape);
  reversed.dispose();
  return record(out, 'flip', [x], (g) => [flip(g, ds)]);
}

/** Circular shift along dims; without dims, the flattened tensor is rolled. */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  if (dims === undefined) {
    if (typeof shifts !== 'number' && shifts.length !== 1) throw new RangeError('roll: several shifts need the same number of dims');
    return reshape(roll(flatten(x), typeof shifts === 'number' ? shifts : shifts[0], 0), [...x.shape]);
  }
  const ss = typeof shifts === 'number' ? [shifts] : [...shifts];
  const ds = typeof dims === 'number' ? [dims] : [...dims];
  if (ss.length !== ds.length) throw new RangeError(`roll: got ${ss.length} shifts and ${ds.length} dims`);
  let out = x;
  ss.forEach((s, i) => {
    const d = normDim('roll', ds[i], x.ndim);
    const n = x.shape[d];
    if (n === 0) return;
    const k = ((s % n) + n) % n;
    if (k === 0) return;
    // roll by k: the last k entries come first
    out = cat([narrow(out, d, n - k, k), narrow(out, d, 0, n - k)], d);
  });
  return out;
}
