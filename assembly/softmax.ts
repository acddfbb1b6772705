// softmax and log_softmax along one axis of a contiguous float32 array, and
// their backward. x is seen as [A, R, C]; the axis is R:
//
//   softmax:      y_r = e^(x_r − m) / Σ_k e^(x_k − m)        m = max_k x_k
//   log_softmax:  y_r = (x_r − m) − log Σ_k e^(x_k − m)
//   backward:     softmax      dx_r = y_r · (g_r − Σ_k g_k y_k)
//                 log_softmax  dx_r = g_r − e^(y_r) · Σ_k g_k
//
// m only prevents overflow (it cancels). An all −∞ row has m = −∞; it is
// replaced by 0 so the row gives 0/0 = NaN, like the reference and PyTorch.
// A NaN anywhere in a softmax makes its whole output NaN (through s), as in the reference.
//
// Layouts: C == 1 is one contiguous row per softmax (SIMD over the row);
// C > 1 runs C softmaxes side by side (SIMD across them, one row r at a time,
// with scratch rows for m and the sums).
//
// Passes: (1) m = max (cheap: one f32x4.pmax per 4 elements); (2) e = exp(x − m),
// stored in the output, and s = Σ e; (3) the output times 1/s. A one-pass
// "online" max+sum (rescaling s whenever m grows) would save pass 1 but needs
// a second exp per element in pass 3, and exp is what costs here: a row of
// [256, 1024] is 4 KiB and stays in L1 across the passes.
//
// Sums: float32 partial sums, each through at most 34 roundings, totals in float64 (as in reduce.ts).
//
// exp: expApprox below, the same arithmetic on one lane (scalar) or four
// (SIMD), so the SIMD kernels and their scalar specifications use the same exp.

import { ROW_BLOCK, COL_BLOCK, f32at, addr, hsum64 } from "./simd-util";

// ---- exp -------------------------------------------------------------------------------
//
// e^x = 2^n · e^r with n = round(x / ln 2) and r = x − n·ln 2 (|r| ≤ ln2 / 2),
// ln 2 split in two (Cody–Waite) so that n·LN2_HI is exact. Adding
// SHIFT = 1.5·2²³ + 127 to x/ln 2 rounds it to an integer n held in the low
// mantissa bits, as n + 127: shifting those bits left by 23 builds s = 2^n.
// Then e^r ≈ 1 + r·p(r), p of degree 4, and
//
//   e^x = s + (r·s)·p(r)        (r·s is exact: s is a power of two)
//
// p's coefficients are a minimax fit of (e^r − 1)/r for relative error on
// [−ln2/2, ln2/2] (linear programming on 4000 points), then nudged by a few
// float32 ulps to minimise the error of this exact float32 evaluation.
// 19 operations per 4 lanes: exp is most of softmax's time, and a degree-6
// polynomial (Cephes expf, < 1 ulp) was 20% slower for about 2 ulp less error.
//
// Valid for x ≤ 88 (the kernels only call it with x ≤ 0). Below
// UNDERFLOW = ln(2^−126) ≈ −87.34 it returns 0 (the true value is subnormal):
// −∞ gives 0, and NaN gives NaN. Accuracy: within 3 ulp of e^x on
// [UNDERFLOW, 0] (test/wasm-reduce.test.ts measures it).

const LOG2E: f32 = 1.44269504088896341;
const SHIFT: f32 = 12583039.0; // 0x1.8000FEp23
const LN2_HI: f32 = 0.693359375; // 355/512: n·LN2_HI is exact for |n| < 2^15
const LN2_LO: f32 = -2.12194440e-4; // ln 2 − LN2_HI
const UNDERFLOW: f32 = -87.33654475;
const C2: f32 = 0.49999070167541504; // 0x1.fffd90p-2
const C3: f32 = 0.16666939854621887; // 0x1.5556c4p-3
const C4: f32 = 0.04190804436802864; // 0x1.574f8ap-5
const C5: f32 = 0.008325664326548576; // 0x1.10d0bcp-7

/** e^x on one float: the specification of exp4, lane for lane. */
@inline function expApprox(x: f32): f32 {
  const t = x * LOG2E + SHIFT;
  const s = reinterpret<f32>(reinterpret<i32>(t) << 23); // 2^n
  const n = t - SHIFT;
  const r = (x - n * LN2_HI) - n * LN2_LO;
  let p = C5 * r + C4;
  p = p * r + C3;
  p = p * r + C2;
  p = p * r + 1;
  const y = (r * s) * p + s;
  return x < UNDERFLOW ? 0 : y;
}

