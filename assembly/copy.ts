// Strided copy: materialise a view (any shape, strides in elements, possibly
// zero or negative) into contiguous row-major memory. Every native kernel that
// wants contiguous input goes through this when the input is a view.
//
//   dst[i] = src[offset(i)],  offset(i) = Σ_d idx_d(i) · strides[d]   (in elements)
//
// shape and strides are i32 arrays of length `rank` at the given addresses.
// The walk is an odometer over the dims; the innermost dim runs as a tight loop.

@inline function walk(src: usize, dst: usize, rank: i32, shape: usize, strides: usize, n: i32, width: i32): void {
  if (n <= 0) return;
  if (rank == 0) { memory.copy(dst, src, <usize>width); return; }
  const last = rank - 1;
  const inner = load<i32>(shape + (<usize>last << 2));
  const innerStride = load<i32>(strides + (<usize>last << 2));
  // idx lives in a small stack of counters after the strides array is read
  let idx = new StaticArray<i32>(rank);
  let off: isize = 0; // element offset of the current row start
  let written = 0;
  while (written < n) {
    // one innermost row
    let o = off;
    if (width == 4) {
      if (innerStride == 1) memory.copy(dst + (<usize>written << 2), src + (<usize>o << 2), <usize>inner << 2);
      else for (let j = 0; j < inner; j++) { store<u32>(dst + (<usize>(written + j) << 2), load<u32>(src + (<usize>o << 2))); o += innerStride; }
    } else if (width == 8) {
      for (let j = 0; j < inner; j++) { store<u64>(dst + (<usize>(written + j) << 3), load<u64>(src + (<usize>o << 3))); o += innerStride; }
    } else {
      for (let j = 0; j < inner; j++) { store<u8>(dst + <usize>(written + j), load<u8>(src + <usize>o)); o += innerStride; }
    }
    written += inner;
    // carry into the outer dims
    for (let d = last - 1; d >= 0; d--) {
      const sd = load<i32>(strides + (<usize>d << 2));
      idx[d]++;
      off += sd;
      if (idx[d] < load<i32>(shape + (<usize>d << 2))) break;
      off -= <isize>sd * <isize>idx[d];
      idx[d] = 0;
    }
  }
}

/** 4-byte elements (float32, int32). `src` is the address of the view's first element. */
export function copyStrided32(src: usize, dst: usize, rank: i32, shape: usize, strides: usize, n: i32): void {
  walk(src, dst, rank, shape, strides, n, 4);
}

/** 8-byte elements (float64). */
export function copyStrided64(src: usize, dst: usize, rank: i32, shape: usize, strides: usize, n: i32): void {
  walk(src, dst, rank, shape, strides, n, 8);
}

/** 1-byte elements (bool). */
export function copyStrided8(src: usize, dst: usize, rank: i32, shape: usize, strides: usize, n: i32): void {
  walk(src, dst, rank, shape, strides, n, 1);
}
