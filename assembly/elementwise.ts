// Elementwise kernels: unary maps, binary ops with broadcasting, where, and
// the strided write (assign). Casts live in cast.ts.
//
// Conventions
// - Pointers are byte addresses in linear memory. Counts and strides are in
//   elements; a stride may be 0 (a broadcast operand: never materialised) or
//   negative. Outputs are contiguous, except assign's destination.
// - Every kernel has its specification beside it, named "…Scalar": a plain
//   loop applying the one-element formula (unary1, binary1, ...). The SIMD
//   kernel applies the same arithmetic to four lanes at once (unary4,
//   binary4, ...), so the two are equal bit for bit (NaN payloads aside);
//   test/wasm-elementwise.test.ts holds them equal on odd sizes.
// - Broadcasting arrives as strides. The JS binding merges the dims that all
//   operands walk alike (coalescing), so the common cases reach a kernel as
//   one row: both operands contiguous (stride 1, 1) or one a broadcast scalar
//   (stride 1, 0). Anything else walks an N-d odometer over the outer dims
//   (…ND kernels) whose innermost dim is one row: [M,N] op [1,N] is M rows of
//   (1, 1) and [M,N] op [M,1] is M rows of (1, 0), each a SIMD loop.
//
// Float32 math. Each function is written twice, f32 for one lane and f32x4
// for four, with the same operations in the same order. Polynomial
// coefficients are minimax fits made for this file (weighted Lawson
// iteration against mpmath, then rounded to float32/float64). "Max error" is
// in ulp of the float32 result, against float64 Math.* (and an accurate
// erfc) over 2^17 random float32 bit patterns and dense samples of
// [−20, 20]: test/wasm-elementwise.test.ts holds these bounds.
//   exp    e^x = 2^k·e^r, k = round(x·log2 e), r = x − k·ln2 with ln 2 split in
//          two (Cody–Waite: k·LN2_HI is exact), e^r = 1 + r + r²·P(r), P a
//          degree-4 fit on |r| ≤ ln2/2 (3.3e-9). 2^k is applied as two exact
//          power-of-two factors, so results in the subnormal range round once.
//          x ≥ 89 → +∞, x ≤ −104 → 0, −∞ → 0, NaN → NaN. Max error 1 ulp.
//   log    x = 2^k·m with m in [√½, √2), f = m − 1, s = f/(2+f):
//          log(1+f) = f − f²/2 + s·(f²/2 + R(s²)), R a 4-term fit (the
//          fdlibm scheme, own coefficients); subnormals are scaled by 2^25
//          first. log ±0 = −∞, log(x<0) = NaN, log ∞ = ∞. Max error 1 ulp.
//   sin, cos  in float64: k = round(x·2/π), y = x − k·π/2 with π/2 in two
//          parts (exact for |x| < 2^26), polynomials for sin and cos on
//          |y| ≤ π/4 (relative error < 6e-12), the quadrant picks and signs;
//          rounded to float32 once. Lanes with |x| ≥ 2^26 (and ±∞, NaN) use
//          float64 Math.sin/cos (full Payne–Hanek reduction). Max error 0.5 ulp
//          (plus double rounding, in principle).
//   tanh   |x| < 0.625: x + x³·P(x²) (5 terms, 4.4e-9); else 1 − 2/(e^{2|x|} + 1);
//          sign restored (tanh −0 = −0). Max error 1.5 ulp.
//   sigmoid  e = e^{−|x|}: 1/(1+e) for x ≥ 0, e/(1+e) for x < 0: no overflow,
//          sigmoid(−1000) = 0, the subnormal tail kept. Max error 3 ulp.
//   erf    |x| < 0.75: x + x·P(x²) (6 terms, 1.4e-9); else 1 − erfc(|x|),
//          erfc(z) = t·e^{−z² + Q(t)}, t = 1/(1 + z/2), Q a degree-9 fit of
//          log(erfc(z)/t) + z² on z in [0.75, 10.1] (1e-9); −z² is formed
//          exactly as hi + lo (z split into 12 + 12 bits) and handed to exp in
//          two parts. erfc(z) = 0 for z ≥ 10.06 (true value < 2^−150).
//          Max error 2.5 ulp (erfc alone: 4 ulp relative, simulated).
//   gelu   x·Φ(x), Φ(x) = ½ + ½·erf(x/√2) for |x/√2| < 0.75, 1 − ½·erfc(x/√2)
//          for larger x > 0, ½·erfc(−x/√2) for x < 0: the erfc form keeps the
//          left tail's relative accuracy (no 1 + erf cancellation; the js
//          reference and PyTorch's float32 kernel lose it), and −x²/2 is formed
//          exactly from x. Max error 6 ulp, relative 4e-7, for x > −13; below,
//          Φ(x) < 2^−126 is itself subnormal and the result carries its
//          absolute error (< 1e-44).
//   gelu_tanh  ½x(1 + tanh u) = x·sigmoid(2u), u = √(2/π)(x + 0.044715x³); 2u
//          is formed in float64 and handed to exp as hi + lo (no 1 + tanh
//          cancellation). Max error 4 ulp for x > −10 (3.5 for |x| ≤ 5).
//   silu   x·sigmoid(x): max error 4 ulp for x > −87 (sigmoid subnormal below).
//   softplus  max(x,0) + log1p(e^{−|x|}), log1p(u) = log(w) + (u − (w−1))/w,
//          w = 1 + u. Max error 2.5 ulp.
//   hardsigmoid  min(max((x+3)/6, 0), 1) (= x/6 + ½ without cancellation):
//          1 ulp. hardswish  x ≥ 3 ? x : x·max(x+3, 0)/6 (no overflow): 2.5 ulp.
//   rsqrt  1/sqrt(x): 1.5 ulp (two roundings).
//   pow_scalar  integer p, |p| ≤ 64: repeated squaring in float64, rounded
//          once (0.5 ulp; 0^−n = ±∞, NaN^0 = 1); p = ½: sqrt(x + 0) (0.5 ulp,
//          (−0)^½ = +0, (−∞)^½ = +∞); p = −½: 1/sqrt(x + 0) (1.5 ulp); other p:
//          float64 Math.pow per element, rounded once (0.5 ulp).
//   Everything else (neg, abs, sign, sqrt, square, reciprocal, relu, relu6,
//   leaky_relu, clamp, add, sub, mul, div, maximum, minimum, comparisons) is
//   one IEEE operation per element: exact, equal to the js reference
//   (relu(NaN) = 0 as there; maximum/minimum propagate NaN). Binary pow is
//   float64 Math.pow per element.

export * from "./cast";

// ---- addressing ------------------------------------------------------------------------

/** Byte address of 4-byte element i (i may be negative). */
@inline function at4(p: usize, i: i32): usize { return p + (<usize>i << 2); }
@inline function f32at(p: usize, i: i32): f32 { return load<f32>(at4(p, i)); }

// ---- f32x4 shorthands (so the vector code reads like the scalar code) ---------------------

@inline function v(c: f32): v128 { return f32x4.splat(c); }
@inline function add4(a: v128, b: v128): v128 { return f32x4.add(a, b); }
@inline function sub4(a: v128, b: v128): v128 { return f32x4.sub(a, b); }
@inline function mul4(a: v128, b: v128): v128 { return f32x4.mul(a, b); }
@inline function div4(a: v128, b: v128): v128 { return f32x4.div(a, b); }
@inline function min4(a: v128, b: v128): v128 { return f32x4.min(a, b); }
@inline function max4(a: v128, b: v128): v128 { return f32x4.max(a, b); }
@inline function abs4(a: v128): v128 { return f32x4.abs(a); }
/**
 * x < lo ? lo : x and hi < x ? hi : x: bounds that let NaN through. Unlike the
 * IEEE min/max (min4, max4: NaN-propagating, −0 < +0, several instructions on
 * x64) these are one minps/maxps each (f32x4.pmax/pmin); used where neither
 * the NaN payload nor the sign of a zero can reach the result.
 */