// The constants as f32x4 rows in static memory: V8 loads a row with one
// instruction, where a v128.const costs three (movq, vmovq, vpunpcklqdq) at
// every use inside a loop.
const K_LOG2E = 0, K_SHIFT = 1, K_LN2_HI = 2, K_LN2_LO = 3, K_C5 = 4, K_C4 = 5, K_C3 = 6, K_C2 = 7, K_ONE = 8, K_UNDERFLOW = 9;
const EXP_K = memory.data<f32>([
  LOG2E, LOG2E, LOG2E, LOG2E, SHIFT, SHIFT, SHIFT, SHIFT,
  LN2_HI, LN2_HI, LN2_HI, LN2_HI, LN2_LO, LN2_LO, LN2_LO, LN2_LO,
  C5, C5, C5, C5, C4, C4, C4, C4, C3, C3, C3, C3, C2, C2, C2, C2,
  1, 1, 1, 1, UNDERFLOW, UNDERFLOW, UNDERFLOW, UNDERFLOW,
], 16);
@inline function K(row: i32): v128 { return v128.load(EXP_K + (<usize>row << 4)); }

/** e^x on four floats for x ≥ UNDERFLOW (or NaN): expApprox in each lane, without the underflow test. */
@inline function exp4Normal(x: v128): v128 {
  const t = f32x4.add(f32x4.mul(x, K(K_LOG2E)), K(K_SHIFT));
  const s = i32x4.shl(t, 23);
  const n = f32x4.sub(t, K(K_SHIFT));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, K(K_LN2_HI))), f32x4.mul(n, K(K_LN2_LO)));
  let p = f32x4.add(f32x4.mul(K(K_C5), r), K(K_C4));
  p = f32x4.add(f32x4.mul(p, r), K(K_C3));
  p = f32x4.add(f32x4.mul(p, r), K(K_C2));
  p = f32x4.add(f32x4.mul(p, r), K(K_ONE));
  return f32x4.add(f32x4.mul(f32x4.mul(r, s), p), s);
}

/** e^x on four floats: expApprox in each lane. */
@inline function exp4(x: v128): v128 {
  return v128.andnot(exp4Normal(x), f32x4.lt(x, K(K_UNDERFLOW)));
}

/** out[i] = expApprox(x[i]), plain loop: the specification of softmaxExpF32. */
export function softmaxExpF32Scalar(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(addr(out, i), expApprox(f32at(x, i)));
}

/** out[i] = e^x[i] with exp4, scalar tail; equal to softmaxExpF32Scalar bit for bit. */
export function softmaxExpF32(x: usize, out: usize, n: i32): void {
  const bulk = n & ~3;
  let i = 0;
  for (; i < bulk; i += 4) v128.store(addr(out, i), exp4(v128.load(addr(x, i))));
  for (; i < n; i++) store<f32>(addr(out, i), expApprox(f32at(x, i)));
}

// ---- specifications -----------------------------------------------------------------------

/** Specification: the formula, one softmax at a time (index a·R·C + r·C + c), sums in f64. */
export function softmaxF32Scalar(x: usize, out: usize, A: i32, R: i32, C: i32, log: bool): void {
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) {
      const base = a * R * C + c;
      let m: f32 = -Infinity;
      for (let r = 0; r < R; r++) m = max(m, f32at(x, base + r * C));
      if (m == -Infinity) m = 0;
      let s: f64 = 0;
      for (let r = 0; r < R; r++) s += <f64>expApprox(f32at(x, base + r * C) - m);
      const inv = <f32>(1 / s), logS = <f32>Math.log(s);
      for (let r = 0; r < R; r++) {
        const z = f32at(x, base + r * C) - m;
        store<f32>(addr(out, base + r * C), log ? z - logS : expApprox(z) * inv);
      }
    }
  }
}

/** Specification of the backward, one softmax at a time, sums in f64. */
export function softmaxBackwardF32Scalar(y: usize, g: usize, out: usize, A: i32, R: i32, C: i32, log: bool): void {
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) {
      const base = a * R * C + c;
      let s: f64 = 0;
      for (let r = 0; r < R; r++) {
        const i = base + r * C;
        s += log ? <f64>f32at(g, i) : <f64>f32at(g, i) * <f64>f32at(y, i);
      }
      const s32 = <f32>s;
      for (let r = 0; r < R; r++) {
        const i = base + r * C;
        const yi = f32at(y, i), gi = f32at(g, i);
        store<f32>(addr(out, i), log ? gi - expApprox(yi) * s32 : yi * (gi - s32));
      }
    }
  }
}

