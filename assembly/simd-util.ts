// Helpers shared by the reduction, softmax and normalisation kernels
// (reduce.ts, softmax.ts, norm.ts): the summation block sizes (see the
// header of reduce.ts), float32 addressing, and the float64 horizontal sum.

/** Elements per float64 flush in row sums: 16 lanes × 32 terms. */
export const ROW_BLOCK = 512;
/** Rows per float64 flush in column sums. */
export const COL_BLOCK = 32;

@inline export function f32at(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
@inline export function addr(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** (l0 + l1) + (l2 + l3) in float64. */
@inline export function hsum64(v: v128): f64 {
  return (<f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1)) + (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
}