@inline function atLeast(x: f32, lo: f32): f32 { return x < lo ? lo : x; }
@inline function atMost(x: f32, hi: f32): f32 { return hi < x ? hi : x; }
@inline function atLeast4(x: v128, lo: v128): v128 { return f32x4.pmax(x, lo); }
@inline function atMost4(x: v128, hi: v128): v128 { return f32x4.pmin(x, hi); }
/** mask ? a : b, lane by lane (mask lanes all ones or all zeros). */
@inline function sel4(mask: v128, a: v128, b: v128): v128 { return v128.bitselect(a, b, mask); }
/** |r| with the sign of x (r's other bits, x's sign bit): copysign lane by lane. */
@inline function copysign4(r: v128, x: v128): v128 { return v128.bitselect(x, r, i32x4.splat(0x80000000)); }

// Four f32 lanes as two f64x2 halves and back (for the float64 paths).
@inline function lo2(x: v128): v128 { return f64x2.promote_low_f32x4(x); }
@inline function hi2(x: v128): v128 { return f64x2.promote_low_f32x4(i64x2.shuffle(x, x, 1, 1)); }
@inline function join2(lo: v128, hi: v128): v128 { return i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2); }

// ---- exp ---------------------------------------------------------------------------------

const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375;        // 355/512: k·LN2_HI is exact for |k| < 2^15
const LN2_LO: f32 = -2.12194440054e-4;  // ln 2 − LN2_HI
const EXP_MIN: f32 = -104.0;            // e^−104 < 2^−150: rounds to 0
const EXP_MAX: f32 = 89.0;              // e^89 > FLT_MAX: +∞
const SHIFT: f32 = 12582912.0;          // 1.5·2^23: y + SHIFT rounds y (|y| < 2^22) to an integer, kept in the low bits
// e^r = 1 + r + r²·(E0 + E1 r + E2 r² + E3 r³ + E4 r⁴) on |r| ≤ ln2/2 (minimax, relative error 3.3e-9)
const E0: f32 = 0.4999999403953552;
const E1: f32 = 0.16666515171527863;
const E2: f32 = 0.04166845604777336;
const E3: f32 = 0.008369418792426586;
const E4: f32 = 0.001381308538839221;

/** 2^n for −126 ≤ n ≤ 127, by building the exponent field. */
@inline function pow2(n: i32): f32 { return reinterpret<f32>((n + 127) << 23); }
@inline function pow2x4(n: v128): v128 { return i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23); }

@inline function expPoly(r: f32): f32 {
  const q = E0 + r * (E1 + r * (E2 + r * (E3 + r * E4)));
  return r * r * q + r + 1;
}
@inline function expPoly4(r: v128): v128 {
  const q = add4(v(E0), mul4(r, add4(v(E1), mul4(r, add4(v(E2), mul4(r, add4(v(E3), mul4(r, v(E4)))))))));
  return add4(add4(mul4(mul4(r, r), q), r), v(1));
}

/** p·2^k for −150 ≤ k ≤ 129, as p·2^h·2^(k−h): both factors are normal, so only the last product rounds. */
@inline function scale(p: f32, k: i32): f32 {
  const h = k >> 1;
  return p * pow2(h) * pow2(k - h);
}
@inline function scale4(p: v128, k: v128): v128 {
  const h = i32x4.shr_s(k, 1);
  return mul4(mul4(p, pow2x4(h)), pow2x4(i32x4.sub(k, h)));
}

/**
 * e^x. k = round(x·log2 e) comes from the SHIFT trick: t = x·log2 e + SHIFT
 * holds k in its low mantissa bits (as an integer: bits(t) − bits(SHIFT)) and
 * t − SHIFT is k exactly (round half to even, like nearest()).
 */
@inline function expf(x: f32): f32 {
  x = atMost(atLeast(x, EXP_MIN), EXP_MAX); // NaN stays NaN
  const t = x * LOG2E + SHIFT;
  const k = t - SHIFT;
  const r = x - k * LN2_HI - k * LN2_LO;
  return scale(expPoly(r), reinterpret<i32>(t) - reinterpret<i32>(SHIFT));
}
@inline function expf4(x: v128): v128 {
  x = atMost4(atLeast4(x, v(EXP_MIN)), v(EXP_MAX));
  const t = add4(mul4(x, v(LOG2E)), v(SHIFT));
  const k = sub4(t, v(SHIFT));
  const r = sub4(sub4(x, mul4(k, v(LN2_HI))), mul4(k, v(LN2_LO)));
  return scale4(expPoly4(r), i32x4.sub(t, v(SHIFT)));
}

/** e^(hi + lo) for −104 ≤ hi + lo ≤ 0, where lo carries bits that hi + lo would round away. */
@inline function expf2(hi: f32, lo: f32): f32 {
  const t = (hi + lo) * LOG2E + SHIFT;
  const k = t - SHIFT;
  const r = hi - k * LN2_HI + lo - k * LN2_LO;
  return scale(expPoly(r), reinterpret<i32>(t) - reinterpret<i32>(SHIFT));
}
@inline function expf2x4(hi: v128, lo: v128): v128 {
  const t = add4(mul4(add4(hi, lo), v(LOG2E)), v(SHIFT));
  const k = sub4(t, v(SHIFT));
  const r = sub4(add4(sub4(hi, mul4(k, v(LN2_HI))), lo), mul4(k, v(LN2_LO)));
  return scale4(expPoly4(r), i32x4.sub(t, v(SHIFT)));
}

// ---- log ---------------------------------------------------------------------------------

const MIN_NORMAL: f32 = 1.1754943508222875e-38; // 2^−126
const TWO25: f32 = 33554432.0;                   // 2^25: lifts a subnormal into the normal range
const SQRT_HALF_BITS: i32 = 0x3f3504f3;          // bits of √½
// log(1+f) = 2·atanh(s) = 2s + s·R(s²),  R(z) = L1 z + L2 z² + L3 z³ + L4 z⁴ on z ≤ 0.0295 (abs error 1e-11)
const L1: f32 = 0.6666666269302368;
const L2: f32 = 0.4000035524368286;
const L3: f32 = 0.28535884618759155;
const L4: f32 = 0.23610654473304749;

/** log x (natural) */
@inline function logf(x: f32): f32 {
  const tiny = x < MIN_NORMAL;
  const xs = tiny ? x * TWO25 : x;
  // m in [√½, √2): shift the exponent boundary to √½ by adding (1 − √½)'s bit offset
  const ix = reinterpret<i32>(xs) + (0x3f800000 - SQRT_HALF_BITS);
  const k = (ix >> 23) - 127 + (tiny ? -25 : 0);
  const f = reinterpret<f32>((ix & 0x007fffff) + SQRT_HALF_BITS) - 1;
  const s = f / (2 + f);
  const z = s * s;
  const R = z * (L1 + z * (L2 + z * (L3 + z * L4)));
  const hfsq: f32 = 0.5 * f * f;
  const dk = <f32>k;
  let r: f32 = s * (hfsq + R) + dk * LN2_LO - hfsq + f + dk * LN2_HI;
  if (x == 0) r = -Infinity;
  if (!(x >= 0)) r = NaN; // negative or NaN
  if (x == Infinity) r = Infinity;
  return r;
}
@inline function logf4(x: v128): v128 {
  const tiny = f32x4.lt(x, v(MIN_NORMAL));
  const xs = sel4(tiny, mul4(x, v(TWO25)), x);
  const ix = i32x4.add(xs, i32x4.splat(0x3f800000 - SQRT_HALF_BITS));
  const k = i32x4.add(i32x4.sub(i32x4.shr_s(ix, 23), i32x4.splat(127)), v128.and(tiny, i32x4.splat(-25)));
  const f = sub4(i32x4.add(v128.and(ix, i32x4.splat(0x007fffff)), i32x4.splat(SQRT_HALF_BITS)), v(1));
  const s = div4(f, add4(v(2), f));
  const z = mul4(s, s);
  const R = mul4(z, add4(v(L1), mul4(z, add4(v(L2), mul4(z, add4(v(L3), mul4(z, v(L4))))))));
  const hfsq = mul4(mul4(v(0.5), f), f);
  const dk = f32x4.convert_i32x4_s(k);
  let r = add4(add4(sub4(add4(mul4(s, add4(hfsq, R)), mul4(dk, v(LN2_LO))), hfsq), f), mul4(dk, v(LN2_HI)));
  r = sel4(f32x4.eq(x, v(0)), v(-Infinity), r);
  r = sel4(f32x4.ge(x, v(0)), r, v(NaN));
  r = sel4(f32x4.eq(x, v(Infinity)), v(Infinity), r);
  return r;
}

