/**
 * Native bindings: convolution, pooling, im2col/col2im, gather/scatter-add, grid_sample
 * (kernels in assembly/conv.ts, pool.ts, gather.ts, sample.ts). float32 only: any other
 * dtype returns null and the js reference runs.
 *
 * How each convolution runs (x [N,C,H,W], w [O,C/G,kh,kw]):
 *
 *   depthwise (G = C = O)   forward and weight gradient: direct kernels, vectorised over the
 *                           output width (stride 1, and column stride 2 in the forward; 3×3
 *                           unrolled, its forward two rows at a time). Input gradient: for stride 1
 *                           it is the same kernel on the output gradient with the flipped filter
 *                           (padding (k−1)·d − p); other strides scatter directly.
 *   dense / grouped,        forward: `conv2dS1F32`, an implicit GEMM over the zero-padded input
 *   stride 1                (no column matrix; 4 channels × 8 outputs per f32x4 tile). It serves
 *                           1×1 as well: a GEMM over [C, H·W] per image.
 *                           Input gradient: the same kernel run on the output gradient with the
 *                           flipped, per-group transposed weight (a view, no copy).
 *   other strides           forward: im2col into a scratch buffer, then be.matmul
 *                           ([G, Og, Kg] @ [G, Kg, L] per image, batched). Input gradient:
 *                           be.matmul with the transposed weight into columns, then col2im.
 *   weight gradient         stride 1: `conv2dBackwardWeightS1F32`, the same implicit GEMM with the
 *   (dense / grouped)       pixels as the reduction (4 channels × 2 taps of f32x4 partial sums).
 *                           Other strides: im2col laid out [K, N·L], then one batched be.matmul:
 *                           dW[g] = dy[g] [Og, N·L] @ cols[g]ᵀ [N·L, Kg]  (the output gradient
 *                           permuted to [G, Og, N, L] first when N > 1).
 *
 * Kernel arguments are byte addresses and element strides, so strided views are read where
 * they lie; outputs are fresh contiguous storages.
 */
import type { Conv2dParams, Pair, Pool2dParams, Storage, View, WindowParams, WithIndices } from '../../backend.js';
import type { WasmBackend, WasmStorage } from '../index.js';

const isF32 = (...views: View[]) => views.every((v) => v.storage.dtype === 'float32');
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const outLength = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

/** Column scratch is split into chunks of at most this many floats (64 MiB). */
const COLS_BUDGET = 16 * 1024 * 1024;

