// GEMM micro-kernels: one MR×NR tile of C computed in v128 registers.
//
//   C[i][j] (+)= Σ_{k < kc} Ap[k][i] · Bp[k][j]          0 ≤ i < MR, 0 ≤ j < NR
//
// Ap is a packed A micro-panel (MR values per k: column k of the MR rows),
// Bp a packed B micro-panel (NR values per k: row k of the NR columns); both
// are laid out by the packing routines in ./matmul.ts, contiguous in k.
// Each k step: load NR/4 vectors of Bp, then for each of the MR rows splat one
// value of Ap (v128.load32_splat) and do acc += a · b with f32x4.mul + f32x4.add
// on every accumulator of the row. That is the scalar loop of matmulScalar
// with the i and j loops unrolled into registers; the k loop and the order of
// the additions are unchanged, so the result is the same float32 bit for bit.
//
// `accumulate` false: the accumulators start at 0 (first K block);
// true: they start at the current C values, so a K split into blocks adds in
// exactly the order of one unsplit loop. `ldc` is the row stride of C in
// bytes. C rows need no alignment (v128.load/store are unaligned-safe).
//
// V8 (TurboFan on x64) has 15 usable SIMD registers. The count in each
// kernel's comment is the least it needs; V8 adds one product temporary
// (no FMA) and loads all of a k step's splats before the arithmetic, so in
// practice 4x8 is the largest shape that never spills. Measured tile speeds,
// and why 5x8 is the default anyway, are in the header of ./matmul.ts.
//
// Each kernel is written out, not generated at run time: a reader can check
// row i, column vector j against the formula above.

/** C[4x8] (+)= Ap[4 x kc] · Bp[kc x 8]: 8 accumulators + 2 B vectors + 1 A splat = 11 v128 registers. */
export function kernel4x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0), c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (accumulate) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a); c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(a, 4); c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(a, 8); c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(a, 12); c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    a += 16;
    b += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

/** C[5x8] (+)= Ap[5 x kc] · Bp[kc x 8]: 10 accumulators + 2 B vectors + 1 A splat = 13 v128 registers. */
export function kernel5x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0), c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0), c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  if (accumulate) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
    c40 = v128.load(c + 4 * ldc); c41 = v128.load(c + 4 * ldc, 16);
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a); c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(a, 4); c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(a, 8); c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(a, 12); c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    const a4 = v128.load32_splat(a, 16); c40 = f32x4.add(c40, f32x4.mul(a4, b0)); c41 = f32x4.add(c41, f32x4.mul(a4, b1));
    a += 20;
    b += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
  v128.store(c + 4 * ldc, c40); v128.store(c + 4 * ldc, c41, 16);
}

/** C[6x8] (+)= Ap[6 x kc] · Bp[kc x 8]: 12 accumulators + 2 B vectors + 1 A splat = 15 v128 registers. */
export function kernel6x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0), c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0), c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  if (accumulate) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
    c40 = v128.load(c + 4 * ldc); c41 = v128.load(c + 4 * ldc, 16);
    c50 = v128.load(c + 5 * ldc); c51 = v128.load(c + 5 * ldc, 16);
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a); c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(a, 4); c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(a, 8); c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(a, 12); c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    const a4 = v128.load32_splat(a, 16); c40 = f32x4.add(c40, f32x4.mul(a4, b0)); c41 = f32x4.add(c41, f32x4.mul(a4, b1));
    const a5 = v128.load32_splat(a, 20); c50 = f32x4.add(c50, f32x4.mul(a5, b0)); c51 = f32x4.add(c51, f32x4.mul(a5, b1));
    a += 24;
    b += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
  v128.store(c + 4 * ldc, c40); v128.store(c + 4 * ldc, c41, 16);
  v128.store(c + 5 * ldc, c50); v128.store(c + 5 * ldc, c51, 16);
}

/** C[3x12] (+)= Ap[3 x kc] · Bp[kc x 12]: 9 accumulators + 3 B vectors + 1 A splat = 13 v128 registers. */
export function kernel3x12(kc: i32, a: usize, b: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
  if (accumulate) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16); c12 = v128.load(c + ldc, 32);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16); c22 = v128.load(c + 2 * ldc, 32);
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32);
    const a0 = v128.load32_splat(a); c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1)); c02 = f32x4.add(c02, f32x4.mul(a0, b2));
    const a1 = v128.load32_splat(a, 4); c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1)); c12 = f32x4.add(c12, f32x4.mul(a1, b2));
    const a2 = v128.load32_splat(a, 8); c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1)); c22 = f32x4.add(c22, f32x4.mul(a2, b2));
    a += 12;
    b += 48;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); v128.store(c + ldc, c12, 32);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16); v128.store(c + 2 * ldc, c22, 32);
}

/** C[4x12] (+)= Ap[4 x kc] · Bp[kc x 12]: 12 accumulators + 3 B vectors + 1 A splat = 16 v128 registers. */
export function kernel4x12(kc: i32, a: usize, b: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0), c32 = f32x4.splat(0);
  if (accumulate) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16); c12 = v128.load(c + ldc, 32);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16); c22 = v128.load(c + 2 * ldc, 32);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16); c32 = v128.load(c + 3 * ldc, 32);
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32);
    const a0 = v128.load32_splat(a); c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1)); c02 = f32x4.add(c02, f32x4.mul(a0, b2));
    const a1 = v128.load32_splat(a, 4); c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1)); c12 = f32x4.add(c12, f32x4.mul(a1, b2));
    const a2 = v128.load32_splat(a, 8); c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1)); c22 = f32x4.add(c22, f32x4.mul(a2, b2));
    const a3 = v128.load32_splat(a, 12); c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1)); c32 = f32x4.add(c32, f32x4.mul(a3, b2));
    a += 16;
    b += 48;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); v128.store(c + ldc, c12, 32);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16); v128.store(c + 2 * ldc, c22, 32);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16); v128.store(c + 3 * ldc, c32, 32);
}