/** log(1 + u) for 0 ≤ u ≤ 1: the correction term restores the bits that 1 + u rounds away. */
@inline function log1pf(u: f32): f32 {
  const w: f32 = 1 + u;
  return logf(w) + (u - (w - 1)) / w;
}
@inline function log1pf4(u: v128): v128 {
  const w = add4(v(1), u);
  return add4(logf4(w), div4(sub4(u, sub4(w, v(1))), w));
}

// ---- sigmoid, tanh ---------------------------------------------------------------------------

/** 1 / (1 + e^−x), from e = e^−|x| so that nothing overflows. */
@inline function sigmoidf(x: f32): f32 {
  const e = expf(-abs<f32>(x));
  const r: f32 = 1 / (1 + e);
  return x >= 0 ? r : e * r;
}
@inline function sigmoidf4(x: v128): v128 {
  const e = expf4(f32x4.neg(abs4(x)));
  const r = div4(v(1), add4(v(1), e));
  return sel4(f32x4.ge(x, v(0)), r, mul4(e, r));
}

const TANH_SMALL: f32 = 0.625;
// tanh z = z + z³·(T0 + T1 z² + T2 z⁴ + T3 z⁶ + T4 z⁸) on |z| ≤ 0.625 (minimax, relative error 4.4e-9)
const T0: f32 = -0.3333328068256378;
const T1: f32 = 0.13331428170204163;
const T2: f32 = -0.05373850464820862;
const T3: f32 = 0.020634954795241356;
const T4: f32 = -0.00570018170401454;

@inline function tanhf(x: f32): f32 {
  const z = abs<f32>(x);
  const z2 = z * z;
  const small = z + z2 * z * (T0 + z2 * (T1 + z2 * (T2 + z2 * (T3 + z2 * T4))));
  const large: f32 = 1 - 2 / (expf(2 * z) + 1);
  return copysign<f32>(z < TANH_SMALL ? small : large, x);
}
@inline function tanhf4(x: v128): v128 {
  const z = abs4(x);
  const z2 = mul4(z, z);
  const p = add4(v(T0), mul4(z2, add4(v(T1), mul4(z2, add4(v(T2), mul4(z2, add4(v(T3), mul4(z2, v(T4)))))))));
  const small = add4(z, mul4(mul4(z2, z), p));
  const large = sub4(v(1), div4(v(2), add4(expf4(mul4(v(2), z)), v(1))));
  return copysign4(sel4(f32x4.lt(z, v(TANH_SMALL)), small, large), x);
}

// ---- erf, erfc, gelu -----------------------------------------------------------------------------

const ERF_SMALL: f32 = 0.75;
const ERFC_ZERO: f32 = 10.06; // erfc(z) < 2^−150 from here on: 0 in float32
const SQRT1_2: f32 = 0.7071067811865476;
// erf z = z + z·(A0 + A1 z² + ... + A5 z¹⁰) on |z| ≤ 0.75 (minimax, relative error 1.4e-9)
const A0: f32 = 0.12837916612625122;
const A1: f32 = -0.3761261999607086;
const A2: f32 = 0.11283373087644577;
const A3: f32 = -0.02683444321155548;
const A4: f32 = 0.005113936960697174;
const A5: f32 = -0.0006746313301846385;
// erfc z = t·exp(−z² + Q(t)), t = 1/(1 + z/2), Q(t) = Q0 + Q1 t + ... + Q9 t⁹ on z in [0.75, 10.1] (minimax, abs error 1e-9)
const Q0: f32 = -1.2655342817306519;
const Q1: f32 = 1.0006550550460815;
const Q2: f32 = 0.366562157869339;
const Q3: f32 = 0.14550451934337616;
const Q4: f32 = -0.3749416768550873;
const Q5: f32 = 0.7344052195549011;
const Q6: f32 = -1.825325846672058;
const Q7: f32 = 2.12483811378479;
const Q8: f32 = -1.1478941440582275;
const Q9: f32 = 0.24171552062034607;

/** The top 12 significant bits of z: hi(z)² is exact in float32. */
@inline function hi12(z: f32): f32 { return reinterpret<f32>(reinterpret<u32>(z) & 0xfffff000); }
@inline function hi12x4(z: v128): v128 { return v128.and(z, i32x4.splat(0xfffff000)); }

/** erf z for |z| < 0.75 */
@inline function erfSmall(z: f32): f32 {
  const z2 = z * z;
  return z + z * (A0 + z2 * (A1 + z2 * (A2 + z2 * (A3 + z2 * (A4 + z2 * A5)))));
}
@inline function erfSmall4(z: v128): v128 {
  const z2 = mul4(z, z);
  const p = add4(v(A0), mul4(z2, add4(v(A1), mul4(z2, add4(v(A2), mul4(z2, add4(v(A3), mul4(z2, add4(v(A4), mul4(z2, v(A5)))))))))));
  return add4(z, mul4(z, p));
}

/** erfc z for 0.75 ≤ z ≤ ERFC_ZERO, given −z² = hi + lo with hi exact. */
@inline function erfcLarge(z: f32, hi: f32, lo: f32): f32 {
  const t: f32 = 1 / (1 + 0.5 * z);
  const q: f32 = Q0 + t * (Q1 + t * (Q2 + t * (Q3 + t * (Q4 + t * (Q5 + t * (Q6 + t * (Q7 + t * (Q8 + t * Q9))))))));
  return t * expf2(hi, lo + q);
}
@inline function erfcLarge4(z: v128, hi: v128, lo: v128): v128 {
  const t = div4(v(1), add4(v(1), mul4(v(0.5), z)));
  let q = add4(v(Q8), mul4(t, v(Q9)));
  q = add4(v(Q7), mul4(t, q));
  q = add4(v(Q6), mul4(t, q));
  q = add4(v(Q5), mul4(t, q));
  q = add4(v(Q4), mul4(t, q));
  q = add4(v(Q3), mul4(t, q));
  q = add4(v(Q2), mul4(t, q));
  q = add4(v(Q1), mul4(t, q));
  q = add4(v(Q0), mul4(t, q));
  return mul4(t, expf2x4(hi, add4(lo, q)));
}

/** erf x */
@inline function erff(x: f32): f32 {
  const z = abs<f32>(x);
  const zc = atMost(z, ERFC_ZERO);
  const zh = hi12(zc);
  const c = z >= ERFC_ZERO ? <f32>0 : erfcLarge(zc, -(zh * zh), -((zc - zh) * (zc + zh)));
  return copysign<f32>(z < ERF_SMALL ? erfSmall(z) : 1 - c, x);
}
@inline function erff4(x: v128): v128 {
  const z = abs4(x);
  const zc = atMost4(z, v(ERFC_ZERO));
  const zh = hi12x4(zc);
  let c = erfcLarge4(zc, f32x4.neg(mul4(zh, zh)), f32x4.neg(mul4(sub4(zc, zh), add4(zc, zh))));
  c = sel4(f32x4.ge(z, v(ERFC_ZERO)), v(0), c);
  return copysign4(sel4(f32x4.lt(z, v(ERF_SMALL)), erfSmall4(z), sub4(v(1), c)), x);
}

