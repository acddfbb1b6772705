// Dtype casts over contiguous arrays: float32 ↔ int32 ↔ bool.
//
//   float32 → int32  ECMAScript ToInt32, as the js reference's Int32Array store:
//                    truncate toward zero, wrap modulo 2^32; NaN and ±∞ give 0.
//                    (PyTorch leaves out-of-range casts undefined; in range they agree.)
//   int32 → float32  round to nearest even (exact below 2^24).
//   any → bool       x != 0 (NaN is true), stored as 0 or 1.
//   bool → any       the byte's value (0 or 1).
//
// castRowScalar is the specification (cast1 on each element); castRow does
// four elements at a time and equals it bit for bit.

// Kinds, as numbered in src/backends/wasm/native/elementwise.ts.
const F32_I32 = 0, I32_F32 = 1, F32_B8 = 2, I32_B8 = 3, B8_F32 = 4, B8_I32 = 5;

@inline function srcWidth(kind: i32): usize { return kind == B8_F32 || kind == B8_I32 ? 1 : 4; }
@inline function dstWidth(kind: i32): usize { return kind == F32_B8 || kind == I32_B8 ? 1 : 4; }

const TWO31: f32 = 2147483648.0;
const TWO32: f64 = 4294967296.0;

/** ToInt32(x): truncate, then wrap modulo 2^32 into [−2^31, 2^31); NaN, ±∞ → 0. */
@inline function toInt32(x: f32): i32 {
  if (abs<f32>(x) < TWO31) return <i32>x;
  if (!isFinite<f32>(x)) return 0;
  const d = <f64>x; // |x| ≥ 2^31 is an integer
  return <i32><u32>(d - TWO32 * floor<f64>(d / TWO32));
}

/** One element, as 32 bits (a bool result is 0 or 1). */
@inline function cast1(kind: i32, src: usize): u32 {
  switch (kind) {
    case F32_I32: return <u32>toInt32(load<f32>(src));
    case I32_F32: return reinterpret<u32>(<f32>load<i32>(src));
    case F32_B8: return <u32>(load<f32>(src) != 0);
    case I32_B8: return <u32>(load<i32>(src) != 0);
    case B8_F32: return reinterpret<u32>(<f32>load<u8>(src));
    case B8_I32: return <u32>load<u8>(src);
  }
  return 0;
}

@inline function store1(kind: i32, dst: usize, bits: u32): void {
  if (dstWidth(kind) == 1) store<u8>(dst, <u8>bits);
  else store<u32>(dst, bits);
}

/** dst[i] = cast(src[i]), i < n. Specification of castRow. */
export function castRowScalar(kind: i32, src: usize, dst: usize, n: i32): void {
  const ws = srcWidth(kind), wd = dstWidth(kind);
  for (let i = 0; i < n; i++) store1(kind, dst + <usize>i * wd, cast1(kind, src + <usize>i * ws));
}

/** Four elements of 4 bytes, or four bytes widened to four i32 lanes. */
@inline function load4(kind: i32, p: usize): v128 {
  if (srcWidth(kind) == 4) return v128.load(p);
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
}

/** Four i32 lanes holding 0 or −1 → four bytes 0/1, stored. */
@inline function storeMask4(dst: usize, m: v128): void {
  const m16 = i16x8.narrow_i32x4_s(m, m);
  v128.store32_lane(dst, v128.and(i8x16.narrow_i16x8_s(m16, m16), i8x16.splat(1)), 0);
}

@inline function castLoop(kind: i32, src: usize, dst: usize, n: i32): void {
  const ws = srcWidth(kind), wd = dstWidth(kind);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const s = src + <usize>i * ws, d = dst + <usize>i * wd;
    const x = load4(kind, s);
    if (kind == F32_I32) {
      // in range: one trunc_sat; a lane at or beyond 2^31 (or NaN, ±∞) takes the wrapping path
      if (i32x4.all_true(f32x4.lt(f32x4.abs(x), f32x4.splat(TWO31)))) v128.store(d, i32x4.trunc_sat_f32x4_s(x));
      else for (let j: usize = 0; j < 4; j++) store<u32>(d + (j << 2), cast1(kind, s + (j << 2)));
    } else if (kind == I32_F32) v128.store(d, f32x4.convert_i32x4_s(x));
    else if (kind == F32_B8) storeMask4(d, f32x4.ne(x, f32x4.splat(0)));
    else if (kind == I32_B8) storeMask4(d, v128.not(i32x4.eq(x, i32x4.splat(0))));
    else if (kind == B8_F32) v128.store(d, f32x4.convert_i32x4_s(x));
    else v128.store(d, x); // B8_I32
  }
  for (; i < n; i++) store1(kind, dst + <usize>i * wd, cast1(kind, src + <usize>i * ws));
}

/** dst[i] = cast(src[i]), four at a time; equal to castRowScalar. src and dst are contiguous. */
export function castRow(kind: i32, src: usize, dst: usize, n: i32): void {
  switch (kind) {
    case F32_I32: castLoop(F32_I32, src, dst, n); break;
    case I32_F32: castLoop(I32_F32, src, dst, n); break;
    case F32_B8: castLoop(F32_B8, src, dst, n); break;
    case I32_B8: castLoop(I32_B8, src, dst, n); break;
    case B8_F32: castLoop(B8_F32, src, dst, n); break;
    case B8_I32: castLoop(B8_I32, src, dst, n); break;
  }
}
