// The normalisation core of layer, group, instance and batch norm, on a
// contiguous float32 array seen as [A, B, C, D] (as in reduce.ts): one group
// per (a, c), whose n = B·D elements are x[a, b, c, d] for b < B, d < D.
//
//   mean = Σ x / n,   var = Σ (x − mean)² / n   (biased),   rstd = 1 / sqrt(var + eps)
//   y    = (x − mean) · rstd
//   backward:  dx = rstd · (g − mean(g) − y · mean(g·y))
//
// Layouts (from src/ops/norm.ts):
//   layer / group / instance norm  [K, 1, 1, R]   one contiguous row per group
//   batch norm                     [1, N, C, HW]  per channel, N chunks of HW
//   channels-first layer norm      [N, C, HW, 1]  HW groups side by side, SIMD across them
// Rows path (D > 1 or C == 1): per group, SIMD over each contiguous chunk.
// Columns path (D == 1, C > 1): per a, SIMD across the C groups, one row b at a time.
//
// float32 accuracy (a group with mean 1000 and spread 0.01 keeps its variance):
//   pass 1  m₁ = Σ x / n, a first estimate (blocked sums as in reduce.ts);
//   pass 2  with d = x − m₁ (exact when x is near m₁): Σ d and Σ d², then
//           mean = m₁ + Σd/n and var = Σd²/n − (Σd/n)²  (the corrected two-pass
//           algorithm: an error in m₁ cancels to second order);
//   pass 3  y = ((x − mean_hi) − mean_lo) · rstd, with the mean as the sum of two
//           floats (mean_hi = fl(mean), mean_lo = fl(mean − mean_hi)), so x − mean
//           is not rounded to the float32 grid around 1000.
// Statistics are formed in float64; sums are float32 partials of at most 32
// terms with float64 totals. The group stays in cache across its passes
// (a row of [3136, 64] is 256 bytes; a batch-norm channel of [8,64,32,32] 32 KiB).

import { reduceF32, reduceSumRowF32 } from "./reduce";
import { ROW_BLOCK, COL_BLOCK, f32at, addr, hsum64 } from "./simd-util";

// Two sums from one pass over a row are returned here.
let S1: f64 = 0;
let S2: f64 = 0;

// ---- specifications ---------------------------------------------------------------------

/** Specification: the formula for each group (a, c) in float64, two passes, results rounded to float32 once. */
export function normalizeF32Scalar(x: usize, y: usize, mean: usize, rstd: usize, A: i32, B: i32, C: i32, D: i32, eps: f64): void {
  const n = <f64>B * <f64>D;
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) {
      let s: f64 = 0;
      for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) s += <f64>f32at(x, ((a * B + b) * C + c) * D + d);
      const m = s / n;
      let q: f64 = 0;
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) {
          const dev = <f64>f32at(x, ((a * B + b) * C + c) * D + d) - m;
          q += dev * dev;
        }
      }
      const r = 1 / Math.sqrt(q / n + eps);
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) {
          const i = ((a * B + b) * C + c) * D + d;
          store<f32>(addr(y, i), <f32>((<f64>f32at(x, i) - m) * r));
        }
      }
      store<f32>(addr(mean, a * C + c), <f32>m);
      store<f32>(addr(rstd, a * C + c), <f32>r);
    }
  }
}

/** Specification of the backward: dx = rstd · (g − mean(g) − y · mean(g·y)) per group, in float64. */
export function normalizeBackwardF32Scalar(g: usize, y: usize, rstd: usize, dx: usize, A: i32, B: i32, C: i32, D: i32): void {
  const n = <f64>B * <f64>D;
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) {
      let sg: f64 = 0, sgy: f64 = 0;
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) {
          const i = ((a * B + b) * C + c) * D + d;
          sg += <f64>f32at(g, i);
          sgy += <f64>f32at(g, i) * <f64>f32at(y, i);
        }
      }
      const mg = sg / n, mgy = sgy / n, r = <f64>f32at(rstd, a * C + c);
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) {
          const i = ((a * B + b) * C + c) * D + d;
          store<f32>(addr(dx, i), <f32>(r * (<f64>f32at(g, i) - mg - <f64>f32at(y, i) * mgy)));
        }
      }
    }
  }
}

// ---- one contiguous chunk ---------------------------------------------------------------------