/** gelu x = x·Φ(x); Φ(x) = ½ + ½·erf(x/√2) near 0, 1 − ½·erfc(x/√2) for x > 0, ½·erfc(−x/√2) for x < 0. */
@inline function geluf(x: f32): f32 {
  const ax = abs<f32>(x);
  const z = ax * SQRT1_2;
  const phiSmall: f32 = 0.5 + 0.5 * copysign<f32>(erfSmall(z), x);
  // −z² = −x²/2 = hi + lo, formed from x so that it is exact
  const xc = atMost(ax, ERFC_ZERO / SQRT1_2);
  const xh = hi12(xc);
  let c = erfcLarge(xc * SQRT1_2, -(xh * xh) * 0.5, -((xc - xh) * (xc + xh)) * 0.5);
  if (z >= ERFC_ZERO) c = 0;
  const phiLarge: f32 = x >= 0 ? 1 - 0.5 * c : 0.5 * c;
  return x * (z < ERF_SMALL ? phiSmall : phiLarge);
}
@inline function geluf4(x: v128): v128 {
  const ax = abs4(x);
  const z = mul4(ax, v(SQRT1_2));
  const phiSmall = add4(v(0.5), mul4(v(0.5), copysign4(erfSmall4(z), x)));
  const xc = atMost4(ax, v(ERFC_ZERO / SQRT1_2));
  const xh = hi12x4(xc);
  let c = erfcLarge4(mul4(xc, v(SQRT1_2)), mul4(f32x4.neg(mul4(xh, xh)), v(0.5)), mul4(f32x4.neg(mul4(sub4(xc, xh), add4(xc, xh))), v(0.5)));
  c = sel4(f32x4.ge(z, v(ERFC_ZERO)), v(0), c);
  const phiLarge = sel4(f32x4.ge(x, v(0)), sub4(v(1), mul4(v(0.5), c)), mul4(v(0.5), c));
  return mul4(x, sel4(f32x4.lt(z, v(ERF_SMALL)), phiSmall, phiLarge));
}

const GELU_TANH_K: f64 = 1.5957691216057308; // 2·√(2/π)
/**
 * ½x(1 + tanh u) = x·sigmoid(2u), u = √(2/π)(x + 0.044715x³). The sigmoid form
 * has no 1 + tanh cancellation; 2u is formed in float64 and handed to exp as
 * hi + lo, so the left tail (e^{2u} tiny) keeps its relative accuracy.
 */
@inline function geluTanhf(x: f32): f32 {
  const d = <f64>x;
  const s = GELU_TANH_K * (d + 0.044715 * d * d * d); // 2u
  const a0 = abs<f64>(s), a = 104 < a0 ? 104 : a0; // NaN stays NaN
  const hi = <f32>a, lo = <f32>(a - <f64>hi);
  const e: f32 = hi >= 104 ? 0 : expf2(-hi, -lo); // e^{−|2u|}
  const r: f32 = 1 / (1 + e);
  return x * (<f32>s >= 0 ? r : e * r);
}
/** 2u and |2u| (clamped at 104) on one f64x2 half. */
@inline function geluTanhArg2(d: v128): v128 {
  return f64x2.mul(f64x2.splat(GELU_TANH_K), f64x2.add(d, f64x2.mul(f64x2.mul(f64x2.mul(f64x2.splat(0.044715), d), d), d)));
}
@inline function geluTanhf4(x: v128): v128 {
  const sl = geluTanhArg2(lo2(x)), sh = geluTanhArg2(hi2(x));
  const al = f64x2.pmin(f64x2.abs(sl), f64x2.splat(104)), ah = f64x2.pmin(f64x2.abs(sh), f64x2.splat(104));
  const hi = join2(al, ah);
  const lo = join2(f64x2.sub(al, lo2(hi)), f64x2.sub(ah, hi2(hi)));
  const e = sel4(f32x4.ge(hi, v(104)), v(0), expf2x4(f32x4.neg(hi), f32x4.neg(lo)));
  const r = div4(v(1), add4(v(1), e));
  return mul4(x, sel4(f32x4.ge(join2(sl, sh), v(0)), r, mul4(e, r)));
}

// ---- sin, cos (float64 inside) ------------------------------------------------------------------

const TRIG_MAX: f32 = 67108864.0;                    // 2^26: beyond, float64 Math.sin/cos (Payne–Hanek)
const SIN_TINY: f32 = 0.000244140625;                // 2^−12: sin x rounds to x below
const INV_PIO2: f64 = 0.6366197723675814;            // 2/π
const PIO2_1: f64 = 1.5707963109016418;              // π/2, first 25 bits: k·PIO2_1 is exact for k < 2^28
const PIO2_1T: f64 = 1.5893254773528196e-8;          // π/2 − PIO2_1
// sin y = y + y³·(S0 + S1 y² + S2 y⁴ + S3 y⁶), cos y = 1 − y²/2 + y⁴·(C0 + C1 y² + C2 y⁴ + C3 y⁶), |y| ≤ π/4
const S0: f64 = -0.16666666640584898;
const S1: f64 = 0.00833332928013821;
const S2: f64 = -0.00019839304290109874;
const S3: f64 = 2.7180452668346296e-6;
const C0: f64 = 0.04166666661910206;
const C1: f64 = -0.0013888883466855154;
const C2: f64 = 2.4799451445620515e-5;
const C3: f64 = -2.720503772629082e-7;

/** sin x (cos = 0) or cos x (cos = 1) = sin(x + π/2): reduce to y in [−π/4, π/4] and quadrant q. */
@inline function trigf(x: f32, cos: i32): f32 {
  if (!(abs<f32>(x) < TRIG_MAX)) return <f32>(cos ? Math.cos(<f64>x) : Math.sin(<f64>x)); // huge, ±∞, NaN
  const d = <f64>x;
  const k = nearest<f64>(d * INV_PIO2);
  const y = d - k * PIO2_1 - k * PIO2_1T;
  const y2 = y * y;
  const s = y + y2 * y * (S0 + y2 * (S1 + y2 * (S2 + y2 * S3)));
  const c = 1 - 0.5 * y2 + y2 * y2 * (C0 + y2 * (C1 + y2 * (C2 + y2 * C3)));
  let q = k + <f64>cos;
  q = q - 4 * floor<f64>(q * 0.25); // 0, 1, 2, 3
  let r = q == 1 || q == 3 ? c : s;
  if (q >= 2) r = -r;
  return !cos && abs<f32>(x) < SIN_TINY ? x : <f32>r;
}
/** The same on one f64x2 half. */
@inline function trig2(d: v128, cos: i32): v128 {
  const k = f64x2.nearest(f64x2.mul(d, f64x2.splat(INV_PIO2)));
  const y = f64x2.sub(f64x2.sub(d, f64x2.mul(k, f64x2.splat(PIO2_1))), f64x2.mul(k, f64x2.splat(PIO2_1T)));
  const y2 = f64x2.mul(y, y);
  let ps = f64x2.add(f64x2.splat(S2), f64x2.mul(y2, f64x2.splat(S3)));
  ps = f64x2.add(f64x2.splat(S1), f64x2.mul(y2, ps));
  ps = f64x2.add(f64x2.splat(S0), f64x2.mul(y2, ps));
  const s = f64x2.add(y, f64x2.mul(f64x2.mul(y2, y), ps));
  let pc = f64x2.add(f64x2.splat(C2), f64x2.mul(y2, f64x2.splat(C3)));
  pc = f64x2.add(f64x2.splat(C1), f64x2.mul(y2, pc));
  pc = f64x2.add(f64x2.splat(C0), f64x2.mul(y2, pc));
  const c = f64x2.add(f64x2.sub(f64x2.splat(1), f64x2.mul(f64x2.splat(0.5), y2)), f64x2.mul(f64x2.mul(y2, y2), pc));
  let q = f64x2.add(k, f64x2.splat(<f64>cos));
  q = f64x2.sub(q, f64x2.mul(f64x2.splat(4), f64x2.floor(f64x2.mul(q, f64x2.splat(0.25)))));
  const odd = v128.or(f64x2.eq(q, f64x2.splat(1)), f64x2.eq(q, f64x2.splat(3)));
  const r = v128.bitselect(c, s, odd);
  return v128.bitselect(f64x2.neg(r), r, f64x2.ge(q, f64x2.splat(2)));
}
@inline function trigf4(x: v128, cos: i32): v128 {
  if (!i32x4.all_true(f32x4.lt(abs4(x), v(TRIG_MAX)))) return lanes(x, cos ? UCOS : USIN, 0, 0);
  const r = join2(trig2(lo2(x), cos), trig2(hi2(x), cos));
  return cos ? r : sel4(f32x4.lt(abs4(x), v(SIN_TINY)), x, r);
}

