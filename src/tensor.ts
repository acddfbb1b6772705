/**
 * Tensor: a view (shape, strides, offset) over a Storage owned by one backend,
 * plus the autograd fields. Every method is a thin call into src/ops, where
 * each op keeps its forward and backward together.
 */
import type { Backend, View } from './backends/backend.js';
import { type BackwardOptions, type Node, runBackward } from './autograd.js';
import type { DType, TypedArray } from './dtype.js';
import { type Owned, StorageRef, track, untrack } from './memory.js';
import { fmtShape, numel, type Shape } from './shape.js';
import * as ops from './ops/index.js';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;
export type NestedArray = number | boolean | NestedArray[];

export class Tensor implements Owned, View {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly ref: StorageRef;
  /** Whether gradients flow to this tensor (leaves: set by the user; others: by the tape). */
  requiresGrad = false;
  /** The accumulated gradient, for leaves (and for tensors that called `retainGrad()`). */
  grad: Tensor | null = null;
  /** The tape node that made this tensor; null for leaves. */
  gradFn: Node | null = null;
  retainsGrad = false;
  isDisposed = false;

  constructor(ref: StorageRef, shape: Shape, strides: Shape, offset = 0) {
    this.ref = ref;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze([...strides]);
    this.offset = offset;
    track(this);
  }

