/**
 * Walking a strided view in row-major order. Every js kernel is written as
 * "for each logical element i, read storage[offsets[i]]", which keeps the
 * kernels as plain loops over the math while views stay copy-free.
 */
import type { View } from '../backend.js';

/** The storage offset of every element of a view, in row-major order. */
export function elementOffsets(shape: readonly number[], strides: readonly number[], offset: number): Int32Array {
  let n = 1;
  for (const d of shape) n *= d;
  const out = new Int32Array(n);
  if (n === 0) return out;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let o = offset;
  for (let i = 0; i < n; i++) {
    out[i] = o;
    // odometer: bump the last dim, carry into earlier dims
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      o += strides[d];
      if (idx[d] < shape[d]) break;
      o -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

export function viewOffsets(v: View): Int32Array {
  return elementOffsets(v.shape, v.strides, v.offset);
}

/** The same view with `axes` moved to the end (a free re-ordering of shape and strides). */
export function moveAxesLast(shape: readonly number[], strides: readonly number[], axes: readonly number[]) {
  const keep = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...keep, ...axes];
  return { shape: order.map((i) => shape[i]), strides: order.map((i) => strides[i]) };
}

/** Row-major strides of a shape. */
export function rowMajor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}