/** S1 += Σ (x − m), S2 += Σ (x − m)² over p[0..n). */
function devRow(p: usize, n: i32, m: f32): void {
  const M = f32x4.splat(m);
  const bulk = n & ~7;
  let i = 0;
  while (i < bulk) {
    const end = min(i + ROW_BLOCK / 2, bulk);
    let d0 = f32x4.splat(0), d1 = d0, q0 = d0, q1 = d0;
    for (; i < end; i += 8) {
      const q = addr(p, i);
      const e0 = f32x4.sub(v128.load(q), M), e1 = f32x4.sub(v128.load(q, 16), M);
      d0 = f32x4.add(d0, e0); d1 = f32x4.add(d1, e1);
      q0 = f32x4.add(q0, f32x4.mul(e0, e0)); q1 = f32x4.add(q1, f32x4.mul(e1, e1));
    }
    S1 += hsum64(f32x4.add(d0, d1));
    S2 += hsum64(f32x4.add(q0, q1));
  }
  for (; i < n; i++) {
    const e = f32at(p, i) - m;
    S1 += <f64>e;
    S2 += <f64>(e * e);
  }
}

/** y = ((x − hi) − lo) · r over n elements. */
function yRow(x: usize, y: usize, n: i32, hi: f32, lo: f32, r: f32): void {
  const H = f32x4.splat(hi), L = f32x4.splat(lo), Rv = f32x4.splat(r);
  const bulk = n & ~3;
  let i = 0;
  for (; i < bulk; i += 4) v128.store(addr(y, i), f32x4.mul(f32x4.sub(f32x4.sub(v128.load(addr(x, i)), H), L), Rv));
  for (; i < n; i++) store<f32>(addr(y, i), ((f32at(x, i) - hi) - lo) * r);
}

/** S1 += Σ g, S2 += Σ g·y over n elements. */
function gyRow(g: usize, y: usize, n: i32): void {
  const bulk = n & ~7;
  let i = 0;
  while (i < bulk) {
    const end = min(i + ROW_BLOCK / 2, bulk);
    let s0 = f32x4.splat(0), s1 = s0, p0 = s0, p1 = s0;
    for (; i < end; i += 8) {
      const gq = addr(g, i), yq = addr(y, i);
      const g0 = v128.load(gq), g1 = v128.load(gq, 16);
      s0 = f32x4.add(s0, g0); s1 = f32x4.add(s1, g1);
      p0 = f32x4.add(p0, f32x4.mul(g0, v128.load(yq))); p1 = f32x4.add(p1, f32x4.mul(g1, v128.load(yq, 16)));
    }
    S1 += hsum64(f32x4.add(s0, s1));
    S2 += hsum64(f32x4.add(p0, p1));
  }
  for (; i < n; i++) {
    const gi = f32at(g, i);
    S1 += <f64>gi;
    S2 += <f64>(gi * f32at(y, i));
  }
}

/** dx = r · ((g − mg) − y · mgy) over n elements. */
function dxRow(g: usize, y: usize, dx: usize, n: i32, mg: f32, mgy: f32, r: f32): void {
  const MG = f32x4.splat(mg), MGY = f32x4.splat(mgy), Rv = f32x4.splat(r);
  const bulk = n & ~3;
  let i = 0;
  for (; i < bulk; i += 4) {
    const t = f32x4.sub(f32x4.sub(v128.load(addr(g, i)), MG), f32x4.mul(v128.load(addr(y, i)), MGY));
    v128.store(addr(dx, i), f32x4.mul(t, Rv));
  }
  for (; i < n; i++) store<f32>(addr(dx, i), ((f32at(g, i) - mg) - f32at(y, i) * mgy) * r);
}

// ---- C groups side by side ---------------------------------------------------------------------

/** acc64[c] += f64(acc32[c]); acc32[c] = 0. */
function flush(acc64: usize, acc32: usize, C: i32): void {
  for (let c = 0; c < C; c++) {
    const p = acc64 + (<usize>c << 3);
    store<f64>(p, load<f64>(p) + <f64>f32at(acc32, c));
    store<f32>(addr(acc32, c), 0);
  }
}

/**
 * Scratch for the columns path: 2 rows of C doubles (d0, d1), then 3 rows of C
 * floats (f0, f1, f2), carved from one block at `base`.
 */
@inline function scratch(C: i32): usize { return heap.alloc(<usize>C * 28); }
@inline function d0(base: usize): usize { return base; }
@inline function d1(base: usize, C: i32): usize { return base + (<usize>C << 3); }
@inline function f0(base: usize, C: i32): usize { return base + (<usize>C << 4); }
@inline function f1(base: usize, C: i32): usize { return base + (<usize>C << 4) + (<usize>C << 2); }
@inline function f2(base: usize, C: i32): usize { return base + (<usize>C << 4) + (<usize>C << 3); }

