/**
 * The few helpers every op file uses: wrapping a kernel's output storage in a
 * Tensor, making views, turning scalars into tensors, and dtype promotion.
 */
import type { Backend, Storage } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import { arrayFor, type DType, isFloating, promoteTypes, promoteWithScalar, type TypedArray } from '../dtype.js';
import { StorageRef } from '../memory.js';
import { contiguousStrides, fmtShape, type Shape } from '../shape.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';

export { normDim, normDims, fmtShape } from '../shape.js';

/** A new contiguous tensor over a storage a kernel just produced. */
export function fromStorage(storage: Storage, shape: Shape): Tensor {
  return new Tensor(new StorageRef(storage), shape, contiguousStrides(shape), 0);
}

/** Another view of the same storage (no copy). */
export function makeView(x: Tensor, shape: Shape, strides: Shape, offset: number): Tensor {
  void x.storage; // throws if disposed
  return new Tensor(x.ref, shape, strides, offset);
}

export function isContiguous(x: Tensor): boolean {
  let expected = 1;
  for (let i = x.ndim - 1; i >= 0; i--) {
    if (x.shape[i] !== 1 && x.strides[i] !== expected) return false;
    expected *= x.shape[i];
  }
  return true;
}

/** A scalar as a 0-d tensor on `be`. */
export function scalarTensor(value: number | boolean, dtype: DType, be: Backend = getBackend()): Tensor {
  return fromStorage(be.upload([+value], dtype), []);
}

/** Bring two operands to tensors of one dtype on one backend (PyTorch's promotion rules). */
export function operands(op: string, a: TensorOrScalar, b: TensorOrScalar): [Tensor, Tensor] {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${op}: at least one operand must be a tensor`);
  for (const v of [a, b]) {
    if (!(v instanceof Tensor) && typeof v !== 'number' && typeof v !== 'boolean') throw new TypeError(`${op}: an operand must be a tensor, a number or a boolean, got ${v === null ? 'null' : typeof v}`);
  }
  if (!(a instanceof Tensor)) {
    const t = b as Tensor;
    const dt = promoteWithScalar(t.dtype, a);
    return [scalarTensor(a, dt, t.backend), castIfNeeded(t, dt)];
  }
  if (!(b instanceof Tensor)) {
    const dt = promoteWithScalar(a.dtype, b);
    return [castIfNeeded(a, dt), scalarTensor(b, dt, a.backend)];
  }
  if (a.backend !== b.backend) throw new Error(`${op}: operands are on different backends (${a.backend.name} and ${b.backend.name})`);
  // a 0-d tensor does not widen a higher-rank float tensor (PyTorch's category rule)
  const dt = a.ndim === 0 && b.ndim > 0 && isFloating(b.dtype) ? b.dtype
    : b.ndim === 0 && a.ndim > 0 && isFloating(a.dtype) ? a.dtype
    : promoteTypes(a.dtype, b.dtype);
  return [castIfNeeded(a, dt), castIfNeeded(b, dt)];
}

export function castIfNeeded(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : x.to(dtype);
}

export function requireFloat(op: string, x: Tensor): void {
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a floating point tensor, got ${x.dtype} ${fmtShape(x.shape)}`);
}

/** Accepts `f(2, 3)` and `f([2, 3])` like PyTorch's varargs shapes. */
export function shapeArgs(args: (number | number[] | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as number[])];
  return args as number[];
}

export function readDataSync(x: Tensor): TypedArray {
  const be = x.backend;
  if (!be.readSync) throw new Error(`dataSync: the ${be.name} backend cannot read synchronously; use await t.data()`);
  if (isContiguous(x) && x.offset === 0 && x.numel === x.storage.size) return be.readSync(x.storage);
  const s = be.copy(x);
  try { return be.readSync(s); } finally { be.free(s); }
}

export async function readData(x: Tensor): Promise<TypedArray> {
  const be = x.backend;
  if (isContiguous(x) && x.offset === 0 && x.numel === x.storage.size) return be.read(x.storage);
  const s = be.copy(x);
  try { return await be.read(s); } finally { be.free(s); }
}

/** Row-major flat data to nested arrays. */
export function nest(data: TypedArray, shape: Shape): import('../tensor.js').NestedArray {
  const asValue = (v: number) => (data instanceof Uint8Array ? v !== 0 : v);
  if (shape.length === 0) return asValue(data[0]);
  const build = (dim: number, offset: number): import('../tensor.js').NestedArray[] => {
    const n = shape[dim];
    const step = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const out: import('../tensor.js').NestedArray[] = [];
    for (let i = 0; i < n; i++) out.push(dim === shape.length - 1 ? asValue(data[offset + i]) : build(dim + 1, offset + i * step));
    return out;
  };
  return build(0, 0);
}

export { arrayFor };