  // ---- what it is -------------------------------------------------------------
  get storage() {
    if (this.isDisposed) throw new Error(`Tensor ${fmtShape(this.shape)} was disposed and cannot be used`);
    return this.ref.storage;
  }
  get dtype(): DType { return this.ref.storage.dtype; }
  get backend(): Backend { return this.ref.storage.backend; }
  get numel(): number { return numel(this.shape); }
  get ndim(): number { return this.shape.length; }
  dim(): number { return this.shape.length; }
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    return dim === undefined ? [...this.shape] : this.shape[ops.normDim('size', dim, this.ndim)];
  }
  /** True when the elements are laid out row-major with no gaps. */
  isContiguous(): boolean { return ops.isContiguous(this); }
  get isLeaf(): boolean { return this.gradFn === null; }

  // ---- memory -----------------------------------------------------------------
  /** Release this tensor's hold on its storage now (idempotent). */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    untrack(this);
  }

  // ---- reading ----------------------------------------------------------------
  /** The elements in row-major order. */
  async data(): Promise<TypedArray> { return ops.readData(this); }
  /** Synchronous read, on backends that allow it (js, wasm). */
  dataSync(): TypedArray { return ops.readDataSync(this); }
  /** Nested arrays, like `tensor.tolist()`. */
  async toArray(): Promise<NestedArray> { return ops.nest(await this.data(), this.shape); }
  arraySync(): NestedArray { return ops.nest(this.dataSync(), this.shape); }
  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1) throw new Error(`item: only one-element tensors can be converted to a number; got shape ${fmtShape(this.shape)}`);
    return this.dataSync()[0];
  }
  toString(): string { return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}, backend=${this.backend.name}${this.requiresGrad ? ', requiresGrad' : ''})`; }

  // ---- autograd ---------------------------------------------------------------
  /** Accumulate gradients into the leaves. A non-scalar tensor needs `grad` of its own shape. */
  backward(grad?: Tensor, opts?: BackwardOptions): void { runBackward(this, grad, opts); }
  /** Same data, cut from the graph. */
  detach(): Tensor { return ops.detach(this); }
  /** Set requiresGrad in place and return this (PyTorch's requires_grad_). */
  requiresGrad_(on = true): this {
    if (!this.isLeaf && !on) throw new Error('requiresGrad_: can only change requiresGrad of leaf tensors');
    if (on && !(this.dtype === 'float32' || this.dtype === 'float64')) throw new Error(`requiresGrad_: only floating point tensors can require gradients (got ${this.dtype})`);
    this.requiresGrad = on;
    return this;
  }
  /** Keep `.grad` on a non-leaf after backward. */
  retainGrad(): this { this.retainsGrad = true; return this; }
  /** Drop the accumulated gradient. */
  zeroGrad(): void { this.grad?.dispose(); this.grad = null; }

  // ---- conversion and copies ----------------------------------------------------
  to(dtype: DType): Tensor { return ops.cast(this, dtype); }
  float(): Tensor { return ops.cast(this, 'float32'); }
  double(): Tensor { return ops.cast(this, 'float64'); }
  int(): Tensor { return ops.cast(this, 'int32'); }
  bool(): Tensor { return ops.cast(this, 'bool'); }
  contiguous(): Tensor { return ops.contiguous(this); }
  clone(): Tensor { return ops.clone(this); }
  zerosLike(): Tensor { return ops.zerosLike(this); }
  /** Write `src` (broadcast) into this tensor's memory, in place and outside autograd (PyTorch's copy_). */
  copy_(src: Tensor): this { ops.copy_(this, src); return this; }
  onesLike(): Tensor { return ops.onesLike(this); }

  // ---- views and shape ------------------------------------------------------------
  view(...shape: (number | number[])[]): Tensor { return ops.view(this, ops.shapeArgs(shape)); }
  reshape(...shape: (number | number[])[]): Tensor { return ops.reshape(this, ops.shapeArgs(shape)); }
  permute(...dims: (number | number[])[]): Tensor { return ops.permute(this, ops.shapeArgs(dims)); }
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  /** Transpose of a tensor of rank ≤ 2 (PyTorch's `.t()`). */
  t(): Tensor { return ops.t(this); }
  /** The last two dims swapped (PyTorch's `.mT`). */
  get mT(): Tensor { return ops.transpose(this, -2, -1); }
  squeeze(dim?: number | number[]): Tensor { return ops.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  expand(...shape: (number | number[])[]): Tensor { return ops.expand(this, ops.shapeArgs(shape)); }
  expandAs(other: Tensor): Tensor { return ops.expand(this, other.shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  unflatten(dim: number, sizes: number[]): Tensor { return ops.unflatten(this, dim, sizes); }
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  /** Python-style slicing: one entry per leading dim, e.g. `x.slice([null, [1, 5, 2]], 0)`. See ops.slice. */
  slice(...specs: ops.SliceSpec[]): Tensor { return ops.slice(this, specs); }
  select(dim: number, index: number): Tensor { return ops.select(this, dim, index); }
  chunk(chunks: number, dim = 0): Tensor[] { return ops.chunk(this, chunks, dim); }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] { return ops.split(this, sizeOrSizes, dim); }
  unbind(dim = 0): Tensor[] { return ops.unbind(this, dim); }
  repeat(...reps: (number | number[])[]): Tensor { return ops.repeat(this, ops.shapeArgs(reps)); }
  flip(dims: number | number[]): Tensor { return ops.flip(this, dims); }
  roll(shifts: number | number[], dims?: number | number[]): Tensor { return ops.roll(this, shifts, dims); }
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor { return ops.diagonal(this, offset, dim1, dim2); }

  // ---- elementwise arithmetic ---------------------------------------------------------
  add(other: TensorOrScalar, alpha?: number): Tensor { return ops.add(this, other, alpha); }
  sub(other: TensorOrScalar, alpha?: number): Tensor { return ops.sub(this, other, alpha); }
  mul(other: TensorOrScalar): Tensor { return ops.mul(this, other); }
  div(other: TensorOrScalar): Tensor { return ops.div(this, other); }
  pow(exponent: TensorOrScalar): Tensor { return ops.pow(this, exponent); }
  maximum(other: TensorOrScalar): Tensor { return ops.maximum(this, other); }
  minimum(other: TensorOrScalar): Tensor { return ops.minimum(this, other); }
  neg(): Tensor { return ops.neg(this); }
  abs(): Tensor { return ops.abs(this); }
  sign(): Tensor { return ops.sign(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  rsqrt(): Tensor { return ops.rsqrt(this); }
  square(): Tensor { return ops.square(this); }
  reciprocal(): Tensor { return ops.reciprocal(this); }
  sin(): Tensor { return ops.sin(this); }
  cos(): Tensor { return ops.cos(this); }
  erf(): Tensor { return ops.erf(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return ops.clamp(this, min, max); }
  where(condition: Tensor, other: TensorOrScalar): Tensor { return ops.where(condition, this, other); }
  maskedFill(mask: Tensor, value: number): Tensor { return ops.maskedFill(this, mask, value); }

  // ---- comparisons (no gradient; bool results) ----------------------------------------
  eq(other: TensorOrScalar): Tensor { return ops.eq(this, other); }
  ne(other: TensorOrScalar): Tensor { return ops.ne(this, other); }
  lt(other: TensorOrScalar): Tensor { return ops.lt(this, other); }
  le(other: TensorOrScalar): Tensor { return ops.le(this, other); }
  gt(other: TensorOrScalar): Tensor { return ops.gt(this, other); }
  ge(other: TensorOrScalar): Tensor { return ops.ge(this, other); }
  logicalNot(): Tensor { return ops.logicalNot(this); }
  logicalAnd(other: TensorOrScalar): Tensor { return ops.logicalAnd(this, other); }
  logicalOr(other: TensorOrScalar): Tensor { return ops.logicalOr(this, other); }

  // ---- activations ---------------------------------------------------------------
  relu(): Tensor { return ops.relu(this); }
  relu6(): Tensor { return ops.relu6(this); }
  leakyRelu(negativeSlope = 0.01): Tensor { return ops.leakyRelu(this, negativeSlope); }
  hardsigmoid(): Tensor { return ops.hardsigmoid(this); }
  hardswish(): Tensor { return ops.hardswish(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  tanh(): Tensor { return ops.tanh(this); }
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return ops.gelu(this, approximate); }
  silu(): Tensor { return ops.silu(this); }
  softplus(beta = 1, threshold = 20): Tensor { return ops.softplus(this, beta, threshold); }
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }

  // ---- reductions -------------------------------------------------------------------
  sum(dim?: number | number[] | null, keepdim = false): Tensor { return ops.sum(this, dim, keepdim); }
  mean(dim?: number | number[] | null, keepdim = false): Tensor { return ops.mean(this, dim, keepdim); }
  /** Without dim: the max element. With dim: `{values, indices}` like PyTorch's named tuple. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ops.ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | ops.ValuesIndices { return dim === undefined ? ops.amax(this) : ops.maxDim(this, dim, keepdim); }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ops.ValuesIndices;
  min(dim?: number, keepdim = false): Tensor | ops.ValuesIndices { return dim === undefined ? ops.amin(this) : ops.minDim(this, dim, keepdim); }
  amax(dim?: number | number[] | null, keepdim = false): Tensor { return ops.amax(this, dim, keepdim); }
  amin(dim?: number | number[] | null, keepdim = false): Tensor { return ops.amin(this, dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return ops.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return ops.argmin(this, dim, keepdim); }
  var(dim?: number | number[] | null, unbiased = true, keepdim = false): Tensor { return ops.variance(this, dim, unbiased, keepdim); }
  std(dim?: number | number[] | null, unbiased = true, keepdim = false): Tensor { return ops.std(this, dim, unbiased, keepdim); }
  norm(p = 2, dim?: number | number[] | null, keepdim = false): Tensor { return ops.norm(this, p, dim, keepdim); }
  logsumexp(dim: number | number[], keepdim = false): Tensor { return ops.logsumexp(this, dim, keepdim); }

  // ---- linear algebra -----------------------------------------------------------------
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  bmm(other: Tensor): Tensor { return ops.bmm(this, other); }

  // ---- indexing -------------------------------------------------------------------
  indexSelect(dim: number, index: Tensor): Tensor { return ops.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ops.scatterAdd(this, dim, index, src); }
  indexAdd(dim: number, index: Tensor, source: Tensor, alpha = 1): Tensor { return ops.indexAdd(this, dim, index, source, alpha); }
}
