// Reductions over contiguous float32 (and int32) arrays: sum, prod, max, min,
// argmax, argmin. This file is also the family's entry point: the softmax and
// normalisation kernels (softmax.ts, norm.ts) are re-exported from here.
//
// The binding (src/backends/wasm/native/reduce.ts) brings every reduction to
// one layout of a contiguous array by merging adjacent dims:
//
//   x seen as [A, B, C, D]; reduce over B and D, keep A and C:
//
//     out[a, c] = ⊕_{b < B, d < D} x[a, b, c, d]
//
// It covers the three layouts that occur:
//   - trailing axes      [A, 1, 1, D]  each output owns one contiguous row of D
//   - an outer axis      [A, B, C, 1]  each input row of C is folded into a row of C outputs
//   - batch-norm style   [1, N, C, HW] per channel c, N contiguous chunks of HW
//
// Two code paths:
//   "rows"    (D > 1, or C == 1): per output, SIMD over each contiguous chunk of D;
//   "columns" (D == 1, C > 1):    per a, SIMD across the C outputs, one input row at a time.
//
// Every kernel has its specification beside it (the same name + "Scalar"): a
// plain loop over the formula, held equal to the SIMD kernel by
// test/wasm-reduce.test.ts: exactly for prod, max, min (up to the sign of a
// zero) and argmax/argmin, which do the same arithmetic; within a stated bound
// for sums, whose order differs.
//
// Summation (sum here, and every sum in softmax.ts and norm.ts): float32
// partial sums that each go through at most 34 roundings, whose totals are
// added in float64:
//   rows:    4 f32x4 accumulators (16 lanes) over blocks of 512 elements (32 terms a lane);
//   columns: rows taken four at a time, (r0 + r1) + (r2 + r3), over blocks of 32 rows.
// The error is then at most about 34·2⁻²⁴·Σ|x| however long the sum, for a
// few percent more work (a plain float32 loop: up to n·2⁻²⁴·Σ|x|; a million
// terms of 0.1 come out 1% high).

export * from "./softmax";
export * from "./norm";

// ---- op codes (must match src/backends/wasm/native/reduce.ts) ----------------------
const SUM = 0;
const PROD = 1;
const MAX = 2;
const MIN = 3;

import { ROW_BLOCK, COL_BLOCK, f32at, addr, hsum64 } from "./simd-util";

// ---- one contiguous row ------------------------------------------------------------

/**
 * Σ p[0..n) of one contiguous row: 16 f32 lanes over blocks of ROW_BLOCK, block
 * totals in f64, scalar tail in f64. (Exported for norm.ts.)
 */
export function reduceSumRowF32(p: usize, n: i32): f64 {
  let total: f64 = 0;
  const bulk = n & ~15;
  let i = 0;
  while (i < bulk) {
    const end = min(i + ROW_BLOCK, bulk);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (; i < end; i += 16) {
      const q = addr(p, i);
      a0 = f32x4.add(a0, v128.load(q));
      a1 = f32x4.add(a1, v128.load(q, 16));
      a2 = f32x4.add(a2, v128.load(q, 32));
      a3 = f32x4.add(a3, v128.load(q, 48));
    }
    total += hsum64(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  }
  for (; i < n; i++) total += <f64>f32at(p, i);
  return total;
}

/**
 * max (or min) of p[0..n), starting from `init`. f32x4.pmax/pmin are one
 * instruction each (f32x4.max/min are about eight on x64, to order ±0 and
 * propagate NaN), but pmax(acc, v) drops a NaN v: NaNs are caught on the side
 * (v ≠ v) and make the result NaN, as f32.max does. A NaN `init` stays NaN.
 */
function extremeRow(p: usize, n: i32, init: f32, isMin: bool): f32 {
  const bulk = n & ~15;
  let a0 = f32x4.splat(init), a1 = a0, a2 = a0, a3 = a0;
  let nan = f32x4.splat(0);
  let i = 0;
  if (isMin) {
    for (; i < bulk; i += 16) {
      const q = addr(p, i);
      const v0 = v128.load(q), v1 = v128.load(q, 16), v2 = v128.load(q, 32), v3 = v128.load(q, 48);
      a0 = f32x4.pmin(a0, v0); a1 = f32x4.pmin(a1, v1); a2 = f32x4.pmin(a2, v2); a3 = f32x4.pmin(a3, v3);
      nan = v128.or(nan, v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3))));
    }
  } else {
    for (; i < bulk; i += 16) {
      const q = addr(p, i);
      const v0 = v128.load(q), v1 = v128.load(q, 16), v2 = v128.load(q, 32), v3 = v128.load(q, 48);
      a0 = f32x4.pmax(a0, v0); a1 = f32x4.pmax(a1, v1); a2 = f32x4.pmax(a2, v2); a3 = f32x4.pmax(a3, v3);
      nan = v128.or(nan, v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3))));
    }
  }
  if (v128.any_true(nan)) return NaN;
  let m = init;
  if (isMin) {
    const v = f32x4.min(f32x4.min(a0, a1), f32x4.min(a2, a3));
    m = min(min(m, min(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1))), min(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
    for (; i < n; i++) m = min(m, f32at(p, i));
  } else {
    const v = f32x4.max(f32x4.max(a0, a1), f32x4.max(a2, a3));
    m = max(max(m, max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1))), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
    for (; i < n; i++) m = max(m, f32at(p, i));
  }
  return m;
}