/**
 * One [B, C] block x (C groups of B): writes y, and mean/rstd for the C groups.
 * Scratch: m1 = m₁ then mean_hi; a1, a2 = the float32 block sums of d and d², then mean_lo and rstd;
 * t1, t2 = the float64 sums of d and d².
 */
function normalizeColumns(x: usize, y: usize, mean: usize, rstd: usize, B: i32, C: i32, eps: f64, s: usize): void {
  const bulk = C & ~3;
  const rowBytes = <usize>C << 2;
  const n = <f64>B;
  const m1 = f0(s, C), a1 = f1(s, C), a2 = f2(s, C), t1 = d0(s), t2 = d1(s, C);
  // pass 1: m₁[c] = Σ_b x[b, c] / n
  reduceF32(0, x, m1, 1, B, C, 1);
  const invN = <f32>(1 / n);
  for (let c = 0; c < C; c++) store<f32>(addr(m1, c), f32at(m1, c) * invN);
  // pass 2: Σ d, Σ d² with d = x − m₁
  memory.fill(a1, 0, rowBytes << 1); // a1 and a2
  memory.fill(t1, 0, rowBytes << 2); // t1 and t2
  for (let b = 0; b < B; b++) {
    const row = x + <usize>b * rowBytes;
    let c = 0;
    for (; c < bulk; c += 4) {
      const d = f32x4.sub(v128.load(addr(row, c)), v128.load(addr(m1, c)));
      v128.store(addr(a1, c), f32x4.add(v128.load(addr(a1, c)), d));
      v128.store(addr(a2, c), f32x4.add(v128.load(addr(a2, c)), f32x4.mul(d, d)));
    }
    for (; c < C; c++) {
      const d = f32at(row, c) - f32at(m1, c);
      store<f32>(addr(a1, c), f32at(a1, c) + d);
      store<f32>(addr(a2, c), f32at(a2, c) + d * d);
    }
    if ((b + 1) % COL_BLOCK == 0) { flush(t1, a1, C); flush(t2, a2, C); }
  }
  flush(t1, a1, C); flush(t2, a2, C);
  // statistics; m1, a1, a2 become mean_hi, mean_lo, rstd
  for (let c = 0; c < C; c++) {
    const dm = load<f64>(t1 + (<usize>c << 3)) / n;
    const mu = <f64>f32at(m1, c) + dm;
    const v = max(load<f64>(t2 + (<usize>c << 3)) / n - dm * dm, 0);
    const r = 1 / Math.sqrt(v + eps);
    const hi = <f32>mu;
    store<f32>(addr(m1, c), hi);
    store<f32>(addr(a1, c), <f32>(mu - <f64>hi));
    store<f32>(addr(a2, c), <f32>r);
    store<f32>(addr(mean, c), hi);
    store<f32>(addr(rstd, c), <f32>r);
  }
  // pass 3: y = ((x − hi) − lo) · rstd
  for (let b = 0; b < B; b++) {
    const row = x + <usize>b * rowBytes, yr = y + <usize>b * rowBytes;
    let c = 0;
    for (; c < bulk; c += 4) {
      const t = f32x4.sub(f32x4.sub(v128.load(addr(row, c)), v128.load(addr(m1, c))), v128.load(addr(a1, c)));
      v128.store(addr(yr, c), f32x4.mul(t, v128.load(addr(a2, c))));
    }
    for (; c < C; c++) store<f32>(addr(yr, c), ((f32at(row, c) - f32at(m1, c)) - f32at(a1, c)) * f32at(a2, c));
  }
}

