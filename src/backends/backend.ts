/**
 * The Backend interface: the primitive kernels every backend implements, and
 * nothing else. Ops (src/ops) compose these; autograd never reaches a backend.
 *
 * Conventions shared by all kernels:
 * - Inputs are strided views (`View`): any shape, strides (0 = broadcast,
 *   negative = reversed), and an element offset into a Storage.
 * - Outputs are fresh, contiguous (row-major) storages unless a kernel says
 *   otherwise (`assign` writes into an existing view).
 * - Shapes are already checked and broadcast by the op layer; kernels trust them.
 */
import type { DType, TypedArray } from '../dtype.js';

/** A block of memory owned by one backend. */
export interface Storage {
  readonly backend: Backend;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
}

/** How a tensor sees a storage. */
export interface View {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'reciprocal'
  | 'sin' | 'cos' | 'erf'
  | 'relu' | 'sigmoid' | 'tanh' | 'gelu' | 'gelu_tanh' | 'silu' | 'softplus'
  | 'hardsigmoid' | 'hardswish' | 'relu6'
  /** args: [negativeSlope] */
  | 'leaky_relu'
  /** args: [min, max] (either may be ±Infinity) */
  | 'clamp'
  /** args: [exponent] */
  | 'pow_scalar'
  | 'logical_not';

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
  | 'logical_and' | 'logical_or';

export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';

export interface Backend {
  readonly name: string;

  // ---- memory --------------------------------------------------------------
  /** A zero-filled storage. */
  zeros(dtype: DType, size: number): Storage;
  /** A storage holding a copy of `data` (converted to `dtype`). */
  upload(data: ArrayLike<number>, dtype: DType): Storage;
  /** The storage's elements, as a fresh typed array. */
  read(storage: Storage): Promise<TypedArray>;
  /** Synchronous read; backends that cannot do it (WebGPU) omit it. */
  readSync?(storage: Storage): TypedArray;
  /** Release the memory. Called once, when the last tensor using it is released. */
  free(storage: Storage): void;
  /** Bytes currently held by live storages. */
  bytesInUse(): number;

  // ---- data movement -------------------------------------------------------
  /** Materialise a view contiguously, optionally converting its dtype. */
  copy(x: View, dtype?: DType): Storage;
  /** Write `src` (same shape) into the view `dst` of an existing storage, in place. */
  assign(dst: View, src: View): void;

  // ---- elementwise ---------------------------------------------------------
  /** out[i] = f(x[i]); output dtype = input dtype. */
  unary(op: UnaryOp, x: View, args?: readonly number[]): Storage;
  /** out[i] = f(a[i], b[i]); a, b have the same shape and dtype; comparisons and logical ops give bool. */
  binary(op: BinaryOp, a: View, b: View): Storage;
  /** out[i] = cond[i] ? a[i] : b[i]; all three have the same shape. */
  where(cond: View, a: View, b: View): Storage;

  // ---- reductions ----------------------------------------------------------
  /** Reduce over `axes` (sorted, unique); output has the input shape with those axes set to 1. */
  reduce(op: ReduceOp, x: View, axes: readonly number[]): Storage;
  /** Index (int32) of the first max/min along `axis`; output shape has that axis set to 1. */
  argReduce(op: ArgReduceOp, x: View, axis: number): Storage;

  // ---- linear algebra ------------------------------------------------------
  /** Batched matmul: a [...batch, M, K] @ b [...batch, K, N] -> [...batch, M, N]; batch dims already equal. */
  matmul(a: View, b: View): Storage;

  // ---- fused kernels -------------------------------------------------------
  /** softmax (or log_softmax) along `axis`, max-subtracted so large and -inf inputs are safe. */
  softmax(x: View, axis: number, log: boolean): Storage;
  /** Gradient of softmax/log_softmax given its output y and the incoming gradient g (same shape). */
  softmaxBackward(y: View, g: View, axis: number, log: boolean): Storage;

  // ---- indexing ------------------------------------------------------------
  /** out[..i..] = x[..., index[..i..], ...] along `axis`; out has index's shape; index is int32. */
  gather(x: View, axis: number, index: View): Storage;
  /** out = zeros(shape); out[..., index[..i..], ...] += src[..i..] along `axis`; duplicates accumulate. */
  scatterAdd(shape: readonly number[], axis: number, index: View, src: View): Storage;
}
