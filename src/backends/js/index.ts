/**
 * The js backend: reference kernels in plain TypeScript. Each kernel is a
 * loop over the formula; every other backend is tested against these.
 */
import { arrayFor, bytesPerElement, type DType, type TypedArray } from '../../dtype.js';
import type {
  ArgReduceOp, Backend, BinaryOp, Conv2dParams, Normalized, Pair, Pool2dParams, ReduceOp, Storage, UnaryOp, View, WindowParams, WithIndices,
} from '../backend.js';
import { erf, gelu, geluTanh, sigmoid, softplus } from './math.js';
import { elementOffsets, moveAxesLast, rowMajor, viewOffsets } from './strided.js';

import { JsStorage } from './storage.js';
import * as conv from './conv.js';
import * as pool from './pool.js';
import * as window from './window.js';
import * as sample from './sample.js';
import * as norm from './norm.js';

export { JsStorage };

const unaryFns: Record<UnaryOp, (x: number, args: readonly number[]) => number> = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), // keeps 0 and NaN as they are, like torch.sign
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  sin: (x) => Math.sin(x),
  cos: (x) => Math.cos(x),
  erf: (x) => erf(x),
  relu: (x) => (x > 0 ? x : 0),
  sigmoid: (x) => sigmoid(x),
  tanh: (x) => Math.tanh(x),
  gelu: (x) => gelu(x),
  gelu_tanh: (x) => geluTanh(x),
  silu: (x) => x * sigmoid(x),
  softplus: (x) => softplus(x),
  hardsigmoid: (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1),
  hardswish: (x) => x * Math.min(Math.max(x + 3, 0), 6) / 6,
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  leaky_relu: (x, [slope]) => (x > 0 ? x : x * slope),
  clamp: (x, [lo, hi]) => (Number.isNaN(x) ? x : Math.min(Math.max(x, lo), hi)),
  pow_scalar: (x, [p]) => Math.pow(x, p),
  logical_not: (x) => (x ? 0 : 1),
};

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
  logical_and: (a, b) => +(!!a && !!b),
  logical_or: (a, b) => +(!!a || !!b),
};

const boolResult = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logical_and', 'logical_or']);

export class JsBackend implements Backend {
  readonly name = 'js';
  private live = 0;

  private make(dtype: DType, size: number): JsStorage {
    this.live += size * bytesPerElement(dtype);
    return new JsStorage(this, dtype, arrayFor(dtype, size));
  }
  private data(s: Storage): TypedArray {
    return (s as JsStorage).data;
  }

  zeros(dtype: DType, size: number): Storage { return this.make(dtype, size); }
  upload(data: ArrayLike<number>, dtype: DType): Storage {
    const s = this.make(dtype, data.length);
    s.data.set(data);
    return s;
  }
  async read(s: Storage): Promise<TypedArray> { return this.readSync(s); }
  readSync(s: Storage): TypedArray { return this.data(s).slice(); }
  free(s: Storage): void {
    const js = s as JsStorage;
    this.live -= js.data.length * bytesPerElement(js.dtype);
    js.data = arrayFor(js.dtype, 0); // drop the memory now; a stale use reads nothing
  }
  bytesInUse(): number { return this.live; }

  copy(x: View, dtype: DType = x.storage.dtype): Storage {
    const src = this.data(x.storage);
    const off = viewOffsets(x);
    const out = this.make(dtype, off.length);
    if (dtype === 'bool' && x.storage.dtype !== 'bool') {
      for (let i = 0; i < off.length; i++) out.data[i] = +(src[off[i]] !== 0); // bool(x) = x != 0, like PyTorch (NaN is true)
    } else {
      for (let i = 0; i < off.length; i++) out.data[i] = src[off[i]];
    }
    return out;
  }

  assign(dst: View, src: View): void {
    const d = this.data(dst.storage), s = this.data(src.storage);
    const od = viewOffsets(dst), os = viewOffsets(src);
    for (let i = 0; i < od.length; i++) d[od[i]] = s[os[i]];
  }