/** A contiguous view over a storage. */
function viewOf(storage: Storage, shape: number[], strides?: number[], offset = 0): View {
  if (!strides) {
    strides = new Array<number>(shape.length);
    let s = 1;
    for (let i = shape.length - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
  }
  return { storage, shape, strides, offset };
}

/** The view itself when it is contiguous, else a contiguous copy (freed by `release`). */
function contiguous(be: WasmBackend, v: View): { view: View; release: () => void } {
  if (be.isContiguous(v)) return { view: viewOf(v.storage, [...v.shape], undefined, v.offset), release: () => {} };
  const s = be.stridedCopy(v);
  return { view: viewOf(s, [...v.shape]), release: () => be.free(s) };
}

/** Copy `count` floats between byte addresses of the linear memory. */
function copyFloats(be: WasmBackend, dst: number, src: number, count: number): void {
  new Uint8Array(be.k.memory.buffer).copyWithin(dst, src, src + count * 4);
}

/** Allocate the output, run the kernel, free the output again if the kernel throws. */
function produce(be: WasmBackend, size: number, run: (out: WasmStorage) => void): WasmStorage {
  const out = be.alloc('float32', size);
  try {
    run(out);
  } catch (e) {
    be.free(out);
    throw e;
  }
  return out;
}

const strides4 = (v: View) => [v.strides[0], v.strides[1], v.strides[2], v.strides[3]];

// ---- convolution ------------------------------------------------------------------------------

function isDepthwise(C: number, O: number, Cg: number, groups: number): boolean {
  return groups === C && O === C && Cg === 1;
}

export function conv2d(be: WasmBackend, x: View, w: View, p: Conv2dParams): Storage | null {
  if (!isF32(x, w)) return null;
  const [N, C, H, W] = x.shape;
  const [O, Cg, kh, kw] = w.shape;
  const { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups: G } = p;
  const Ho = outLength(H, kh, sh, ph, dh), Wo = outLength(W, kw, sw, pw, dw);
  const size = N * O * Ho * Wo;
  if (size === 0 || Cg * kh * kw === 0) return be.zeros('float32', size);
  const k = be.k.fn;

  if (isDepthwise(C, O, Cg, G)) {
    return produce(be, size, (out) => k.depthwise2dF32(
      be.address(x), ...strides4(x), be.address(w), w.strides[0], w.strides[2], w.strides[3],
      out.ptr, N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo));
  }
  if (sh === 1 && sw === 1) {
    const Og = O / G;
    return produce(be, size, (out) => k.conv2dS1F32(
      be.address(x), ...strides4(x), be.address(w), Og * w.strides[0], ...strides4(w),
      out.ptr, N, C, H, W, O, G, kh, kw, ph, pw, dh, dw, Ho, Wo));
  }
  return convViaColumns(be, x, w, p, Ho, Wo);
}

/** Forward by im2col + be.matmul, in chunks of images so the columns stay within COLS_BUDGET. */
function convViaColumns(be: WasmBackend, x: View, w: View, p: Conv2dParams, Ho: number, Wo: number): Storage {
  const [N, C, H, W] = x.shape;
  const [O, Cg, kh, kw] = w.shape;
  const { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups: G } = p;
  const Og = O / G, Kg = Cg * kh * kw, K = C * kh * kw, L = Ho * Wo;
  const chunk = Math.max(1, Math.min(N, Math.floor(COLS_BUDGET / (K * L))));
  const wc = contiguous(be, w);
  const cols = be.alloc('float32', chunk * K * L);
  const out = be.alloc('float32', N * O * L);
  try {
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nb = Math.min(chunk, N - n0);
      be.k.fn.im2colF32(be.address(x) + n0 * x.strides[0] * 4, ...strides4(x), cols.ptr, K * L, L,
        nb, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo);
      // [nb, G, Og, Kg] (the weight broadcast over images) @ [nb, G, Kg, L] -> [nb, G, Og, L] = [nb, O, Ho, Wo]
      const a = viewOf(wc.view.storage, [nb, G, Og, Kg], [0, Og * Kg, Kg, 1], wc.view.offset);
      const b = viewOf(cols, [nb, G, Kg, L]);
      const y = be.matmul(a, b) as WasmStorage;
      copyFloats(be, out.ptr + n0 * O * L * 4, y.ptr, nb * O * L);
      be.free(y);
    }
  } catch (e) {
    be.free(out);
    throw e;
  } finally {
    be.free(cols);
    wc.release();
  }
  return out;
}

export function conv2dBackwardInput(be: WasmBackend, g: View, w: View, inputShape: readonly number[], p: Conv2dParams): Storage | null {
  if (!isF32(g, w)) return null;
  const [N, C, H, W] = inputShape;
  const [, , Ho, Wo] = g.shape;
  const [O, Cg, kh, kw] = w.shape;
  const { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups: G } = p;
  const size = N * C * H * W;
  if (size === 0 || O * Ho * Wo === 0 || kh * kw === 0) return be.zeros('float32', size);
  const k = be.k.fn;
  // stride 1: dx = conv(dy, flipped weight) with padding (k−1)·d − p, when that is not negative
  const fph = (kh - 1) * dh - ph, fpw = (kw - 1) * dw - pw;
  const flipped = sh === 1 && sw === 1 && fph >= 0 && fpw >= 0
    && Ho + 2 * fph - (kh - 1) * dh === H && Wo + 2 * fpw - (kw - 1) * dw === W;
  // the flipped filter: tap (a, b) of the view is w[.., kh−1−a, kw−1−b]
  const [wsO, wsC, wsA, wsB] = strides4(w);
  const wLast = be.address(w) + ((kh - 1) * wsA + (kw - 1) * wsB) * 4;

  if (isDepthwise(C, O, Cg, G)) {
    if (flipped) {
      return produce(be, size, (out) => k.depthwise2dF32(
        be.address(g), ...strides4(g), wLast, wsO, -wsA, -wsB,
        out.ptr, N, C, Ho, Wo, kh, kw, 1, 1, fph, fpw, dh, dw, H, W));
    }
    return be.withContiguous([g], (gp) => produce(be, size, (out) => k.depthwise2dBackwardInputF32(
      gp, be.address(w), wsO, wsA, wsB, out.ptr, N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)));
  }
  if (flipped) {
    // a conv of dy [N, O, Ho, Wo] with G groups of Og inputs and Cg outputs each; its weight
    // (output r = c, input = o within the group, a, b) is w[g·Og + o, c, kh−1−a, kw−1−b]
    const Og = O / G;
    return produce(be, size, (out) => k.conv2dS1F32(
      be.address(g), ...strides4(g), wLast, Og * wsO, wsC, wsO, -wsA, -wsB,
      out.ptr, N, O, Ho, Wo, C, G, kh, kw, fph, fpw, dh, dw, H, W));
  }
  return backwardInputViaColumns(be, g, w, inputShape, p);
}

