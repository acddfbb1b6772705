// gather and scatter-add along one axis, with an int32 index (the math is in
// src/backends/js/index.ts):
//
//   gather:      out[p] = x[base(p) + index[p]·xs[axis]]             out has the index's shape
//   scatterAdd:  out[base(p) + index[p]·os[axis]] += src[p]           out zero-filled first; duplicates add up
//
// where p runs row-major over the index's shape and base(p) = Σ_{d ≠ axis} p_d·strides[d].
// The index and src are contiguous (the binding copies views first); x is a strided view.
// Bounds are checked by `firstBadIndexI32` before anything is allocated or written, so a
// bad index leaves no partial result.

/** Position of the first index outside [0, bound), or −1 when all are inside. */
export function firstBadIndexI32(index: usize, n: i32, bound: i32): i32 {
  for (let i = 0; i < n; i++) {
    const k = load<i32>(index + (<usize>i << 2));
    if (k < 0 || k >= bound) return i;
  }
  return -1;
}

/**
 * Walk the index's shape row-major; for each position call `body(p, off)` where off is
 * base(p) in elements (the axis coordinate left out). `shape` and `strides` are i32[rank].
 */
@inline function walk(shape: usize, strides: usize, rank: i32, axis: i32, total: i32, kind: i32, x: usize, index: usize, out: usize, src: usize): void {
  if (total <= 0) return;
  const coord = heap.alloc(<usize>max(rank, 1) << 2);
  memory.fill(coord, 0, <usize>max(rank, 1) << 2);
  const last = rank - 1;
  const inner = load<i32>(shape + (<usize>last << 2));
  const innerStride = last == axis ? 0 : load<i32>(strides + (<usize>last << 2));
  const axisStride = load<i32>(strides + (<usize>axis << 2));
  let off = 0; // base(p) of the current innermost run
  let p = 0;
  while (p < total) {
    let o = off;
    if (kind == 0) {
      // gather, 4-byte elements
      for (let j = 0; j < inner; j++, p++) {
        const k = load<i32>(index + (<usize>p << 2));
        store<u32>(out + (<usize>p << 2), load<u32>(x + (<usize>(o + k * axisStride) << 2)));
        o += innerStride;
      }
    } else {
      // scatter-add, float32
      for (let j = 0; j < inner; j++, p++) {
        const k = load<i32>(index + (<usize>p << 2));
        const q = out + (<usize>(o + k * axisStride) << 2);
        store<f32>(q, load<f32>(q) + load<f32>(src + (<usize>p << 2)));
        o += innerStride;
      }
    }
    // carry into the outer dims
    for (let d = last - 1; d >= 0; d--) {
      const sd = d == axis ? 0 : load<i32>(strides + (<usize>d << 2));
      const cd = coord + (<usize>d << 2);
      const v = load<i32>(cd) + 1;
      off += sd;
      if (v < load<i32>(shape + (<usize>d << 2))) { store<i32>(cd, v); break; }
      off -= sd * v;
      store<i32>(cd, 0);
    }
  }
  heap.free(coord);
}

/**
 * out[p] = x[base(p) + index[p]·xStrides[axis]] for 4-byte elements (float32, int32).
 * x is the address of the view's first element; shape is the index's, xStrides the view's.
 */
export function gather32(x: usize, xStrides: usize, index: usize, shape: usize, rank: i32, axis: i32, out: usize, total: i32): void {
  walk(shape, xStrides, rank, axis, total, 0, x, index, out, 0);
}

/**
 * out (contiguous, `outSize` elements, row-major strides outStrides) = 0, then
 * out[base(p) + index[p]·outStrides[axis]] += src[p] in row-major order of p.
 */
export function scatterAddF32(out: usize, outSize: i32, outStrides: usize, index: usize, src: usize, shape: usize, rank: i32, axis: i32, total: i32): void {
  memory.fill(out, 0, <usize>outSize << 2);
  walk(shape, outStrides, rank, axis, total, 1, 0, index, out, src);
}
