/**
 * Pooling over H, W of x [N,C,H,W], as plain loops (PyTorch's CPU semantics).
 *
 * For output pixel (i, j) the window starts at (i·sh − ph, j·sw − pw).
 *
 *   avg:  y[i,j] = Σ_{(h,w) ∈ window ∩ input} x[h,w] / divisor
 *         the window [h0, h0 + kh) is first clipped to the padded input [−ph, H + ph):
 *           divisor = divisorOverride                          if given
 *                   = |window ∩ padded input|                   if countIncludePad
 *                   = |window ∩ input|                          otherwise
 *         (with ceil_mode the last window may hang past H + ph; that part never counts)
 *         backward: dx[h,w] += g[i,j] / divisor for every (h,w) ∈ window ∩ input
 *
 *   max:  y[i,j] = max_{a,b} x[h0 + a·dh, w0 + b·dw]   over taps inside the input
 *         (padding is −inf, so it never wins); idx[i,j] = h·W + w of the first
 *         maximum in row-major order. A NaN wins over everything and a later NaN
 *         replaces an earlier one (PyTorch's `val > max || isnan(val)`).
 *         backward: dx[idx[i,j]] += g[i,j] (a scatter-add, done by the op).
 *
 *   adaptive (output Ho × Wo): bin i covers rows [floor(i·H/Ho), ceil((i+1)·H/Ho)),
 *         likewise for columns; avg = mean over the bin, max = max with its flat index.
 *         backward (avg): dx[h,w] += g[i,j] / |bin(i,j)| over every bin holding (h,w).
 *
 * Inputs are strided views; outputs are fresh contiguous arrays of the input's dtype.
 */
import { arrayFor, type TypedArray } from '../../dtype.js';
import type { Pair, Pool2dParams, View } from '../backend.js';
import { dataOf } from './storage.js';

/** Shape and strides of a 4-D view, named. */
function dims4(v: View) {
  const [N, C, H, W] = v.shape;
  const [sn, sc, sh, sw] = v.strides;
  return { N, C, H, W, sn, sc, sh, sw, off: v.offset, data: dataOf(v) };
}

/** Calls visit(n, c, i, j, o) for every output pixel of an [N,C,Ho,Wo] result, in row-major order: o = ((n·C + c)·Ho + i)·Wo + j. */
function forEachOutput(
  N: number, C: number, Ho: number, Wo: number,
  visit: (n: number, c: number, i: number, j: number, o: number) => void,
): void {
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++, o++) visit(n, c, i, j, o);
      }
    }
  }
}

/** Σ x[h, w] over rows [h0, h1) and columns [w0, w1) of the strided plane starting at base. */
function windowSum(data: TypedArray, base: number, sh: number, sw: number, h0: number, h1: number, w0: number, w1: number): number {
  let s = 0;
  for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += data[base + h * sh + w * sw];
  return s;
}

/** dx[h, w] += share over rows [h0, h1) and columns [w0, w1) of the contiguous H×W plane starting at plane. */
function spread(dx: TypedArray, plane: number, W: number, h0: number, h1: number, w0: number, w1: number, share: number): void {
  for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) dx[plane + h * W + w] += share;
}

/** The clipped window of avg pool output (i, j) and its divisor (PyTorch's avg_pool2d rule). */
function avgWindow(i: number, j: number, H: number, W: number, p: Pool2dParams) {
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding;
  let h0 = i * sh - ph, w0 = j * sw - pw;
  let h1 = Math.min(h0 + kh, H + ph), w1 = Math.min(w0 + kw, W + pw);
  const padded = (h1 - h0) * (w1 - w0); // window ∩ padded input
  h0 = Math.max(h0, 0); w0 = Math.max(w0, 0);
  h1 = Math.min(h1, H); w1 = Math.min(w1, W);
  const divisor = p.divisorOverride ? p.divisorOverride
    : p.countIncludePad ? padded
    : (h1 - h0) * (w1 - w0);
  return { h0, h1, w0, w1, divisor };
}

export function avgPool2d(x: View, p: Pool2dParams): TypedArray {
  const { N, C, H, W, sn, sc, sh, sw, off, data } = dims4(x);
  const [Ho, Wo] = p.outSize;
  const out = arrayFor(x.storage.dtype, N * C * Ho * Wo);
  forEachOutput(N, C, Ho, Wo, (n, c, i, j, o) => {
    const { h0, h1, w0, w1, divisor } = avgWindow(i, j, H, W, p);
    if (h0 >= h1 || w0 >= w1) { out[o] = 0; return; } // a window lying wholly in the padding
    out[o] = windowSum(data, off + n * sn + c * sc, sh, sw, h0, h1, w0, w1) / divisor;
  });
  return out;
}