  unary(op: UnaryOp, x: View, args: readonly number[] = []): Storage {
    const f = unaryFns[op];
    const src = this.data(x.storage);
    const off = viewOffsets(x);
    const out = this.make(x.storage.dtype, off.length);
    for (let i = 0; i < off.length; i++) out.data[i] = f(src[off[i]], args);
    return out;
  }

  binary(op: BinaryOp, a: View, b: View): Storage {
    const f = binaryFns[op];
    const A = this.data(a.storage), B = this.data(b.storage);
    const oa = viewOffsets(a), ob = viewOffsets(b);
    const out = this.make(boolResult.has(op) ? 'bool' : a.storage.dtype, oa.length);
    for (let i = 0; i < oa.length; i++) out.data[i] = f(A[oa[i]], B[ob[i]]);
    return out;
  }

  where(cond: View, a: View, b: View): Storage {
    const C = this.data(cond.storage), A = this.data(a.storage), B = this.data(b.storage);
    const oc = viewOffsets(cond), oa = viewOffsets(a), ob = viewOffsets(b);
    const out = this.make(a.storage.dtype, oc.length);
    for (let i = 0; i < oc.length; i++) out.data[i] = C[oc[i]] ? A[oa[i]] : B[ob[i]];
    return out;
  }

  /** Move the reduced axes last, so each output element owns one contiguous run of `inner` offsets. */
  private rows(x: View, axes: readonly number[]) {
    const moved = moveAxesLast(x.shape, x.strides, axes);
    const inner = axes.reduce((n, a) => n * x.shape[a], 1);
    const off = elementOffsets(moved.shape, moved.strides, x.offset);
    return { off, inner, outer: inner === 0 ? x.shape.reduce((n, d, i) => (axes.includes(i) ? n : n * d), 1) : off.length / inner };
  }

  reduce(op: ReduceOp, x: View, axes: readonly number[]): Storage {
    const src = this.data(x.storage);
    const { off, inner, outer } = this.rows(x, axes);
    const out = this.make(x.storage.dtype, outer);
    for (let r = 0; r < outer; r++) {
      let acc = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'max' ? -Infinity : Infinity;
      for (let j = 0; j < inner; j++) {
        const v = src[off[r * inner + j]];
        if (op === 'sum') acc += v;
        else if (op === 'prod') acc *= v;
        else if (Number.isNaN(v)) { acc = NaN; break; } // max/min propagate NaN like PyTorch
        else if (op === 'max') acc = v > acc ? v : acc;
        else acc = v < acc ? v : acc;
      }
      out.data[r] = acc;
    }
    return out;
  }

  argReduce(op: ArgReduceOp, x: View, axis: number): Storage {
    const src = this.data(x.storage);
    const { off, inner, outer } = this.rows(x, [axis]);
    const out = this.make('int32', outer);
    for (let r = 0; r < outer; r++) {
      let best = 0, bv = src[off[r * inner]];
      for (let j = 1; j < inner && !Number.isNaN(bv); j++) {
        const v = src[off[r * inner + j]];
        if (Number.isNaN(v) || (op === 'argmax' ? v > bv : v < bv)) { best = j; bv = v; }
      }
      out.data[r] = best;
    }
    return out;
  }