// ---- one contiguous row (C == 1) ---------------------------------------------------------

// pass 1 returns max and min of the row: the min tells pass 2 whether any
// x − m can fall below UNDERFLOW (−∞ entries, e.g. masked attention scores).
let ROW_MIN: f32 = 0;

/** max of the row (−∞ → 0), and its min in ROW_MIN; pmax/pmin may drop a NaN, which then makes s NaN in pass 2. */
function rowMaxMin(x: usize, n: i32): f32 {
  const bulk = n & ~15;
  let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  let l0 = f32x4.splat(Infinity), l1 = l0;
  let i = 0;
  for (; i < bulk; i += 16) {
    const q = addr(x, i);
    const v0 = v128.load(q), v1 = v128.load(q, 16), v2 = v128.load(q, 32), v3 = v128.load(q, 48);
    m0 = f32x4.pmax(m0, v0); m1 = f32x4.pmax(m1, v1); m2 = f32x4.pmax(m2, v2); m3 = f32x4.pmax(m3, v3);
    l0 = f32x4.pmin(l0, f32x4.pmin(v0, v1)); l1 = f32x4.pmin(l1, f32x4.pmin(v2, v3));
  }
  const mv = f32x4.max(f32x4.max(m0, m1), f32x4.max(m2, m3));
  const lv = f32x4.min(l0, l1);
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  let lo = min(min(f32x4.extract_lane(lv, 0), f32x4.extract_lane(lv, 1)), min(f32x4.extract_lane(lv, 2), f32x4.extract_lane(lv, 3)));
  for (; i < n; i++) {
    const v = f32at(x, i);
    m = max(m, v);
    lo = min(lo, v);
  }
  ROW_MIN = lo;
  return m == -Infinity ? 0 : m;
}

/**
 * Pass 2: e = exp(x − m), stored to out when `keep`; returns Σ e. Eight
 * vectors per iteration: exp is a long dependency chain, and eight independent
 * ones keep the FP pipes busy. `normal` (every x − m ≥ UNDERFLOW) skips the
 * underflow test. Sums: a0, a1 take a tree of four e per step, 16 steps per
 * block, block totals in f64.
 */
@inline function expSum(x: usize, out: usize, n: i32, m: f32, keep: bool, normal: bool): f64 {
  const M = f32x4.splat(m);
  const bulk = n & ~31;
  let s: f64 = 0;
  let i = 0;
  while (i < bulk) {
    const end = min(i + ROW_BLOCK, bulk);
    let a0 = f32x4.splat(0), a1 = a0;
    for (; i < end; i += 32) {
      const q = addr(x, i);
      let e0: v128, e1: v128, e2: v128, e3: v128, e4: v128, e5: v128, e6: v128, e7: v128;
      if (normal) {
        e0 = exp4Normal(f32x4.sub(v128.load(q), M)); e1 = exp4Normal(f32x4.sub(v128.load(q, 16), M));
        e2 = exp4Normal(f32x4.sub(v128.load(q, 32), M)); e3 = exp4Normal(f32x4.sub(v128.load(q, 48), M));
        e4 = exp4Normal(f32x4.sub(v128.load(q, 64), M)); e5 = exp4Normal(f32x4.sub(v128.load(q, 80), M));
        e6 = exp4Normal(f32x4.sub(v128.load(q, 96), M)); e7 = exp4Normal(f32x4.sub(v128.load(q, 112), M));
      } else {
        e0 = exp4(f32x4.sub(v128.load(q), M)); e1 = exp4(f32x4.sub(v128.load(q, 16), M));
        e2 = exp4(f32x4.sub(v128.load(q, 32), M)); e3 = exp4(f32x4.sub(v128.load(q, 48), M));
        e4 = exp4(f32x4.sub(v128.load(q, 64), M)); e5 = exp4(f32x4.sub(v128.load(q, 80), M));
        e6 = exp4(f32x4.sub(v128.load(q, 96), M)); e7 = exp4(f32x4.sub(v128.load(q, 112), M));
      }
      if (keep) {
        const o = addr(out, i);
        v128.store(o, e0); v128.store(o, e1, 16); v128.store(o, e2, 32); v128.store(o, e3, 48);
        v128.store(o, e4, 64); v128.store(o, e5, 80); v128.store(o, e6, 96); v128.store(o, e7, 112);
      }
      a0 = f32x4.add(a0, f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)));
      a1 = f32x4.add(a1, f32x4.add(f32x4.add(e4, e5), f32x4.add(e6, e7)));
    }
    s += hsum64(f32x4.add(a0, a1));
  }
  // the rest: four at a time, then one at a time
  const bulk4 = n & ~3;
  if (i < bulk4) {
    let a = f32x4.splat(0);
    for (; i < bulk4; i += 4) {
      const e = exp4(f32x4.sub(v128.load(addr(x, i)), M));
      if (keep) v128.store(addr(out, i), e);
      a = f32x4.add(a, e);
    }
    s += hsum64(a);
  }
  for (; i < n; i++) {
    const e = expApprox(f32at(x, i) - m);
    if (keep) store<f32>(addr(out, i), e);
    s += <f64>e;
  }
  return s;
}