/** One [B, C] block of the backward. Scratch: a1, a2 = float32 block sums of g and g·y, then mean(g) and mean(g·y); t1, t2 their float64 sums. */
function normalizeBackwardColumns(g: usize, y: usize, rstd: usize, dx: usize, B: i32, C: i32, s: usize): void {
  const bulk = C & ~3;
  const rowBytes = <usize>C << 2;
  const a1 = f0(s, C), a2 = f1(s, C), t1 = d0(s), t2 = d1(s, C);
  memory.fill(a1, 0, rowBytes << 1);
  memory.fill(t1, 0, rowBytes << 2);
  for (let b = 0; b < B; b++) {
    const gr = g + <usize>b * rowBytes, yr = y + <usize>b * rowBytes;
    let c = 0;
    for (; c < bulk; c += 4) {
      const gv = v128.load(addr(gr, c));
      v128.store(addr(a1, c), f32x4.add(v128.load(addr(a1, c)), gv));
      v128.store(addr(a2, c), f32x4.add(v128.load(addr(a2, c)), f32x4.mul(gv, v128.load(addr(yr, c)))));
    }
    for (; c < C; c++) {
      const gv = f32at(gr, c);
      store<f32>(addr(a1, c), f32at(a1, c) + gv);
      store<f32>(addr(a2, c), f32at(a2, c) + gv * f32at(yr, c));
    }
    if ((b + 1) % COL_BLOCK == 0) { flush(t1, a1, C); flush(t2, a2, C); }
  }
  flush(t1, a1, C); flush(t2, a2, C);
  const n = <f64>B;
  for (let c = 0; c < C; c++) {
    store<f32>(addr(a1, c), <f32>(load<f64>(t1 + (<usize>c << 3)) / n));
    store<f32>(addr(a2, c), <f32>(load<f64>(t2 + (<usize>c << 3)) / n));
  }
  for (let b = 0; b < B; b++) {
    const gr = g + <usize>b * rowBytes, yr = y + <usize>b * rowBytes, dr = dx + <usize>b * rowBytes;
    let c = 0;
    for (; c < bulk; c += 4) {
      const t = f32x4.sub(f32x4.sub(v128.load(addr(gr, c)), v128.load(addr(a1, c))), f32x4.mul(v128.load(addr(yr, c)), v128.load(addr(a2, c))));
      v128.store(addr(dr, c), f32x4.mul(t, v128.load(addr(rstd, c))));
    }
    for (; c < C; c++) store<f32>(addr(dr, c), ((f32at(gr, c) - f32at(a1, c)) - f32at(yr, c) * f32at(a2, c)) * f32at(rstd, c));
  }
}

// ---- the kernels -------------------------------------------------------------------------------

/** y = (x − mean) · rstd per group, with mean and rstd (A·C floats each), SIMD. */
export function normalizeF32(x: usize, y: usize, mean: usize, rstd: usize, A: i32, B: i32, C: i32, D: i32, eps: f64): void {
  if (D > 1 || C == 1) {
    const n = <f64>B * <f64>D;
    const step = <usize>C * <usize>D << 2;
    for (let a = 0; a < A; a++) {
      for (let c = 0; c < C; c++) {
        const first = addr(x, (a * B * C + c) * D), yFirst = addr(y, (a * B * C + c) * D);
        // pass 1
        let s: f64 = 0;
        let p = first;
        for (let b = 0; b < B; b++, p += step) s += reduceSumRowF32(p, D);
        const m1 = <f32>(s / n);
        // pass 2
        S1 = 0; S2 = 0;
        p = first;
        for (let b = 0; b < B; b++, p += step) devRow(p, D, m1);
        const dm = S1 / n;
        const mu = <f64>m1 + dm;
        const v = max(S2 / n - dm * dm, 0);
        const r = 1 / Math.sqrt(v + eps);
        const hi = <f32>mu, lo = <f32>(mu - <f64>hi), r32 = <f32>r;
        // pass 3
        p = first;
        let q = yFirst;
        for (let b = 0; b < B; b++, p += step, q += step) yRow(p, q, D, hi, lo, r32);
        store<f32>(addr(mean, a * C + c), hi);
        store<f32>(addr(rstd, a * C + c), r32);
      }
    }
    return;
  }
  const s = scratch(C);
  for (let a = 0; a < A; a++) {
    const o = a * B * C;
    normalizeColumns(addr(x, o), addr(y, o), addr(mean, a * C), addr(rstd, a * C), B, C, eps, s);
  }
  heap.free(s);
}

/** dx = rstd · (g − mean(g) − y · mean(g·y)) per group, SIMD. */
export function normalizeBackwardF32(g: usize, y: usize, rstd: usize, dx: usize, A: i32, B: i32, C: i32, D: i32): void {
  if (D > 1 || C == 1) {
    const n = <f64>B * <f64>D;
    const step = <usize>C * <usize>D << 2;
    for (let a = 0; a < A; a++) {
      for (let c = 0; c < C; c++) {
        const off = (a * B * C + c) * D;
        S1 = 0; S2 = 0;
        let pg = addr(g, off), py = addr(y, off);
        for (let b = 0; b < B; b++, pg += step, py += step) gyRow(pg, py, D);
        const mg = <f32>(S1 / n), mgy = <f32>(S2 / n), r = f32at(rstd, a * C + c);
        pg = addr(g, off); py = addr(y, off);
        let pd = addr(dx, off);
        for (let b = 0; b < B; b++, pg += step, py += step, pd += step) dxRow(pg, py, pd, D, mg, mgy, r);
      }
    }
    return;
  }
  const s = scratch(C);
  for (let a = 0; a < A; a++) {
    const o = a * B * C;
    normalizeBackwardColumns(addr(g, o), addr(y, o), addr(rstd, a * C), addr(dx, o), B, C, s);
  }
  heap.free(s);
}