  matmul(a: View, b: View): Storage {
    const A = this.data(a.storage), B = this.data(b.storage);
    const r = a.shape.length;
    const M = a.shape[r - 2], K = a.shape[r - 1], N = b.shape[r - 1];
    const batch = a.shape.slice(0, r - 2);
    const ba = elementOffsets(batch, a.strides.slice(0, r - 2), a.offset);
    const bb = elementOffsets(batch, b.strides.slice(0, r - 2), b.offset);
    const [am, ak] = [a.strides[r - 2], a.strides[r - 1]];
    const [bk, bn] = [b.strides[r - 2], b.strides[r - 1]];
    const out = this.make(a.storage.dtype, ba.length * M * N);
    const C = out.data;
    for (let p = 0; p < ba.length; p++) {
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          // C[i,j] = sum_k A[i,k] B[k,j]
          let acc = 0;
          for (let k = 0; k < K; k++) acc += A[ba[p] + i * am + k * ak] * B[bb[p] + k * bk + j * bn];
          C[(p * M + i) * N + j] = acc;
        }
      }
    }
    return out;
  }

  softmax(x: View, axis: number, log: boolean): Storage {
    const src = this.data(x.storage);
    const { off, inner, outer } = this.rows(x, [axis]);
    // the output is contiguous in x's logical shape; walk it in the same moved order
    const outMoved = moveAxesLast(x.shape, rowMajor(x.shape), [axis]);
    const oo = elementOffsets(outMoved.shape, outMoved.strides, 0);
    const out = this.make(x.storage.dtype, off.length);
    for (let r = 0; r < outer; r++) {
      const base = r * inner;
      // y_j = e^(x_j - m) / sum_k e^(x_k - m),  m = max_k x_k  (m cancels; it only prevents overflow)
      let m = -Infinity;
      for (let j = 0; j < inner; j++) m = Math.max(m, src[off[base + j]]);
      if (m === -Infinity) m = 0; // an all -inf row gives NaN below, like PyTorch
      let s = 0;
      for (let j = 0; j < inner; j++) s += Math.exp(src[off[base + j]] - m);
      const logS = Math.log(s);
      for (let j = 0; j < inner; j++) {
        const z = src[off[base + j]] - m;
        out.data[oo[base + j]] = log ? z - logS : Math.exp(z) / s;
      }
    }
    return out;
  }

  softmaxBackward(y: View, g: View, axis: number, log: boolean): Storage {
    const Y = this.data(y.storage), G = this.data(g.storage);
    const ry = this.rows(y, [axis]);
    const rg = this.rows(g, [axis]);
    const outMoved = moveAxesLast(y.shape, rowMajor(y.shape), [axis]);
    const oo = elementOffsets(outMoved.shape, outMoved.strides, 0);
    const out = this.make(y.storage.dtype, ry.off.length);
    const { inner, outer } = ry;
    for (let r = 0; r < outer; r++) {
      const base = r * inner;
      let s = 0;
      for (let j = 0; j < inner; j++) s += log ? G[rg.off[base + j]] : G[rg.off[base + j]] * Y[ry.off[base + j]];
      for (let j = 0; j < inner; j++) {
        const yj = Y[ry.off[base + j]], gj = G[rg.off[base + j]];
        // softmax:     dx_j = y_j (g_j - sum_k g_k y_k)
        // log_softmax: dx_j = g_j - e^(y_j) sum_k g_k
        out.data[oo[base + j]] = log ? gj - Math.exp(yj) * s : yj * (gj - s);
      }
    }
    return out;
  }

  gather(x: View, axis: number, index: View): Storage {
    const src = this.data(x.storage), idx = this.data(index.storage);
    // x seen with index's shape and a zero stride on `axis`: the base offset of each output element
    const baseStrides = x.strides.map((s, i) => (i === axis ? 0 : s));
    const base = elementOffsets(index.shape, baseStrides, x.offset);
    const oi = viewOffsets(index);
    const n = x.shape[axis], step = x.strides[axis];
    for (let i = 0; i < oi.length; i++) checkIndex('gather', idx[oi[i]], n); // before allocating: a bad index leaks nothing
    const out = this.make(x.storage.dtype, base.length);
    for (let i = 0; i < base.length; i++) {
      const k = idx[oi[i]];
      out.data[i] = src[base[i] + k * step];
    }
    return out;
  }

  scatterAdd(shape: readonly number[], axis: number, index: View, src: View): Storage {
    const S = this.data(src.storage), idx = this.data(index.storage);
    const strides = rowMajor(shape);
    const base = elementOffsets(index.shape, strides.map((s, i) => (i === axis ? 0 : s)), 0);
    const oi = viewOffsets(index), os = viewOffsets(src);
    for (let i = 0; i < oi.length; i++) checkIndex('scatter_add', idx[oi[i]], shape[axis]); // before allocating
    const out = this.make(src.storage.dtype, shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < base.length; i++) {
      const k = idx[oi[i]];
      out.data[base[i] + k * strides[axis]] += S[os[i]];
    }
    return out;
  }

  // ---- vision kernels: each lives in its own file as plain loops over the formula ----
  private wrap(dtype: DType, data: TypedArray): JsStorage {
    this.live += data.length * bytesPerElement(dtype);
    return new JsStorage(this, dtype, data);
  }
  private wrapIndexed(dtype: DType, r: { values: TypedArray; indices: Int32Array }): WithIndices {
    return { values: this.wrap(dtype, r.values), indices: this.wrap('int32', r.indices) };
  }

  conv2d(x: View, w: View, p: Conv2dParams): Storage { return this.wrap(x.storage.dtype, conv.conv2d(x, w, p)); }
  conv2dBackwardInput(g: View, w: View, inputShape: readonly number[], p: Conv2dParams): Storage {
    return this.wrap(g.storage.dtype, conv.conv2dBackwardInput(g, w, inputShape, p));
  }
  conv2dBackwardWeight(x: View, g: View, weightShape: readonly number[], p: Conv2dParams): Storage {
    return this.wrap(x.storage.dtype, conv.conv2dBackwardWeight(x, g, weightShape, p));
  }

  avgPool2d(x: View, p: Pool2dParams): Storage { return this.wrap(x.storage.dtype, pool.avgPool2d(x, p)); }
  avgPool2dBackward(g: View, inputShape: readonly number[], p: Pool2dParams): Storage {
    return this.wrap(g.storage.dtype, pool.avgPool2dBackward(g, inputShape, p));
  }
  maxPool2d(x: View, p: Pool2dParams): WithIndices { return this.wrapIndexed(x.storage.dtype, pool.maxPool2d(x, p)); }
  adaptiveAvgPool2d(x: View, outSize: Pair): Storage { return this.wrap(x.storage.dtype, pool.adaptiveAvgPool2d(x, outSize)); }
  adaptiveAvgPool2dBackward(g: View, inputShape: readonly number[]): Storage {
    return this.wrap(g.storage.dtype, pool.adaptiveAvgPool2dBackward(g, inputShape));
  }
  adaptiveMaxPool2d(x: View, outSize: Pair): WithIndices { return this.wrapIndexed(x.storage.dtype, pool.adaptiveMaxPool2d(x, outSize)); }

  im2col(x: View, p: WindowParams): Storage { return this.wrap(x.storage.dtype, window.im2col(x, p)); }
  col2im(cols: View, outputSize: Pair, p: WindowParams): Storage { return this.wrap(cols.storage.dtype, window.col2im(cols, outputSize, p)); }

  gridSample(x: View, grid: View, alignCorners: boolean): Storage { return this.wrap(x.storage.dtype, sample.gridSample(x, grid, alignCorners)); }
  gridSampleBackward(g: View, x: View, grid: View, alignCorners: boolean): { dx: Storage; dgrid: Storage } {
    const r = sample.gridSampleBackward(g, x, grid, alignCorners);
    return { dx: this.wrap(x.storage.dtype, r.dx), dgrid: this.wrap(grid.storage.dtype, r.dgrid) };
  }

  normalize(x: View, axes: readonly number[], eps: number): Normalized {
    const r = norm.normalize(x, axes, eps);
    const dt = x.storage.dtype;
    return { y: this.wrap(dt, r.y), mean: this.wrap(dt, r.mean), rstd: this.wrap(dt, r.rstd) };
  }
  normalizeBackward(g: View, y: View, rstd: View, axes: readonly number[]): Storage {
    return this.wrap(g.storage.dtype, norm.normalizeBackward(g, y, rstd, axes));
  }
}

function checkIndex(op: string, k: number, n: number): number {
  // like PyTorch's gather/scatter, indices are 0..n-1 (no negative wrap-around)
  if (!(k >= 0 && k < n)) throw new RangeError(`${op}: index ${k} is out of bounds for a dimension of size ${n}`);
  return k;
}