function softmaxRow(x: usize, out: usize, n: i32, log: bool): void {
  // pass 1: m = max x
  const m = rowMaxMin(x, n);
  const normal = ROW_MIN - m >= UNDERFLOW;
  // pass 2: e = exp(x − m) (stored for softmax), s = Σ e
  const s = log
    ? (normal ? expSum(x, out, n, m, false, true) : expSum(x, out, n, m, false, false))
    : (normal ? expSum(x, out, n, m, true, true) : expSum(x, out, n, m, true, false));
  // pass 3
  const M = f32x4.splat(m);
  const bulk4 = n & ~3;
  let i = 0;
  if (log) {
    const logS = <f32>Math.log(s);
    const L = f32x4.splat(logS);
    for (; i < bulk4; i += 4) v128.store(addr(out, i), f32x4.sub(f32x4.sub(v128.load(addr(x, i)), M), L));
    for (; i < n; i++) store<f32>(addr(out, i), (f32at(x, i) - m) - logS);
  } else {
    const inv = <f32>(1 / s);
    const I = f32x4.splat(inv);
    for (; i < bulk4; i += 4) v128.store(addr(out, i), f32x4.mul(v128.load(addr(out, i)), I));
    for (; i < n; i++) store<f32>(addr(out, i), f32at(out, i) * inv);
  }
}

function softmaxBackwardRow(y: usize, g: usize, out: usize, n: i32, log: bool): void {
  const bulk = n & ~15;
  // s = Σ g·y (softmax) or Σ g (log_softmax)
  let s: f64 = 0;
  let i = 0;
  while (i < bulk) {
    const end = min(i + ROW_BLOCK, bulk);
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    if (log) {
      for (; i < end; i += 16) {
        const q = addr(g, i);
        a0 = f32x4.add(a0, v128.load(q)); a1 = f32x4.add(a1, v128.load(q, 16));
        a2 = f32x4.add(a2, v128.load(q, 32)); a3 = f32x4.add(a3, v128.load(q, 48));
      }
    } else {
      for (; i < end; i += 16) {
        const q = addr(g, i), p = addr(y, i);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(q), v128.load(p)));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(q, 16), v128.load(p, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(q, 32), v128.load(p, 32)));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(q, 48), v128.load(p, 48)));
      }
    }
    s += hsum64(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  }
  for (; i < n; i++) s += log ? <f64>f32at(g, i) : <f64>(f32at(g, i) * f32at(y, i));
  const s32 = <f32>s;
  const S = f32x4.splat(s32);
  const bulk4 = n & ~3;
  i = 0;
  if (log) {
    for (; i < bulk4; i += 4) v128.store(addr(out, i), f32x4.sub(v128.load(addr(g, i)), f32x4.mul(exp4(v128.load(addr(y, i))), S)));
    for (; i < n; i++) store<f32>(addr(out, i), f32at(g, i) - expApprox(f32at(y, i)) * s32);
  } else {
    for (; i < bulk4; i += 4) {
      const yv = v128.load(addr(y, i));
      v128.store(addr(out, i), f32x4.mul(yv, f32x4.sub(v128.load(addr(g, i)), S)));
    }
    for (; i < n; i++) store<f32>(addr(out, i), f32at(y, i) * (f32at(g, i) - s32));
  }
}

// ---- C softmaxes side by side (C > 1) --------------------------------------------------------