/** dx = col2im(wᵀ @ dy): be.matmul into columns [N, G, Kg, L], then the native col2im. */
function backwardInputViaColumns(be: WasmBackend, g: View, w: View, inputShape: readonly number[], p: Conv2dParams): Storage {
  const [N, C, H, W] = inputShape;
  const [, , Ho, Wo] = g.shape;
  const [O, Cg, kh, kw] = w.shape;
  const { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups: G } = p;
  const Og = O / G, Kg = Cg * kh * kw, K = C * kh * kw, L = Ho * Wo;
  const chunk = Math.max(1, Math.min(N, Math.floor(COLS_BUDGET / (K * L))));
  const wc = contiguous(be, w), gc = contiguous(be, g);
  const dx = be.alloc('float32', N * C * H * W);
  try {
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nb = Math.min(chunk, N - n0);
      // wᵀ per group: [nb, G, Kg, Og] (element (k, o) at o·Kg + k) @ dy [nb, G, Og, L] -> [nb, G, Kg, L] = [nb, K, L]
      const a = viewOf(wc.view.storage, [nb, G, Kg, Og], [0, Og * Kg, 1, Kg], wc.view.offset);
      const b = viewOf(gc.view.storage, [nb, G, Og, L], [O * L, Og * L, L, 1], gc.view.offset + n0 * O * L);
      const cols = be.matmul(a, b) as WasmStorage;
      try {
        be.k.fn.col2imF32(cols.ptr, K * L, L, 1, dx.ptr + n0 * C * H * W * 4, nb, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo);
      } finally {
        be.free(cols);
      }
    }
  } catch (e) {
    be.free(dx);
    throw e;
  } finally {
    gc.release();
    wc.release();
  }
  return dx;
}

export function conv2dBackwardWeight(be: WasmBackend, x: View, g: View, weightShape: readonly number[], p: Conv2dParams): Storage | null {
  if (!isF32(x, g)) return null;
  const [N, C, H, W] = x.shape;
  const [, , Ho, Wo] = g.shape;
  const [O, Cg, kh, kw] = weightShape;
  const { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups: G } = p;
  const size = O * Cg * kh * kw;
  if (size === 0 || N * Ho * Wo === 0) return be.zeros('float32', size);

  if (isDepthwise(C, O, Cg, G)) {
    return be.withContiguous([g], (gp) => produce(be, size, (out) => be.k.fn.depthwise2dBackwardWeightF32(
      be.address(x), ...strides4(x), gp, out.ptr, N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)));
  }
  if (sh === 1 && sw === 1) {
    return be.withContiguous([g], (gp) => produce(be, size, (out) => be.k.fn.conv2dBackwardWeightS1F32(
      be.address(x), ...strides4(x), gp, out.ptr, N, C, H, W, O, G, kh, kw, ph, pw, dh, dw, Ho, Wo)));
  }
  const Og = O / G, Kg = Cg * kh * kw, K = C * kh * kw, L = Ho * Wo;
  const chunk = Math.max(1, Math.min(N, Math.floor(COLS_BUDGET / (K * L))));
  const parts: WasmStorage[] = [];
  try {
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nb = Math.min(chunk, N - n0);
      // dy of these images as [G, Og, nb·L] (a permuted copy unless nb = 1 and dy is contiguous)
      const gv = viewOf(g.storage, [G, Og, nb, Ho, Wo], [Og * g.strides[1], g.strides[1], g.strides[0], g.strides[2], g.strides[3]], g.offset + n0 * g.strides[0]);
      const gc = contiguous(be, gv);
      // columns laid out [K, nb, L] = [G, Kg, nb·L]
      const cols = be.alloc('float32', K * nb * L);
      try {
        be.k.fn.im2colF32(be.address(x) + n0 * x.strides[0] * 4, ...strides4(x), cols.ptr, L, nb * L,
          nb, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo);
        const a = viewOf(gc.view.storage, [G, Og, nb * L], [Og * nb * L, nb * L, 1], gc.view.offset);
        const b = viewOf(cols, [G, nb * L, Kg], [Kg * nb * L, 1, nb * L]);
        parts.push(be.matmul(a, b) as WasmStorage);
      } finally {
        be.free(cols);
        gc.release();
      }
    }
    if (parts.length === 1) return parts.pop()!;
    // sum the parts (each [O, Cg, kh, kw]) into one
    const stacked = be.alloc('float32', parts.length * size);
    try {
      parts.forEach((s, i) => copyFloats(be, stacked.ptr + i * size * 4, s.ptr, size));
      return produce(be, size, (out) => be.k.fn.sumPartsF32(stacked.ptr, size, parts.length, out.ptr, size));
    } finally {
      be.free(stacked);
    }
  } finally {
    for (const s of parts) be.free(s);
  }
}