// ---- pow ----------------------------------------------------------------------------------------

/** x^n for an integer n, |n| ≤ 64: repeated squaring in float64, rounded once. */
@inline function powIntf(x: f32, n: i32): f32 {
  let b = <f64>x, r: f64 = 1, e = n < 0 ? -n : n;
  while (e != 0) {
    if (e & 1) r *= b;
    e >>= 1;
    if (e != 0) b *= b;
  }
  return <f32>(n < 0 ? 1 / r : r);
}
@inline function powInt2(b: v128, n: i32): v128 {
  let r = f64x2.splat(1), e = n < 0 ? -n : n;
  while (e != 0) {
    if (e & 1) r = f64x2.mul(r, b);
    e >>= 1;
    if (e != 0) b = f64x2.mul(b, b);
  }
  return n < 0 ? f64x2.div(f64x2.splat(1), r) : r;
}

const POW_GENERAL = 0, POW_INT = 1, POW_HALF = 2, POW_MINUS_HALF = 3;
@inline function powKind(p: f64): i32 {
  if (p == floor<f64>(p) && abs<f64>(p) <= 64) return POW_INT;
  if (p == 0.5) return POW_HALF;
  if (p == -0.5) return POW_MINUS_HALF;
  return POW_GENERAL;
}
/** x^p as Math.pow(x, p) rounded to float32: the cases are exact rewrites of it (x + 0 turns −0 into +0). */
@inline function powf(x: f32, p: f64): f32 {
  const kind = powKind(p);
  if (kind == POW_INT) return powIntf(x, <i32>p);
  if (kind == POW_HALF) return x == -Infinity ? Infinity : sqrt<f32>(x + 0);
  if (kind == POW_MINUS_HALF) return x == -Infinity ? 0 : 1 / sqrt<f32>(x + 0);
  return <f32>Math.pow(<f64>x, p);
}
@inline function powf4(x: v128, p: f64): v128 {
  const kind = powKind(p);
  if (kind == POW_INT) return join2(powInt2(lo2(x), <i32>p), powInt2(hi2(x), <i32>p));
  const ninf = f32x4.eq(x, v(-Infinity));
  if (kind == POW_HALF) return sel4(ninf, v(Infinity), f32x4.sqrt(add4(x, v(0))));
  if (kind == POW_MINUS_HALF) return sel4(ninf, v(0), div4(v(1), f32x4.sqrt(add4(x, v(0)))));
  return lanes(x, UPOW, p, 0);
}

// ---- unary ----------------------------------------------------------------------------------------

// Op codes: the order of UnaryOp in src/backends/wasm/native/elementwise.ts.
const UNEG = 0, UABS = 1, USIGN = 2, UEXP = 3, ULOG = 4, USQRT = 5, URSQRT = 6, USQUARE = 7, URECIPROCAL = 8,
  USIN = 9, UCOS = 10, UERF = 11, URELU = 12, USIGMOID = 13, UTANH = 14, UGELU = 15, UGELU_TANH = 16, USILU = 17,
  USOFTPLUS = 18, UHARDSIGMOID = 19, UHARDSWISH = 20, URELU6 = 21, ULEAKY_RELU = 22, UCLAMP = 23, UPOW = 24;

/**
 * The specification: f(x) for one element; p0, p1 are the op's arguments
 * (slope; min, max; exponent). Not inlined: it is the reference and the tail, not the hot loop.
 */
function unary1(op: i32, x: f32, p0: f64, p1: f64): f32 {
  switch (op) {
    case UNEG: return -x;
    case UABS: return abs<f32>(x);
    case USIGN: return x > 0 ? 1 : x < 0 ? -1 : x; // keeps ±0 and NaN
    case UEXP: return expf(x);
    case ULOG: return logf(x);
    case USQRT: return sqrt<f32>(x);
    case URSQRT: return 1 / sqrt<f32>(x);
    case USQUARE: return x * x;
    case URECIPROCAL: return 1 / x;
    case USIN: return trigf(x, 0);
    case UCOS: return trigf(x, 1);
    case UERF: return erff(x);
    case URELU: return x > 0 ? x : 0; // relu(NaN) = 0, like the js reference
    case USIGMOID: return sigmoidf(x);
    case UTANH: return tanhf(x);
    case UGELU: return geluf(x);
    case UGELU_TANH: return geluTanhf(x);
    case USILU: return x * sigmoidf(x);
    case USOFTPLUS: return atLeast(x, 0) + log1pf(expf(-abs<f32>(x)));
    case UHARDSIGMOID: return atMost(atLeast((x + 3) / 6, 0), 1); // = x/6 + 1/2, without cancellation near −3
    case UHARDSWISH: return x >= 3 ? x : x * atLeast(x + 3, 0) / 6;  // = x·min(max(x+3, 0), 6)/6, without overflow
    case URELU6: return min<f32>(max<f32>(x, 0), 6);
    case ULEAKY_RELU: return x > 0 ? x : x * <f32>p0;
    case UCLAMP: return min<f32>(max<f32>(x, <f32>p0), <f32>p1); // NaN stays NaN
    case UPOW: return powf(x, p0);
  }
  return NaN;
}

/** unary1 on each lane, one at a time (for the lanes no vector formula covers). */
@inline function lanes(x: v128, op: i32, p0: f64, p1: f64): v128 {
  let r = x;
  r = f32x4.replace_lane(r, 0, unary1(op, f32x4.extract_lane(x, 0), p0, p1));
  r = f32x4.replace_lane(r, 1, unary1(op, f32x4.extract_lane(x, 1), p0, p1));
  r = f32x4.replace_lane(r, 2, unary1(op, f32x4.extract_lane(x, 2), p0, p1));
  r = f32x4.replace_lane(r, 3, unary1(op, f32x4.extract_lane(x, 3), p0, p1));
  return r;
}

// The vector form of each op that is more than a few instructions, as a
// function of its own. Each has one caller in the end (its op's loop in
// unaryF32), where binaryen inlines it back; without this step the compiler
// would paste every formula into every op's copy of the switch in unary4
// before folding the switch away, which doubles the build time of kernels.wasm.
function vExp(x: v128): v128 { return expf4(x); }
function vLog(x: v128): v128 { return logf4(x); }
function vSin(x: v128): v128 { return trigf4(x, 0); }
function vCos(x: v128): v128 { return trigf4(x, 1); }
function vErf(x: v128): v128 { return erff4(x); }
function vSigmoid(x: v128): v128 { return sigmoidf4(x); }
function vTanh(x: v128): v128 { return tanhf4(x); }
function vGelu(x: v128): v128 { return geluf4(x); }
function vGeluTanh(x: v128): v128 { return geluTanhf4(x); }
function vSilu(x: v128): v128 { return mul4(x, sigmoidf4(x)); }
function vSoftplus(x: v128): v128 { return add4(atLeast4(x, v(0)), log1pf4(expf4(f32x4.neg(abs4(x))))); }
function vPow(x: v128, p: f64): v128 { return powf4(x, p); }

/** unary1 on four lanes. */
@inline function unary4(op: i32, x: v128, p0: f64, p1: f64): v128 {
  switch (op) {
    case UNEG: return f32x4.neg(x);
    case UABS: return abs4(x);
    case USIGN: return sel4(f32x4.gt(x, v(0)), v(1), sel4(f32x4.lt(x, v(0)), v(-1), x));
    case UEXP: return vExp(x);
    case ULOG: return vLog(x);
    case USQRT: return f32x4.sqrt(x);
    case URSQRT: return div4(v(1), f32x4.sqrt(x));
    case USQUARE: return mul4(x, x);
    case URECIPROCAL: return div4(v(1), x);
    case USIN: return vSin(x);
    case UCOS: return vCos(x);
    case UERF: return vErf(x);
    case URELU: return v128.and(x, f32x4.gt(x, v(0)));
    case USIGMOID: return vSigmoid(x);
    case UTANH: return vTanh(x);
    case UGELU: return vGelu(x);
    case UGELU_TANH: return vGeluTanh(x);
    case USILU: return vSilu(x);
    case USOFTPLUS: return vSoftplus(x);
    case UHARDSIGMOID: return atMost4(atLeast4(div4(add4(x, v(3)), v(6)), v(0)), v(1));
    case UHARDSWISH: return sel4(f32x4.ge(x, v(3)), x, div4(mul4(x, atLeast4(add4(x, v(3)), v(0))), v(6)));
    case URELU6: return min4(max4(x, v(0)), v(6));
    case ULEAKY_RELU: return sel4(f32x4.gt(x, v(0)), x, mul4(x, v(<f32>p0)));
    case UCLAMP: return min4(max4(x, v(<f32>p0)), v(<f32>p1));
    case UPOW: return vPow(x, p0);
  }
  return v(NaN);
}