// ---- rows of C outputs, one input row at a time ------------------------------------

/**
 * out[c] = Σ_{b<B} x[b·C + c] for c < C. Blocks of COL_BLOCK rows are summed in
 * float32 into `out`, rows four at a time ((r0 + r1) + (r2 + r3)); with more
 * than one block, each block is added to a float64 row (scratch) and `out` is
 * its rounding at the end.
 */
function sumColumns(x: usize, out: usize, B: i32, C: i32): void {
  const bulk = C & ~3;
  const rowBytes = <usize>C << 2;
  const acc64: usize = B > COL_BLOCK ? heap.alloc(<usize>C << 3) : 0;
  if (acc64) memory.fill(acc64, 0, <usize>C << 3);
  for (let b0 = 0; b0 < B; b0 += COL_BLOCK) {
    const b1 = min(b0 + COL_BLOCK, B);
    memory.fill(out, 0, rowBytes);
    let b = b0;
    for (; b + 4 <= b1; b += 4) {
      const r0 = x + <usize>b * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
      let c = 0;
      for (; c < bulk; c += 4) {
        const o = <usize>c << 2;
        const s = f32x4.add(f32x4.add(v128.load(r0 + o), v128.load(r1 + o)), f32x4.add(v128.load(r2 + o), v128.load(r3 + o)));
        v128.store(out + o, f32x4.add(v128.load(out + o), s));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        store<f32>(out + o, load<f32>(out + o) + ((load<f32>(r0 + o) + load<f32>(r1 + o)) + (load<f32>(r2 + o) + load<f32>(r3 + o))));
      }
    }
    for (; b < b1; b++) {
      const r = x + <usize>b * rowBytes;
      let c = 0;
      for (; c < bulk; c += 4) {
        const o = <usize>c << 2;
        v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(r + o)));
      }
      for (; c < C; c++) store<f32>(addr(out, c), f32at(out, c) + f32at(r, c));
    }
    if (acc64) addToF64(acc64, out, C);
  }
  if (acc64) {
    for (let c = 0; c < C; c++) store<f32>(addr(out, c), <f32>load<f64>(acc64 + (<usize>c << 3)));
    heap.free(acc64);
  }
}

/** acc[c] += f64(v[c]) for c < C (acc: float64, v: float32). */
function addToF64(acc: usize, v: usize, C: i32): void {
  const bulk = C & ~3;
  let c = 0;
  for (; c < bulk; c += 4) {
    const x = v128.load(addr(v, c));
    const p = acc + (<usize>c << 3);
    v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(x)));
    v128.store(p, f64x2.add(v128.load(p, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1))), 16);
  }
  for (; c < C; c++) {
    const p = acc + (<usize>c << 3);
    store<f64>(p, load<f64>(p) + <f64>f32at(v, c));
  }
}

/**
 * out[c] = max/min_{b<B} x[b·C + c]: out starts as row 0, then each row is
 * folded in with pmax/pmin; a NaN v is taken explicitly (v ≠ v), and a NaN in
 * out stays, since pmax(NaN, v) = NaN.
 */