/** acc64[c] += f64(acc32[c]); acc32[c] = 0, for c < C. */
function flush(acc64: usize, acc32: usize, C: i32): void {
  for (let c = 0; c < C; c++) {
    const p = acc64 + (<usize>c << 3);
    store<f64>(p, load<f64>(p) + <f64>f32at(acc32, c));
    store<f32>(addr(acc32, c), 0);
  }
}

/**
 * x is one [R, C] block. m (C floats), s32 (C floats) and s64 (C doubles) are scratch.
 * Sums: s32 accumulates COL_BLOCK rows in float32, then is added to s64.
 */
function softmaxColumns(x: usize, out: usize, R: i32, C: i32, log: bool, m: usize, s32: usize, s64: usize): void {
  const bulk = C & ~3;
  const rowBytes = <usize>C << 2;
  // pass 1: m[c] = max_r x[r, c]  (−∞ → 0), by pmax (a dropped NaN makes s NaN in pass 2)
  memory.copy(m, x, rowBytes);
  for (let r = 1; r < R; r++) {
    const row = x + <usize>r * rowBytes;
    let c = 0;
    for (; c < bulk; c += 4) v128.store(addr(m, c), f32x4.pmax(v128.load(addr(m, c)), v128.load(addr(row, c))));
    for (; c < C; c++) store<f32>(addr(m, c), max(f32at(m, c), f32at(row, c)));
  }
  for (let c = 0; c < C; c++) if (f32at(m, c) == -Infinity) store<f32>(addr(m, c), 0);
  // pass 2: e = exp(x − m) (stored for softmax), s = Σ_r e; 16 columns per step for exp's latency
  memory.fill(s32, 0, rowBytes);
  memory.fill(s64, 0, <usize>C << 3);
  const bulk16 = C & ~15;
  for (let r = 0; r < R; r++) {
    const row = x + <usize>r * rowBytes, orow = out + <usize>r * rowBytes;
    let c = 0;
    for (; c < bulk16; c += 16) {
      const q = addr(row, c), mq = addr(m, c), sq = addr(s32, c);
      const e0 = exp4(f32x4.sub(v128.load(q), v128.load(mq)));
      const e1 = exp4(f32x4.sub(v128.load(q, 16), v128.load(mq, 16)));
      const e2 = exp4(f32x4.sub(v128.load(q, 32), v128.load(mq, 32)));
      const e3 = exp4(f32x4.sub(v128.load(q, 48), v128.load(mq, 48)));
      if (!log) {
        const o = addr(orow, c);
        v128.store(o, e0); v128.store(o, e1, 16); v128.store(o, e2, 32); v128.store(o, e3, 48);
      }
      v128.store(sq, f32x4.add(v128.load(sq), e0));
      v128.store(sq, f32x4.add(v128.load(sq, 16), e1), 16);
      v128.store(sq, f32x4.add(v128.load(sq, 32), e2), 32);
      v128.store(sq, f32x4.add(v128.load(sq, 48), e3), 48);
    }
    for (; c < bulk; c += 4) {
      const e = exp4(f32x4.sub(v128.load(addr(row, c)), v128.load(addr(m, c))));
      if (!log) v128.store(addr(orow, c), e);
      v128.store(addr(s32, c), f32x4.add(v128.load(addr(s32, c)), e));
    }
    for (; c < C; c++) {
      const e = expApprox(f32at(row, c) - f32at(m, c));
      if (!log) store<f32>(addr(orow, c), e);
      store<f32>(addr(s32, c), f32at(s32, c) + e);
    }
    if ((r + 1) % COL_BLOCK == 0) flush(s64, s32, C);
  }
  flush(s64, s32, C);
  // pass 3: s32 becomes 1/s (softmax) or log s (log_softmax)
  for (let c = 0; c < C; c++) {
    const s = load<f64>(s64 + (<usize>c << 3));
    store<f32>(addr(s32, c), log ? <f32>Math.log(s) : <f32>(1 / s));
  }
  for (let r = 0; r < R; r++) {
    const row = x + <usize>r * rowBytes, orow = out + <usize>r * rowBytes;
    let c = 0;
    if (log) {
      for (; c < bulk; c += 4) {
        v128.store(addr(orow, c), f32x4.sub(f32x4.sub(v128.load(addr(row, c)), v128.load(addr(m, c))), v128.load(addr(s32, c))));
      }
      for (; c < C; c++) store<f32>(addr(orow, c), (f32at(row, c) - f32at(m, c)) - f32at(s32, c));
    } else {
      for (; c < bulk; c += 4) v128.store(addr(orow, c), f32x4.mul(v128.load(addr(orow, c)), v128.load(addr(s32, c))));
      for (; c < C; c++) store<f32>(addr(orow, c), f32at(orow, c) * f32at(s32, c));
    }
  }
}