/** out[i] = f(x[i]), four lanes at a time, the tail by the specification. Specialised per op by inlining. */
@inline function mapF32(op: i32, x: usize, out: usize, n: i32, p0: f64, p1: f64): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at4(out, i), unary4(op, v128.load(at4(x, i)), p0, p1));
  for (; i < n; i++) store<f32>(at4(out, i), unary1(op, f32at(x, i), p0, p1));
}

/** out[i] = f(x[i]) for float32 x (contiguous, n elements); out may be x. Specification of unaryF32. */
export function unaryF32Scalar(op: i32, x: usize, out: usize, n: i32, p0: f64, p1: f64): void {
  for (let i = 0; i < n; i++) store<f32>(at4(out, i), unary1(op, f32at(x, i), p0, p1));
}

/** out[i] = f(x[i]), f32x4 SIMD; equal to unaryF32Scalar. */
export function unaryF32(op: i32, x: usize, out: usize, n: i32, p0: f64, p1: f64): void {
  switch (op) { // one loop per op, each with its formula inlined
    case UNEG: mapF32(UNEG, x, out, n, p0, p1); break;
    case UABS: mapF32(UABS, x, out, n, p0, p1); break;
    case USIGN: mapF32(USIGN, x, out, n, p0, p1); break;
    case UEXP: mapF32(UEXP, x, out, n, p0, p1); break;
    case ULOG: mapF32(ULOG, x, out, n, p0, p1); break;
    case USQRT: mapF32(USQRT, x, out, n, p0, p1); break;
    case URSQRT: mapF32(URSQRT, x, out, n, p0, p1); break;
    case USQUARE: mapF32(USQUARE, x, out, n, p0, p1); break;
    case URECIPROCAL: mapF32(URECIPROCAL, x, out, n, p0, p1); break;
    case USIN: mapF32(USIN, x, out, n, p0, p1); break;
    case UCOS: mapF32(UCOS, x, out, n, p0, p1); break;
    case UERF: mapF32(UERF, x, out, n, p0, p1); break;
    case URELU: mapF32(URELU, x, out, n, p0, p1); break;
    case USIGMOID: mapF32(USIGMOID, x, out, n, p0, p1); break;
    case UTANH: mapF32(UTANH, x, out, n, p0, p1); break;
    case UGELU: mapF32(UGELU, x, out, n, p0, p1); break;
    case UGELU_TANH: mapF32(UGELU_TANH, x, out, n, p0, p1); break;
    case USILU: mapF32(USILU, x, out, n, p0, p1); break;
    case USOFTPLUS: mapF32(USOFTPLUS, x, out, n, p0, p1); break;
    case UHARDSIGMOID: mapF32(UHARDSIGMOID, x, out, n, p0, p1); break;
    case UHARDSWISH: mapF32(UHARDSWISH, x, out, n, p0, p1); break;
    case URELU6: mapF32(URELU6, x, out, n, p0, p1); break;
    case ULEAKY_RELU: mapF32(ULEAKY_RELU, x, out, n, p0, p1); break;
    case UCLAMP: mapF32(UCLAMP, x, out, n, p0, p1); break;
    case UPOW: mapF32(UPOW, x, out, n, p0, p1); break;
  }
}

/** out[i] = !x[i] for bool (bytes). Specification of logicalNotB8. */
export function logicalNotB8Scalar(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(out + <usize>i, load<u8>(x + <usize>i) == 0 ? 1 : 0);
}
/** out[i] = !x[i], sixteen bytes at a time. */
export function logicalNotB8(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) v128.store(out + <usize>i, v128.and(i8x16.eq(v128.load(x + <usize>i), i8x16.splat(0)), i8x16.splat(1)));
  for (; i < n; i++) store<u8>(out + <usize>i, load<u8>(x + <usize>i) == 0 ? 1 : 0);
}

// ---- binary -----------------------------------------------------------------------------------------

// Op codes (BinaryOp order in the binding): 0-6 float32 → float32, 10-15 float32 → bool, 20-21 bool → bool.
const BADD = 0, BSUB = 1, BMUL = 2, BDIV = 3, BPOW = 4, BMAX = 5, BMIN = 6;
const BEQ = 10, BNE = 11, BLT = 12, BLE = 13, BGT = 14, BGE = 15;
const BAND = 20, BOR = 21;

/** Element sizes of the operands and of the output. */
@inline function inWidth(op: i32): i32 { return op >= BAND ? 1 : 4; }
@inline function outWidth(op: i32): i32 { return op >= BEQ ? 1 : 4; }