function extremeColumns(x: usize, out: usize, B: i32, C: i32, isMin: bool): void {
  const bulk = C & ~3;
  const rowBytes = <usize>C << 2;
  memory.copy(out, x, rowBytes);
  for (let b = 1; b < B; b++) {
    const r = x + <usize>b * rowBytes;
    let c = 0;
    if (isMin) {
      for (; c < bulk; c += 4) {
        const o = <usize>c << 2, v = v128.load(r + o);
        v128.store(out + o, v128.bitselect(v, f32x4.pmin(v128.load(out + o), v), f32x4.ne(v, v)));
      }
      for (; c < C; c++) store<f32>(addr(out, c), min(f32at(out, c), f32at(r, c)));
    } else {
      for (; c < bulk; c += 4) {
        const o = <usize>c << 2, v = v128.load(r + o);
        v128.store(out + o, v128.bitselect(v, f32x4.pmax(v128.load(out + o), v), f32x4.ne(v, v)));
      }
      for (; c < C; c++) store<f32>(addr(out, c), max(f32at(out, c), f32at(r, c)));
    }
  }
}

// ---- the kernels ---------------------------------------------------------------------

/**
 * Specification: out[a, c] = ⊕_{b, d} x[a, b, c, d], one plain loop per output.
 * sum and prod accumulate in float64 (the exact math, rounded once at the end),
 * max/min with f64.max/min, which return NaN when either side is NaN.
 */
export function reduceF32Scalar(op: i32, x: usize, out: usize, A: i32, B: i32, C: i32, D: i32): void {
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) {
      let acc: f64 = op == SUM ? 0 : op == PROD ? 1 : op == MAX ? -Infinity : Infinity;
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) {
          const v = <f64>f32at(x, ((a * B + b) * C + c) * D + d);
          if (op == SUM) acc += v;
          else if (op == PROD) acc *= v;
          else if (op == MAX) acc = max(acc, v);
          else acc = min(acc, v);
        }
      }
      store<f32>(addr(out, a * C + c), <f32>acc);
    }
  }
}

/**
 * out[a, c] = ⊕_{b, d} x[a, b, c, d], SIMD.
 *   sum:      sumRow / sumColumns (blocked, see the top of this file);
 *   max, min: f32x4.pmax/pmin with NaN caught on the side: exact, equal to the
 *             specification up to the sign of a zero result (pmax keeps the first of −0, +0);
 *   prod:     float64 in the specification's order (not a hot op; equal to the specification).
 */
export function reduceF32(op: i32, x: usize, out: usize, A: i32, B: i32, C: i32, D: i32): void {
  if (op == PROD) { reduceF32Scalar(op, x, out, A, B, C, D); return; }
  if (D > 1 || C == 1) {
    // rows: each output folds B contiguous chunks of D
    for (let a = 0; a < A; a++) {
      for (let c = 0; c < C; c++) {
        let chunk = addr(x, (a * B * C + c) * D);
        const step = <usize>C * <usize>D << 2;
        if (op == SUM) {
          let acc: f64 = 0;
          for (let b = 0; b < B; b++, chunk += step) acc += reduceSumRowF32(chunk, D);
          store<f32>(addr(out, a * C + c), <f32>acc);
        } else {
          const isMin = op == MIN;
          let acc: f32 = isMin ? Infinity : -Infinity;
          for (let b = 0; b < B; b++, chunk += step) acc = extremeRow(chunk, D, acc, isMin);
          store<f32>(addr(out, a * C + c), acc);
        }
      }
    }
    return;
  }
  // columns: D == 1, C > 1
  for (let a = 0; a < A; a++) {
    const xa = addr(x, a * B * C), oa = addr(out, a * C);
    if (op == SUM) sumColumns(xa, oa, B, C);
    else extremeColumns(xa, oa, B, C, op == MIN);
  }
}

/**
 * int32 sum, max and min (sums of bool masks, index arithmetic): exact, wrapping
 * modulo 2³² like the reference's Int32Array store. Plain loops in the
 * specification's order; prod is left to the reference path.
 */