function softmaxBackwardColumns(y: usize, g: usize, out: usize, R: i32, C: i32, log: bool, s32: usize, s64: usize): void {
  const bulk = C & ~3;
  const rowBytes = <usize>C << 2;
  memory.fill(s32, 0, rowBytes);
  memory.fill(s64, 0, <usize>C << 3);
  for (let r = 0; r < R; r++) {
    const yr = y + <usize>r * rowBytes, gr = g + <usize>r * rowBytes;
    let c = 0;
    if (log) {
      for (; c < bulk; c += 4) v128.store(addr(s32, c), f32x4.add(v128.load(addr(s32, c)), v128.load(addr(gr, c))));
      for (; c < C; c++) store<f32>(addr(s32, c), f32at(s32, c) + f32at(gr, c));
    } else {
      for (; c < bulk; c += 4) v128.store(addr(s32, c), f32x4.add(v128.load(addr(s32, c)), f32x4.mul(v128.load(addr(gr, c)), v128.load(addr(yr, c)))));
      for (; c < C; c++) store<f32>(addr(s32, c), f32at(s32, c) + f32at(gr, c) * f32at(yr, c));
    }
    if ((r + 1) % COL_BLOCK == 0) flush(s64, s32, C);
  }
  flush(s64, s32, C);
  for (let c = 0; c < C; c++) store<f32>(addr(s32, c), <f32>load<f64>(s64 + (<usize>c << 3)));
  for (let r = 0; r < R; r++) {
    const yr = y + <usize>r * rowBytes, gr = g + <usize>r * rowBytes, orow = out + <usize>r * rowBytes;
    let c = 0;
    if (log) {
      for (; c < bulk; c += 4) {
        v128.store(addr(orow, c), f32x4.sub(v128.load(addr(gr, c)), f32x4.mul(exp4(v128.load(addr(yr, c))), v128.load(addr(s32, c)))));
      }
      for (; c < C; c++) store<f32>(addr(orow, c), f32at(gr, c) - expApprox(f32at(yr, c)) * f32at(s32, c));
    } else {
      for (; c < bulk; c += 4) {
        v128.store(addr(orow, c), f32x4.mul(v128.load(addr(yr, c)), f32x4.sub(v128.load(addr(gr, c)), v128.load(addr(s32, c)))));
      }
      for (; c < C; c++) store<f32>(addr(orow, c), f32at(yr, c) * (f32at(gr, c) - f32at(s32, c)));
    }
  }
}

// ---- the kernels ------------------------------------------------------------------------------

/** softmax (log = false) or log_softmax of x [A, R, C] along R into out (same shape), SIMD. */
export function softmaxF32(x: usize, out: usize, A: i32, R: i32, C: i32, log: bool): void {
  if (C == 1) {
    for (let a = 0; a < A; a++) softmaxRow(addr(x, a * R), addr(out, a * R), R, log);
    return;
  }
  // scratch in one block (so a failed allocation leaks nothing): s64 (C doubles), m, s32 (C floats each)
  const rowBytes = <usize>C << 2;
  const s64 = heap.alloc(rowBytes << 2), m = s64 + (rowBytes << 1), s32 = m + rowBytes;
  for (let a = 0; a < A; a++) softmaxColumns(addr(x, a * R * C), addr(out, a * R * C), R, C, log, m, s32, s64);
  heap.free(s64);
}

/** The gradient of softmaxF32 given its output y and the incoming gradient g, SIMD. */
export function softmaxBackwardF32(y: usize, g: usize, out: usize, A: i32, R: i32, C: i32, log: bool): void {
  if (C == 1) {
    for (let a = 0; a < A; a++) softmaxBackwardRow(addr(y, a * R), addr(g, a * R), addr(out, a * R), R, log);
    return;
  }
  // scratch in one block: s64 (C doubles), s32 (C floats)
  const rowBytes = <usize>C << 2;
  const s64 = heap.alloc(rowBytes * 3), s32 = s64 + (rowBytes << 1);
  for (let a = 0; a < A; a++) {
    const o = a * R * C;
    softmaxBackwardColumns(addr(y, o), addr(g, o), addr(out, o), R, C, log, s32, s64);
  }
  heap.free(s64);
}