export function avgPool2dBackward(g: View, inputShape: readonly number[], p: Pool2dParams): TypedArray {
  const [N, C, H, W] = inputShape;
  const [Ho, Wo] = p.outSize;
  const G = dataOf(g);
  const [gn, gc, gh, gw] = g.strides;
  const dx = arrayFor(g.storage.dtype, N * C * H * W);
  forEachOutput(N, C, Ho, Wo, (n, c, i, j) => {
    const { h0, h1, w0, w1, divisor } = avgWindow(i, j, H, W, p);
    const share = G[g.offset + n * gn + c * gc + i * gh + j * gw] / divisor;
    spread(dx, (n * C + c) * H * W, W, h0, h1, w0, w1, share);
  });
  return dx;
}

export function maxPool2d(x: View, p: Pool2dParams): { values: TypedArray; indices: Int32Array } {
  const { N, C, H, W, sn, sc, sh, sw, off, data } = dims4(x);
  const [Ho, Wo] = p.outSize;
  const [kh, kw] = p.kernel, [strH, strW] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  const values = arrayFor(x.storage.dtype, N * C * Ho * Wo);
  const indices = new Int32Array(N * C * Ho * Wo);
  forEachOutput(N, C, Ho, Wo, (n, c, i, j, o) => {
    const base = off + n * sn + c * sc;
    let best = -Infinity, bestIdx = -1;
    for (let a = 0; a < kh; a++) {
      const h = i * strH - ph + a * dh;
      if (h < 0 || h >= H) continue; // padding row: −inf
      for (let b = 0; b < kw; b++) {
        const w = j * strW - pw + b * dw;
        if (w < 0 || w >= W) continue;
        const v = data[base + h * sh + w * sw];
        if (bestIdx < 0) bestIdx = h * W + w; // an all −inf window points at its first real tap
        if (v > best || Number.isNaN(v)) { best = v; bestIdx = h * W + w; }
      }
    }
    values[o] = best;
    indices[o] = bestIdx;
  });
  return { values, indices };
}

/** PyTorch's adaptive bin [start, end) of output index i when n inputs pool to m outputs. */
function bin(i: number, n: number, m: number): [number, number] {
  return [Math.floor((i * n) / m), Math.ceil(((i + 1) * n) / m)];
}

/** The adaptive bin of output (i, j): rows [h0, h1) of H pooled to Ho, columns [w0, w1) of W pooled to Wo. */
function adaptiveWindow(i: number, j: number, H: number, W: number, Ho: number, Wo: number) {
  const [h0, h1] = bin(i, H, Ho), [w0, w1] = bin(j, W, Wo);
  return { h0, h1, w0, w1 };
}

export function adaptiveAvgPool2d(x: View, outSize: Pair): TypedArray {
  const { N, C, H, W, sn, sc, sh, sw, off, data } = dims4(x);
  const [Ho, Wo] = outSize;
  const out = arrayFor(x.storage.dtype, N * C * Ho * Wo);
  forEachOutput(N, C, Ho, Wo, (n, c, i, j, o) => {
    const { h0, h1, w0, w1 } = adaptiveWindow(i, j, H, W, Ho, Wo);
    out[o] = windowSum(data, off + n * sn + c * sc, sh, sw, h0, h1, w0, w1) / ((h1 - h0) * (w1 - w0));
  });
  return out;
}

export function adaptiveAvgPool2dBackward(g: View, inputShape: readonly number[]): TypedArray {
  const [N, C, H, W] = inputShape;
  const [, , Ho, Wo] = g.shape;
  const G = dataOf(g);
  const [gn, gc, gh, gw] = g.strides;
  const dx = arrayFor(g.storage.dtype, N * C * H * W);
  forEachOutput(N, C, Ho, Wo, (n, c, i, j) => {
    const { h0, h1, w0, w1 } = adaptiveWindow(i, j, H, W, Ho, Wo);
    const share = G[g.offset + n * gn + c * gc + i * gh + j * gw] / ((h1 - h0) * (w1 - w0));
    spread(dx, (n * C + c) * H * W, W, h0, h1, w0, w1, share);
  });
  return dx;
}

export function adaptiveMaxPool2d(x: View, outSize: Pair): { values: TypedArray; indices: Int32Array } {
  const { N, C, H, W, sn, sc, sh, sw, off, data } = dims4(x);
  const [Ho, Wo] = outSize;
  const values = arrayFor(x.storage.dtype, N * C * Ho * Wo);
  const indices = new Int32Array(N * C * Ho * Wo);
  forEachOutput(N, C, Ho, Wo, (n, c, i, j, o) => {
    const { h0, h1, w0, w1 } = adaptiveWindow(i, j, H, W, Ho, Wo);
    const base = off + n * sn + c * sc;
    let best = -Infinity, bestIdx = h0 * W + w0;
    for (let h = h0; h < h1; h++) {
      for (let w = w0; w < w1; w++) {
        const v = data[base + h * sh + w * sw];
        if (v > best || Number.isNaN(v)) { best = v; bestIdx = h * W + w; }
      }
    }
    values[o] = best;
    indices[o] = bestIdx;
  });
  return { values, indices };
}