export function reduceI32(op: i32, x: usize, out: usize, A: i32, B: i32, C: i32, D: i32): void {
  if (D == 1 && C > 1) {
    // columns: fold each input row into the row of C outputs
    for (let a = 0; a < A; a++) {
      const oa = addr(out, a * C);
      memory.copy(oa, addr(x, a * B * C), <usize>C << 2);
      for (let b = 1; b < B; b++) {
        const r = addr(x, (a * B + b) * C);
        for (let c = 0; c < C; c++) {
          const o = load<i32>(addr(oa, c)), v = load<i32>(addr(r, c));
          store<i32>(addr(oa, c), op == SUM ? o + v : op == MAX ? max(o, v) : min(o, v));
        }
      }
    }
    return;
  }
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) {
      let acc: i32 = op == SUM ? 0 : op == MAX ? i32.MIN_VALUE : i32.MAX_VALUE;
      for (let b = 0; b < B; b++) {
        const row = addr(x, ((a * B + b) * C + c) * D);
        for (let d = 0; d < D; d++) {
          const v = load<i32>(addr(row, d));
          acc = op == SUM ? acc + v : op == MAX ? max(acc, v) : min(acc, v);
        }
      }
      store<i32>(addr(out, a * C + c), acc);
    }
  }
}

// ---- argmax / argmin ------------------------------------------------------------------
//
// x seen as [A, R, C], the index along R of the first max (min) for each (a, c).
// Like the reference: ties keep the first index, and a NaN beats everything
// (the first NaN wins).

/** Does (v at index i) beat the current best (bv at bi)? Indices may come in any order. */
@inline function beats(v: f32, i: i32, bv: f32, bi: i32, isMin: bool): bool {
  const vNaN = v != v, bNaN = bv != bv;
  if (vNaN || bNaN) return vNaN && (!bNaN || i < bi);
  if (v == bv) return i < bi;
  return isMin ? v < bv : v > bv;
}

/** Specification: the reference's loop, one output at a time. */
export function argReduceF32Scalar(isMin: bool, x: usize, out: usize, A: i32, R: i32, C: i32): void {
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) {
      const base = a * R * C + c;
      let best = 0;
      let bv = f32at(x, base);
      for (let j = 1; j < R && bv == bv; j++) {
        const v = f32at(x, base + j * C);
        if (v != v || (isMin ? v < bv : v > bv)) { best = j; bv = v; }
      }
      store<i32>(addr(out, a * C + c), best);
    }
  }
}

/** The lane update: take v where it is strictly better, or NaN over a non-NaN best. */
@inline function takeMask(v: v128, best: v128, isMin: bool): v128 {
  const better = isMin ? f32x4.lt(v, best) : f32x4.gt(v, best);
  return v128.or(better, v128.and(f32x4.ne(v, v), f32x4.eq(best, best)));
}

// The best (value, index) while merging lanes.
let ARG_V: f32 = 0;
let ARG_I: i32 = 0;

@inline function consider(v: f32, j: i32, isMin: bool): void {
  if (beats(v, j, ARG_V, ARG_I, isMin)) { ARG_V = v; ARG_I = j; }
}

/** Merge the 4 lanes of (best, idx) into (ARG_V, ARG_I) by the `beats` rule. */
@inline function mergeLanes(best: v128, idx: v128, isMin: bool): void {
  consider(f32x4.extract_lane(best, 0), i32x4.extract_lane(idx, 0), isMin);
  consider(f32x4.extract_lane(best, 1), i32x4.extract_lane(idx, 1), isMin);
  consider(f32x4.extract_lane(best, 2), i32x4.extract_lane(idx, 2), isMin);
  consider(f32x4.extract_lane(best, 3), i32x4.extract_lane(idx, 3), isMin);
}

/**
 * arg-extreme of one contiguous row. Two sets of 4 lanes (elements 8k..8k+3 and
 * 8k+4..8k+7) each keep their first best: best = pmax(best, v) (one instruction,
 * the only loop-carried latency) and idx takes the element's index where
 * best < v strictly, so ties keep the earlier index. The 8 lanes are then merged
 * (ties to the smallest index) and the tail scanned. NaN is caught on the side;
 * a row that has one is rescanned by the reference loop (the first NaN wins).
 */