/** The specification of the float32 → float32 ops. */
@inline function binary1(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case BADD: return a + b;
    case BSUB: return a - b;
    case BMUL: return a * b;
    case BDIV: return a / b;
    case BPOW: return <f32>Math.pow(<f64>a, <f64>b);
    case BMAX: return max<f32>(a, b); // NaN if either is NaN; max(−0, +0) = +0
    case BMIN: return min<f32>(a, b);
  }
  return NaN;
}
@inline function binary4(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case BADD: return add4(a, b);
    case BSUB: return sub4(a, b);
    case BMUL: return mul4(a, b);
    case BDIV: return div4(a, b);
    case BMAX: return max4(a, b);
    case BMIN: return min4(a, b);
  }
  // pow: lane by lane
  let r = a;
  r = f32x4.replace_lane(r, 0, binary1(op, f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
  r = f32x4.replace_lane(r, 1, binary1(op, f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
  r = f32x4.replace_lane(r, 2, binary1(op, f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
  r = f32x4.replace_lane(r, 3, binary1(op, f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
  return r;
}

/** The specification of the comparisons: 1 or 0 (NaN compares unequal to everything). */
@inline function compare1(op: i32, a: f32, b: f32): u8 {
  switch (op) {
    case BEQ: return <u8>(a == b);
    case BNE: return <u8>(a != b);
    case BLT: return <u8>(a < b);
    case BLE: return <u8>(a <= b);
    case BGT: return <u8>(a > b);
    case BGE: return <u8>(a >= b);
  }
  return 0;
}
/** Four comparisons as lane masks (all ones = true). */
@inline function compare4(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case BEQ: return f32x4.eq(a, b);
    case BNE: return f32x4.ne(a, b);
    case BLT: return f32x4.lt(a, b);
    case BLE: return f32x4.le(a, b);
    case BGT: return f32x4.gt(a, b);
    case BGE: return f32x4.ge(a, b);
  }
  return i32x4.splat(0);
}
/** Four i32 lane masks → four bytes 0/1 in the low 32 bits. */
@inline function maskBytes(m: v128): v128 {
  const m16 = i16x8.narrow_i32x4_s(m, m);
  return v128.and(i8x16.narrow_i16x8_s(m16, m16), i8x16.splat(1));
}

@inline function logical1(op: i32, a: u8, b: u8): u8 {
  return op == BAND ? <u8>(a != 0 && b != 0) : <u8>(a != 0 || b != 0);
}
@inline function logical16(op: i32, a: v128, b: v128): v128 {
  const na = v128.not(i8x16.eq(a, i8x16.splat(0))), nb = v128.not(i8x16.eq(b, i8x16.splat(0)));
  return v128.and(op == BAND ? v128.and(na, nb) : v128.or(na, nb), i8x16.splat(1));
}

/** One row of any binary op, plain: out[i] = f(a[i·sa], b[i·sb]). */
@inline function row1(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  if (op >= BAND) {
    for (let i = 0; i < n; i++) store<u8>(out + <usize>i, logical1(op, load<u8>(a + <usize>(i * sa)), load<u8>(b + <usize>(i * sb))));
  } else if (op >= BEQ) {
    for (let i = 0; i < n; i++) store<u8>(out + <usize>i, compare1(op, f32at(a, i * sa), f32at(b, i * sb)));
  } else {
    for (let i = 0; i < n; i++) store<f32>(at4(out, i), binary1(op, f32at(a, i * sa), f32at(b, i * sb)));
  }
}

/** Load four floats: contiguous (s = 1) or one broadcast value (s = 0). `s` is a constant after inlining. */
@inline function load4(p: usize, s: i32, i: i32): v128 { return s == 0 ? v128.load32_splat(p) : v128.load(at4(p, i)); }
@inline function load16(p: usize, s: i32, i: i32): v128 { return s == 0 ? v128.load8_splat(p) : v128.load(p + <usize>i); }

/** One row with a and b each contiguous (1) or broadcast (0): SIMD bulk, the tail by the specification. */
@inline function rowSimd(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  let i = 0;
  if (op >= BAND) {
    for (; i + 16 <= n; i += 16) v128.store(out + <usize>i, logical16(op, load16(a, sa, i), load16(b, sb, i)));
  } else if (op >= BEQ) {
    for (; i + 4 <= n; i += 4) v128.store32_lane(out + <usize>i, maskBytes(compare4(op, load4(a, sa, i), load4(b, sb, i))), 0);
  } else {
    for (; i + 4 <= n; i += 4) v128.store(at4(out, i), binary4(op, load4(a, sa, i), load4(b, sb, i)));
  }
  const w = <usize>inWidth(op);
  row1(op, a + <usize>(i * sa) * w, sa, b + <usize>(i * sb) * w, sb, out + <usize>i * <usize>outWidth(op), n - i);
}

/** One row of op: the stride pattern picks a specialised loop. */
@inline function rowOp(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  if (op == BPOW) row1(op, a, sa, b, sb, out, n); // float64 Math.pow per element: no SIMD to gain
  else if (sa == 1 && sb == 1) rowSimd(op, a, 1, b, 1, out, n);
  else if (sa == 1 && sb == 0) rowSimd(op, a, 1, b, 0, out, n);
  else if (sa == 0 && sb == 1) rowSimd(op, a, 0, b, 1, out, n);
  else row1(op, a, sa, b, sb, out, n);
}

/**
 * out[i] = f(a[i·sa], b[i·sb]) for i < n: one row. a and b are float32 (bool
 * for logical_and/or); out is float32 (bool for comparisons and logical ops).
 */
export function binaryRow(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  switch (op) {
    case BADD: rowOp(BADD, a, sa, b, sb, out, n); break;
    case BSUB: rowOp(BSUB, a, sa, b, sb, out, n); break;
    case BMUL: rowOp(BMUL, a, sa, b, sb, out, n); break;
    case BDIV: rowOp(BDIV, a, sa, b, sb, out, n); break;
    case BPOW: rowOp(BPOW, a, sa, b, sb, out, n); break;
    case BMAX: rowOp(BMAX, a, sa, b, sb, out, n); break;
    case BMIN: rowOp(BMIN, a, sa, b, sb, out, n); break;
    case BEQ: rowOp(BEQ, a, sa, b, sb, out, n); break;
    case BNE: rowOp(BNE, a, sa, b, sb, out, n); break;
    case BLT: rowOp(BLT, a, sa, b, sb, out, n); break;
    case BLE: rowOp(BLE, a, sa, b, sb, out, n); break;
    case BGT: rowOp(BGT, a, sa, b, sb, out, n); break;
    case BGE: rowOp(BGE, a, sa, b, sb, out, n); break;
    case BAND: rowOp(BAND, a, sa, b, sb, out, n); break;
    case BOR: rowOp(BOR, a, sa, b, sb, out, n); break;
  }
}

/** binaryRow's specification: the plain loop for every stride pattern. */
export function binaryRowScalar(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  row1(op, a, sa, b, sb, out, n);
}

// ---- the N-d walk ------------------------------------------------------------------------------------

// An iteration space of `rank` dims is given as one int32 array `dims`:
// shape[rank], then the strides of each operand (rank each). The innermost
// dim is a row, handed to a row kernel; the dims before the last two are
// walked by an odometer whose counters live in IDX (the kernels never nest).
// Each plane of the last two dims goes row by row, or, when an operand jumps
// through memory along the row (a transposed view: one cache line per
// element), in tiles of TILE_ROWS × TILE_COLS, so that the lines a tile
// touches are reused by its next rows instead of being evicted first.
// Elementwise results do not depend on the order (assign with a destination
// that repeats elements is never tiled), so the specification stays untiled.
const MAX_RANK = 32;
const IDX = memory.data(MAX_RANK << 2);
const TILE_ROWS = 16;   // 16 floats = one 64-byte line of the transposed operand
const TILE_COLS = 64;
const TILE_STRIDE = 16; // an inner stride of this many elements or more: tile

@inline function dim(dims: usize, j: i32, d: i32, rank: i32): i32 { return load<i32>(dims + (<usize>(j * rank + d) << 2)); }

const WALK_BINARY = 0, WALK_WHERE = 1, WALK_ASSIGN = 2;

/** One row of `kind` (the operands' row starts q0..q2, their strides s0..s2, the output row qo). */
@inline function row(kind: i32, spec: bool, op: i32, q0: usize, s0: i32, q1: usize, s1: i32, q2: usize, s2: i32, qo: usize, n: i32): void {
  if (kind == WALK_BINARY) { if (spec) binaryRowScalar(op, q0, s0, q1, s1, qo, n); else binaryRow(op, q0, s0, q1, s1, qo, n); }
  else if (kind == WALK_WHERE) { if (spec) whereRowScalar(q0, s0, q1, s1, q2, s2, qo, n); else whereRow(q0, s0, q1, s1, q2, s2, qo, n); }
  else { if (spec) assignRowScalar(op, q0, s0, q1, s1, n); else assignRow(op, q0, s0, q1, s1, n); }
}

/**
 * Walk an N-d space for up to three strided operands p0..p2 and a contiguous
 * output, calling the row kernel of `kind` (spec: the plain one, untiled).
 *   binary: p0 = a, p1 = b, out;  where: p0 = cond, p1 = a, p2 = b, out;
 *   assign: p0 = dst (strided, written), p1 = src, no out; `op` = element width.
 */
@inline function walk(kind: i32, spec: bool, op: i32, p0: usize, p1: usize, p2: usize, out: usize, rank: i32, dims: usize): void {
  const last = rank - 1, mid = rank - 2;
  const n1 = dim(dims, 0, last, rank), n0 = mid >= 0 ? dim(dims, 0, mid, rank) : 1;
  const three = kind == WALK_WHERE;
  // strides along a row (s) and from row to row (m)
  const s0 = dim(dims, 1, last, rank), s1 = dim(dims, 2, last, rank), s2 = three ? dim(dims, 3, last, rank) : 0;
  const m0 = mid >= 0 ? dim(dims, 1, mid, rank) : 0, m1 = mid >= 0 ? dim(dims, 2, mid, rank) : 0;
  const m2 = three && mid >= 0 ? dim(dims, 3, mid, rank) : 0;
  const w0 = kind == WALK_BINARY ? inWidth(op) : kind == WALK_WHERE ? 1 : op;
  const w1 = kind == WALK_BINARY ? inWidth(op) : kind == WALK_WHERE ? 4 : op;
  const wo = kind == WALK_BINARY ? outWidth(op) : 4;
  const far = abs(s0) >= TILE_STRIDE || abs(s1) >= TILE_STRIDE || abs(s2) >= TILE_STRIDE;
  const tiled = !spec && far && !(kind == WALK_ASSIGN && (s0 == 0 || m0 == 0));
  const R = tiled ? TILE_ROWS : n0, C = tiled ? TILE_COLS : n1;
  let planes = 1;
  for (let d = 0; d < mid; d++) planes *= dim(dims, 0, d, rank);
  if (mid > 0) memory.fill(IDX, 0, <usize>mid << 2);
  let o0: i32 = 0, o1: i32 = 0, o2: i32 = 0; // element offsets of the current plane
  for (let pl = 0; pl < planes; pl++) {
    const plane = out + <usize>pl * <usize>n0 * <usize>n1 * <usize>wo;
    for (let r0 = 0; r0 < n0; r0 += R) {
      const rEnd = min(r0 + R, n0);
      for (let c0 = 0; c0 < n1; c0 += C) {
        const cols = min(C, n1 - c0);
        for (let r = r0; r < rEnd; r++) {
          const e0 = o0 + r * m0 + c0 * s0, e1 = o1 + r * m1 + c0 * s1, e2 = o2 + r * m2 + c0 * s2;
          row(kind, spec, op, p0 + <usize>(e0 * w0), s0, p1 + <usize>(e1 * w1), s1, p2 + <usize>(e2 * 4), s2,
            plane + (<usize>r * <usize>n1 + <usize>c0) * <usize>wo, cols);
        }
      }
    }
    // odometer over the dims before the last two: bump the innermost, carry outwards
    for (let d = mid - 1; d >= 0; d--) {
      const k = load<i32>(IDX + (<usize>d << 2)) + 1;
      const t0 = dim(dims, 1, d, rank), t1 = dim(dims, 2, d, rank), t2 = three ? dim(dims, 3, d, rank) : 0;
      if (k < dim(dims, 0, d, rank)) {
        store<i32>(IDX + (<usize>d << 2), k);
        o0 += t0; o1 += t1; o2 += t2;
        break;
      }
      store<i32>(IDX + (<usize>d << 2), 0);
      o0 -= t0 * (k - 1); o1 -= t1 * (k - 1); o2 -= t2 * (k - 1);
    }
  }
}

/** out = f(a, b) over an N-d space (dims = shape, a's strides, b's strides), rows by binaryRow. */
export function binaryND(op: i32, a: usize, b: usize, out: usize, rank: i32, dims: usize): void {
  walk(WALK_BINARY, false, op, a, b, 0, out, rank, dims);
}
/** binaryND's specification (rows by binaryRowScalar). */
export function binaryNDScalar(op: i32, a: usize, b: usize, out: usize, rank: i32, dims: usize): void {
  walk(WALK_BINARY, true, op, a, b, 0, out, rank, dims);
}

// ---- where ---------------------------------------------------------------------------------------------

/**
 * out[i] = c[i·sc] ? a[i·sa] : b[i·sb]: c is bool (bytes), a, b and out are
 * 4-byte elements (float32 or int32: the bits are moved, never converted).
 * Specification of whereRow.
 */
export function whereRowScalar(c: usize, sc: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    store<u32>(at4(out, i), load<u8>(c + <usize>(i * sc)) != 0 ? load<u32>(at4(a, i * sa)) : load<u32>(at4(b, i * sb)));
  }
}

/** Four condition bytes (contiguous, or one broadcast byte) as i32 lane masks. */
@inline function cond4(c: usize, sc: i32, i: i32): v128 {
  const bytes = sc == 0 ? v128.load8_splat(c) : v128.load32_zero(c + <usize>i);
  return v128.not(i32x4.eq(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(bytes)), i32x4.splat(0)));
}

/** whereRow with every stride 0 or 1: SIMD bulk with bitselect, the tail by the specification. */
@inline function whereSimd(c: usize, sc: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at4(out, i), v128.bitselect(load4(a, sa, i), load4(b, sb, i), cond4(c, sc, i)));
  whereRowScalar(c + <usize>(i * sc), sc, at4(a, i * sa), sa, at4(b, i * sb), sb, at4(out, i), n - i);
}

/** out[i] = c[i·sc] ? a[i·sa] : b[i·sb]; equal to whereRowScalar. */
export function whereRow(c: usize, sc: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  if (sc == 1 && sa == 1 && sb == 1) whereSimd(c, 1, a, 1, b, 1, out, n);
  else if (sc == 1 && sa == 1 && sb == 0) whereSimd(c, 1, a, 1, b, 0, out, n);
  else if (sc == 1 && sa == 0 && sb == 1) whereSimd(c, 1, a, 0, b, 1, out, n);
  else if (sc == 1 && sa == 0 && sb == 0) whereSimd(c, 1, a, 0, b, 0, out, n);
  else if (sc == 0 && sa == 1 && sb == 1) whereSimd(c, 0, a, 1, b, 1, out, n);
  else whereRowScalar(c, sc, a, sa, b, sb, out, n);
}

/** where over an N-d space (dims = shape, then the strides of c, a, b). */
export function whereND(c: usize, a: usize, b: usize, out: usize, rank: i32, dims: usize): void {
  walk(WALK_WHERE, false, 0, c, a, b, out, rank, dims);
}
export function whereNDScalar(c: usize, a: usize, b: usize, out: usize, rank: i32, dims: usize): void {
  walk(WALK_WHERE, true, 0, c, a, b, out, rank, dims);
}

// ---- assign: a strided write into an existing storage -------------------------------------------------

/**
 * dst[i·sd] = src[i·ss] for i < n, elements of `width` bytes (4 or 1).
 * Specification of assignRow. (dst and src must not overlap: the binding
 * copies src first when they share a storage.)
 */
export function assignRowScalar(width: i32, dst: usize, sd: i32, src: usize, ss: i32, n: i32): void {
  if (width == 4) for (let i = 0; i < n; i++) store<u32>(at4(dst, i * sd), load<u32>(at4(src, i * ss)));
  else for (let i = 0; i < n; i++) store<u8>(dst + <usize>(i * sd), load<u8>(src + <usize>(i * ss)));
}

/** assignRow: a contiguous row is one memory.copy, a broadcast value a fill; else the plain loop. */
export function assignRow(width: i32, dst: usize, sd: i32, src: usize, ss: i32, n: i32): void {
  if (sd == 1 && ss == 1) memory.copy(dst, src, <usize>n * <usize>width);
  else if (sd == 1 && ss == 0 && width == 1) memory.fill(dst, load<u8>(src), <usize>n);
  else if (sd == 1 && ss == 0) {
    const x = v128.load32_splat(src);
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(at4(dst, i), x);
    for (; i < n; i++) store<u32>(at4(dst, i), load<u32>(src));
  } else assignRowScalar(width, dst, sd, src, ss, n);
}

/** dst ← src over an N-d space (dims = shape, dst's strides, src's strides). */
export function assignND(width: i32, dst: usize, src: usize, rank: i32, dims: usize): void {
  walk(WALK_ASSIGN, false, width, dst, src, 0, 0, rank, dims);
}
export function assignNDScalar(width: i32, dst: usize, src: usize, rank: i32, dims: usize): void {
  walk(WALK_ASSIGN, true, width, dst, src, 0, 0, rank, dims);
}

// ---- kept from the toolchain proof (test/wasm-build.test.ts) -------------------------------------------

/**
 * out[i] = a[i] + b[i] for i in [0, n).
 * Specification: the plain loop that addF32 must match bit for bit.
 */
export function addF32Scalar(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, load<f32>(a + off) + load<f32>(b + off));
  }
}

/**
 * out[i] = a[i] + b[i], four lanes at a time with f32x4.add.
 * IEEE addition is lane-wise and exact-rounded, so this equals addF32Scalar
 * bit for bit; the scalar tail handles the last n % 4 elements.
 */
export function addF32(a: usize, b: usize, out: usize, n: i32): void {
  const bulk = n & ~3; // largest multiple of 4 <= n (negative n: no iterations)
  let i = 0;
  for (; i < bulk; i += 4) {
    const off = <usize>i << 2;
    v128.store(out + off, f32x4.add(v128.load(a + off), v128.load(b + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, load<f32>(a + off) + load<f32>(b + off));
  }
}