// ---- im2col / col2im ----------------------------------------------------------------------------

export function im2col(be: WasmBackend, x: View, p: WindowParams): Storage | null {
  if (!isF32(x)) return null;
  const [N, C, H, W] = x.shape;
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  const Ho = outLength(H, kh, sh, ph, dh), Wo = outLength(W, kw, sw, pw, dw);
  const K = C * kh * kw, L = Ho * Wo;
  if (N * K * L === 0) return be.zeros('float32', N * K * L);
  return produce(be, N * K * L, (out) => be.k.fn.im2colF32(be.address(x), ...strides4(x), out.ptr, K * L, L,
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo));
}

export function col2im(be: WasmBackend, cols: View, outputSize: Pair, p: WindowParams): Storage | null {
  if (!isF32(cols)) return null;
  const [N, rows] = cols.shape;
  const [H, W] = outputSize;
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  const C = rows / (kh * kw);
  const Ho = outLength(H, kh, sh, ph, dh), Wo = outLength(W, kw, sw, pw, dw);
  const size = N * C * H * W;
  if (size === 0 || Ho <= 0 || Wo <= 0) return be.zeros('float32', size);
  const [cn, cr, cl] = cols.strides;
  return produce(be, size, (out) => be.k.fn.col2imF32(be.address(cols), cn, cr, cl, out.ptr,
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo));
}

// ---- pooling ------------------------------------------------------------------------------------

const poolArgs = (p: Pool2dParams) => [p.kernel[0], p.kernel[1], p.stride[0], p.stride[1], p.padding[0], p.padding[1]];

export function avgPool2d(be: WasmBackend, x: View, p: Pool2dParams): Storage | null {
  if (!isF32(x)) return null;
  const [N, C, H, W] = x.shape;
  const [Ho, Wo] = p.outSize;
  return produce(be, N * C * Ho * Wo, (out) => be.k.fn.avgPool2dF32(be.address(x), ...strides4(x), out.ptr,
    N, C, H, W, Ho, Wo, ...poolArgs(p), p.countIncludePad ? 1 : 0, p.divisorOverride || 0));
}

export function avgPool2dBackward(be: WasmBackend, g: View, inputShape: readonly number[], p: Pool2dParams): Storage | null {
  if (!isF32(g)) return null;
  const [N, C, H, W] = inputShape;
  const [Ho, Wo] = p.outSize;
  return be.withContiguous([g], (gp) => produce(be, N * C * H * W, (out) => be.k.fn.avgPool2dBackwardF32(gp, out.ptr,
    N, C, H, W, Ho, Wo, ...poolArgs(p), p.countIncludePad ? 1 : 0, p.divisorOverride || 0)));
}

/** Values and int32 indices, both freed again if the kernel throws. */
function withIndices(be: WasmBackend, size: number, run: (values: number, indices: number) => void): WithIndices {
  const values = be.alloc('float32', size);
  const indices = be.alloc('int32', size);
  try {
    run(values.ptr, indices.ptr);
  } catch (e) {
    be.free(values);
    be.free(indices);
    throw e;
  }
  return { values, indices };
}

export function maxPool2d(be: WasmBackend, x: View, p: Pool2dParams): WithIndices | null {
  if (!isF32(x)) return null;
  const [N, C, H, W] = x.shape;
  const [Ho, Wo] = p.outSize;
  return withIndices(be, N * C * Ho * Wo, (v, i) => be.k.fn.maxPool2dF32(be.address(x), ...strides4(x), v, i,
    N, C, H, W, Ho, Wo, ...poolArgs(p), p.dilation[0], p.dilation[1]));
}

export function adaptiveAvgPool2d(be: WasmBackend, x: View, outSize: Pair): Storage | null {
  if (!isF32(x)) return null;
  const [N, C, H, W] = x.shape;
  const [Ho, Wo] = outSize;
  return produce(be, N * C * Ho * Wo, (out) => be.k.fn.adaptiveAvgPool2dF32(be.address(x), ...strides4(x), out.ptr, N, C, H, W, Ho, Wo));
}

