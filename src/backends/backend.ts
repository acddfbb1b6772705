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

export type Pair = readonly [number, number];

/** 2-D convolution geometry. Padding is symmetric zeros; other padding is done by the pad op first. */
export interface Conv2dParams {
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;
}

/** A sliding window over H and W (pools, unfold/fold). */
export interface WindowParams {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
}

export interface Pool2dParams extends WindowParams {
  /** The output size [Ho, Wo], already computed by the op (ceil_mode is folded into it). */
  readonly outSize: Pair;
  /** avg pool: count the zero padding in the divisor. */
  readonly countIncludePad: boolean;
  readonly divisorOverride?: number;
}

/** A kernel result with argmax indices (int32, flat over the input's H×W, as PyTorch returns them). */
export interface WithIndices {
  readonly values: Storage;
  readonly indices: Storage;
}

/** Statistics of a normalisation over some axes, in the input's shape with those axes set to 1. */
export interface Normalized {
  /** (x − mean) · rstd */
  readonly y: Storage;
  readonly mean: Storage;
  /** 1 / sqrt(biased var + eps) */
  readonly rstd: Storage;
}
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

  // ---- convolution (x [N,C,H,W], weight [O,C/groups,kh,kw]) ---------------------
  /** out[n,o,i,j] = Σ_{c,a,b} x[n, g·C/G + c, i·sh − ph + a·dh, j·sw − pw + b·dw] · w[o,c,a,b],  g = group of o */
  conv2d(x: View, weight: View, p: Conv2dParams): Storage;
  /** ∂L/∂x of conv2d given the output gradient (this is also conv_transpose2d's forward). */
  conv2dBackwardInput(grad: View, weight: View, inputShape: readonly number[], p: Conv2dParams): Storage;
  /** ∂L/∂w of conv2d given the input and the output gradient. */
  conv2dBackwardWeight(x: View, grad: View, weightShape: readonly number[], p: Conv2dParams): Storage;

  // ---- pooling over H, W of [N,C,H,W] --------------------------------------------
  avgPool2d(x: View, p: Pool2dParams): Storage;
  avgPool2dBackward(grad: View, inputShape: readonly number[], p: Pool2dParams): Storage;
  /** Max over each window (padding counts as −inf); indices are flat over H×W. Backward is a scatter-add. */
  maxPool2d(x: View, p: Pool2dParams): WithIndices;
  /** PyTorch's adaptive bins: start = floor(i·H/Ho), end = ceil((i+1)·H/Ho). */
  adaptiveAvgPool2d(x: View, outSize: Pair): Storage;
  adaptiveAvgPool2dBackward(grad: View, inputShape: readonly number[]): Storage;
  adaptiveMaxPool2d(x: View, outSize: Pair): WithIndices;

  // ---- im2col / col2im ------------------------------------------------------------
  /** [N,C,H,W] -> [N, C·kh·kw, L]: rows C-major then kernel row-major, L row-major over output positions. */
  im2col(x: View, p: WindowParams): Storage;
  /** [N, C·kh·kw, L] -> [N,C,H,W] with overlapping contributions summed (the adjoint of im2col). */
  col2im(cols: View, outputSize: Pair, p: WindowParams): Storage;

  // ---- sampling ----------------------------------------------------------------------
  /** Bilinear grid_sample with zeros padding: x [N,C,H,W], grid [N,Ho,Wo,2] holding (x, y) in [−1, 1]. */
  gridSample(x: View, grid: View, alignCorners: boolean): Storage;
  gridSampleBackward(grad: View, x: View, grid: View, alignCorners: boolean): { dx: Storage; dgrid: Storage };

  // ---- normalisation -------------------------------------------------------------------
  /** Normalise over `axes` (sorted) with the biased variance: the core of layer, group, instance and batch norm. */
  normalize(x: View, axes: readonly number[], eps: number): Normalized;
  /** ∂L/∂x of normalize: rstd · (g − mean(g) − y · mean(g·y)) over the same axes. */
  normalizeBackward(grad: View, y: View, rstd: View, axes: readonly number[]): Storage;
}
