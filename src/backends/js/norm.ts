/**
 * The normalisation core shared by layer, group, instance and batch norm.
 *
 * For each group G of elements (the elements that share every index outside
 * `axes`), with n = |G|:
 *
 *   mean = (1/n) Σ_{i∈G} x_i
 *   var  = (1/n) Σ_{i∈G} (x_i − mean)²          (biased: divides by n, not n − 1)
 *   rstd = 1 / sqrt(var + eps)                    (eps inside the square root)
 *   y_i  = (x_i − mean) · rstd
 *
 * Backward (y depends on x directly and through mean and rstd):
 *
 *   dx_i = rstd · (g_i − mean_G(g) − y_i · mean_G(g ⊙ y))
 *
 * Both kernels take strided views, move the reduced axes last (a free re-ordering
 * of shape and strides), and then walk one group at a time: the group's
 * elements are `inner` consecutive entries of the offset table. The mean and
 * variance are two passes over the group (mean first, then squared deviations
 * from it), accumulated in double precision, so a float32 group with a large
 * mean and a small spread keeps its variance (the one-pass Σx² − n·mean² loses it).
 *
 * Outputs are fresh contiguous arrays of the input's dtype: y in x's shape,
 * mean and rstd in the keepdim shape (x's shape with `axes` set to 1).
 */
import { arrayFor, type DType, type TypedArray } from '../../dtype.js';
import type { View } from '../backend.js';
import { dataOf } from './storage.js';
import { elementOffsets, moveAxesLast, rowMajor, viewOffsets } from './strided.js';

/**
 * A view's offsets with `axes` moved last: group r owns entries [r·inner, (r+1)·inner).
 * `out` gives, in the same order, the position of each element in a contiguous array of x's shape.
 */
function groups(v: View, axes: readonly number[]) {
  const moved = moveAxesLast(v.shape, v.strides, axes);
  const off = elementOffsets(moved.shape, moved.strides, v.offset);
  const outMoved = moveAxesLast(v.shape, rowMajor(v.shape), axes);
  const out = elementOffsets(outMoved.shape, outMoved.strides, 0);
  const inner = axes.reduce((n, a) => n * v.shape[a], 1);
  const outer = v.shape.reduce((n, d, i) => (axes.includes(i) ? n : n * d), 1);
  return { off, out, inner, outer };
}

export function normalize(x: View, axes: readonly number[], eps: number): { y: TypedArray; mean: TypedArray; rstd: TypedArray } {
  const dtype: DType = x.storage.dtype;
  const X = dataOf(x);
  const { off, out, inner, outer } = groups(x, axes);
  const y = arrayFor(dtype, off.length);
  const mean = arrayFor(dtype, outer);
  const rstd = arrayFor(dtype, outer);
  for (let r = 0; r < outer; r++) {
    const base = r * inner;
    // pass 1: mean = Σ x / n
    let sum = 0;
    for (let j = 0; j < inner; j++) sum += X[off[base + j]];
    const m = sum / inner;
    // pass 2: biased var = Σ (x − mean)² / n
    let sq = 0;
    for (let j = 0; j < inner; j++) {
      const d = X[off[base + j]] - m;
      sq += d * d;
    }
    const s = 1 / Math.sqrt(sq / inner + eps);
    // y = (x − mean) · rstd
    for (let j = 0; j < inner; j++) y[out[base + j]] = (X[off[base + j]] - m) * s;
    mean[r] = m;
    rstd[r] = s;
  }
  return { y, mean, rstd };
}

export function normalizeBackward(g: View, y: View, rstd: View, axes: readonly number[]): TypedArray {
  const G = dataOf(g), Y = dataOf(y), R = dataOf(rstd);
  const gg = groups(g, axes);
  const gy = groups(y, axes);
  // rstd has the keepdim shape: its row-major order is the group order r
  const or = viewOffsets(rstd);
  const { inner, outer, out } = gg;
  const dx = arrayFor(g.storage.dtype, gg.off.length);
  for (let r = 0; r < outer; r++) {
    const base = r * inner;
    // mean(g) and mean(g ⊙ y) over the group
    let sg = 0, sgy = 0;
    for (let j = 0; j < inner; j++) {
      const gj = G[gg.off[base + j]];
      sg += gj;
      sgy += gj * Y[gy.off[base + j]];
    }
    const mg = sg / inner, mgy = sgy / inner;
    const s = R[or[r]];
    // dx = rstd · (g − mean(g) − y · mean(g ⊙ y))
    for (let j = 0; j < inner; j++) {
      dx[out[base + j]] = s * (G[gg.off[base + j]] - mg - Y[gy.off[base + j]] * mgy);
    }
  }
  return dx;
}