export function adaptiveAvgPool2dBackward(be: WasmBackend, g: View, inputShape: readonly number[]): Storage | null {
  if (!isF32(g)) return null;
  const [N, C, H, W] = inputShape;
  const [, , Ho, Wo] = g.shape;
  return be.withContiguous([g], (gp) => produce(be, N * C * H * W, (out) => be.k.fn.adaptiveAvgPool2dBackwardF32(gp, out.ptr, N, C, H, W, Ho, Wo)));
}

export function adaptiveMaxPool2d(be: WasmBackend, x: View, outSize: Pair): WithIndices | null {
  if (!isF32(x)) return null;
  const [N, C, H, W] = x.shape;
  const [Ho, Wo] = outSize;
  return withIndices(be, N * C * Ho * Wo, (v, i) => be.k.fn.adaptiveMaxPool2dF32(be.address(x), ...strides4(x), v, i, N, C, H, W, Ho, Wo));
}

// ---- gather / scatter-add -----------------------------------------------------------------------

/** Throws the js kernel's RangeError for the first index outside [0, bound) (nothing allocated yet). */
function checkIndices(be: WasmBackend, op: string, indexPtr: number, count: number, bound: number): void {
  const bad = be.k.fn.firstBadIndexI32(indexPtr, count, bound);
  if (bad >= 0) {
    const k = new Int32Array(be.k.memory.buffer, indexPtr + bad * 4, 1)[0];
    throw new RangeError(`${op}: index ${k} is out of bounds for a dimension of size ${bound}`);
  }
}

export function gather(be: WasmBackend, x: View, axis: number, index: View): Storage | null {
  const width = x.storage.dtype === 'float32' || x.storage.dtype === 'int32';
  if (!width || index.storage.dtype !== 'int32' || index.shape.length === 0) return null;
  const count = numel(index.shape);
  return be.withContiguous([index], (ip) => {
    checkIndices(be, 'gather', ip, count, x.shape[axis]);
    const out = be.alloc(x.storage.dtype, count);
    try {
      be.withI32([x.strides, index.shape], (xs, shape) => be.k.fn.gather32(be.address(x), xs, ip, shape, index.shape.length, axis, out.ptr, count));
    } catch (e) {
      be.free(out);
      throw e;
    }
    return out;
  });
}

export function scatterAdd(be: WasmBackend, shape: readonly number[], axis: number, index: View, src: View): Storage | null {
  if (!isF32(src) || index.storage.dtype !== 'int32' || index.shape.length === 0) return null;
  const count = numel(index.shape), size = numel(shape);
  const strides = viewOf(src.storage, [...shape]).strides;
  return be.withContiguous([index, src], (ip, sp) => {
    checkIndices(be, 'scatter_add', ip, count, shape[axis]);
    const out = be.alloc('float32', size);
    try {
      be.withI32([strides, index.shape], (os, ishape) => be.k.fn.scatterAddF32(out.ptr, size, os, ip, sp, ishape, index.shape.length, axis, count));
    } catch (e) {
      be.free(out);
      throw e;
    }
    return out;
  });
}

// ---- grid_sample ----------------------------------------------------------------------------------

export function gridSample(be: WasmBackend, x: View, grid: View, alignCorners: boolean): Storage | null {
  if (!isF32(x, grid)) return null;
  const [N, C, H, W] = x.shape;
  const [, Ho, Wo] = grid.shape;
  return produce(be, N * C * Ho * Wo, (out) => be.k.fn.gridSampleF32(be.address(x), ...strides4(x), be.address(grid), ...strides4(grid),
    out.ptr, N, C, H, W, Ho, Wo, alignCorners ? 1 : 0));
}

export function gridSampleBackward(be: WasmBackend, g: View, x: View, grid: View, alignCorners: boolean): { dx: Storage; dgrid: Storage } | null {
  if (!isF32(g, x, grid)) return null;
  const [N, C, H, W] = x.shape;
  const [, Ho, Wo] = grid.shape;
  const dx = be.alloc('float32', N * C * H * W);
  const dgrid = be.alloc('float32', N * Ho * Wo * 2);
  try {
    be.k.fn.gridSampleBackwardF32(be.address(g), ...strides4(g), be.address(x), ...strides4(x), be.address(grid), ...strides4(grid),
      dx.ptr, dgrid.ptr, N, C, H, W, Ho, Wo, alignCorners ? 1 : 0);
  } catch (e) {
    be.free(dx);
    be.free(dgrid);
    throw e;
  }
  return { dx, dgrid };
}