function argRow(p: usize, n: i32, isMin: bool): i32 {
  const bulk = n & ~7;
  if (bulk < 16) return argRowScalar(p, n, isMin);
  let b0 = v128.load(p), b1 = v128.load(p, 16);
  let i0 = i32x4(0, 1, 2, 3), i1 = i32x4(4, 5, 6, 7);
  let c0 = i32x4(8, 9, 10, 11), c1 = i32x4(12, 13, 14, 15);
  const eight = i32x4.splat(8);
  let nan = v128.or(f32x4.ne(b0, b0), f32x4.ne(b1, b1));
  let i = 8;
  if (isMin) {
    for (; i < bulk; i += 8) {
      const q = addr(p, i);
      const v0 = v128.load(q), v1 = v128.load(q, 16);
      i0 = v128.bitselect(c0, i0, f32x4.lt(v0, b0)); b0 = f32x4.pmin(b0, v0);
      i1 = v128.bitselect(c1, i1, f32x4.lt(v1, b1)); b1 = f32x4.pmin(b1, v1);
      nan = v128.or(nan, v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)));
      c0 = i32x4.add(c0, eight); c1 = i32x4.add(c1, eight);
    }
  } else {
    for (; i < bulk; i += 8) {
      const q = addr(p, i);
      const v0 = v128.load(q), v1 = v128.load(q, 16);
      i0 = v128.bitselect(c0, i0, f32x4.gt(v0, b0)); b0 = f32x4.pmax(b0, v0);
      i1 = v128.bitselect(c1, i1, f32x4.gt(v1, b1)); b1 = f32x4.pmax(b1, v1);
      nan = v128.or(nan, v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)));
      c0 = i32x4.add(c0, eight); c1 = i32x4.add(c1, eight);
    }
  }
  if (v128.any_true(nan)) return argRowScalar(p, n, isMin);
  ARG_V = f32x4.extract_lane(b0, 0); ARG_I = i32x4.extract_lane(i0, 0);
  mergeLanes(b0, i0, isMin);
  mergeLanes(b1, i1, isMin);
  let bv = ARG_V, bi = ARG_I;
  // the tail comes after every lane's index: a strict comparison keeps the first best
  for (; i < n && bv == bv; i++) {
    const v = f32at(p, i);
    if (v != v || (isMin ? v < bv : v > bv)) { bv = v; bi = i; }
  }
  return bi;
}

/** The reference loop on one row. */
function argRowScalar(p: usize, n: i32, isMin: bool): i32 {
  let bi = 0;
  let bv = load<f32>(p);
  for (let i = 1; i < n && bv == bv; i++) {
    const v = f32at(p, i);
    if (v != v || (isMin ? v < bv : v > bv)) { bv = v; bi = i; }
  }
  return bi;
}

/**
 * argmax (isMin = false) or argmin over R, SIMD:
 *   C == 1: along each contiguous row (argRow);
 *   C > 1:  across the C outputs, one input row at a time: a best-value row
 *           (scratch) and the index row (the output) are updated lane-wise.
 * Equal to the specification.
 */
export function argReduceF32(isMin: bool, x: usize, out: usize, A: i32, R: i32, C: i32): void {
  if (C == 1) {
    for (let a = 0; a < A; a++) store<i32>(addr(out, a), argRow(addr(x, a * R), R, isMin));
    return;
  }
  const rowBytes = <usize>C << 2;
  const bestRow = heap.alloc(rowBytes);
  const bulk = C & ~3;
  for (let a = 0; a < A; a++) {
    const xa = addr(x, a * R * C), oa = addr(out, a * C);
    memory.copy(bestRow, xa, rowBytes);
    memory.fill(oa, 0, rowBytes);
    for (let r = 1; r < R; r++) {
      const row = xa + <usize>r * rowBytes;
      const rv = i32x4.splat(r);
      let c = 0;
      for (; c < bulk; c += 4) {
        const o = <usize>c << 2;
        const v = v128.load(row + o), best = v128.load(bestRow + o);
        const take = takeMask(v, best, isMin);
        v128.store(bestRow + o, v128.bitselect(v, best, take));
        v128.store(oa + o, v128.bitselect(rv, v128.load(oa + o), take));
      }
      for (; c < C; c++) {
        const v = f32at(row, c), bv = f32at(bestRow, c);
        if ((v != v && bv == bv) || (isMin ? v < bv : v > bv)) { store<f32>(addr(bestRow, c), v); store<i32>(addr(oa, c), r); }
      }
    }
  }
  heap.free(bestRow);
}
