// Convolution kernels, float32, NCHW (the math is in src/backends/js/conv.ts).
//
// x [N,C,H,W], w [O,Cg,kh,kw] with G groups (Cg = C/G input, Og = O/G output
// channels per group). Tap (a, b) of output (i, j) reads the input at
//     ih = i·sh − ph + a·dh,   iw = j·sw − pw + b·dw        (outside: zero padding)
//
//   y[n,o,i,j] = Σ_{c<Cg, a<kh, b<kw} x[n, g·Cg+c, ih, iw] · w[o,c,a,b]
//
// Inputs are strided views: a base address and element strides per axis (any
// sign; 0 = broadcast). Outputs are contiguous. Every kernel copies the input
// it reads into a zero-padded scratch plane first (`padPlanes`), so the loops
// over the taps never test bounds: padded[ih + ph][iw + pw] = x[ih][iw].
//
// Each SIMD kernel has a scalar twin named ...Scalar with the same arguments:
// plain loops over the formula that the SIMD kernel must match (the test
// test/wasm-conv.test.ts holds them equal). Where the SIMD kernel adds the
// products of one output in the same order as its twin, they agree bit for bit.

// ---- addressing helpers ----------------------------------------------------------------------

/** Address of element `i` (signed element offset) from base `p`, 4-byte elements. */
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/**
 * Copy C planes of a strided view into a zero-padded contiguous buffer:
 *   dst[c][h + ph][w + pw] = src[c·sC + h·sH + w·sW],   dst is [C, Hp, Wp] (Hp ≥ H + ph, Wp ≥ W + pw),
 * every other element of dst is 0.
 */
export function padPlanes(src: usize, sC: i32, sH: i32, sW: i32, dst: usize, C: i32, H: i32, W: i32, ph: i32, pw: i32, Hp: i32, Wp: i32): void {
  // rows are short: plain f32x4 loops here beat memory.copy / memory.fill, which V8 runs as calls
  const right = Wp - W - pw, bottom = Hp - H - ph;
  for (let c = 0; c < C; c++) {
    const plane = dst + (<usize>c * <usize>Hp * <usize>Wp << 2);
    zeros(plane, ph * Wp);
    for (let h = 0; h < H; h++) {
      const row = plane + (<usize>((h + ph) * Wp) << 2);
      const s = at(src, c * sC + h * sH);
      zeros(row, pw);
      if (sW == 1) copyFloats(row + (<usize>pw << 2), s, W);
      else for (let w = 0; w < W; w++) store<f32>(row + (<usize>(w + pw) << 2), load<f32>(at(s, w * sW)));
      zeros(row + (<usize>(W + pw) << 2), right);
    }
    zeros(plane + (<usize>((H + ph) * Wp) << 2), bottom * Wp);
  }
}

/** dst[0..n) = 0. */
@inline function zeros(dst: usize, n: i32): void {
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** dst[0..n) = src[0..n) (no overlap). */
@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** Unmanaged scratch memory; freed by the caller with heap.free. */
@inline function scratch(bytes: usize): usize {
  return heap.alloc(bytes < 16 ? 16 : bytes);
}

// ---- dense convolution, stride 1 ----------------------------------------------------------------
//
// With stride 1 and the input padded, output (i, j) of channel o is a dot product of
// the weight row w[o, :] (K = Cg·kh·kw taps, k = (c·kh + a)·kw + b) with the taps
//     padded[c][i + a·dh][j + b·dw]  =  padded_flat[(i·Wp + j) + off[k]],   off[k] = c·Hp·Wp + a·dh·Wp + b·dw
// so a run of consecutive outputs j, j+1, ... reads consecutive inputs for every tap:
// an implicit GEMM  y[o, (i,j)] = Σ_k w[o,k] · X[k, (i,j)]  whose columns are never materialised.
// The SIMD kernel computes tiles of MR = 4 output channels × NR = 8 consecutive outputs of a row:
// per tap, two f32x4 loads of x, four splatted weights, 8 multiply-adds into 8 accumulators.

/**
 * Specification: y[n,o,i,j] = Σ_{c,a,b} x[n, g·Cg+c, i − ph + a·dh, j − pw + b·dw] · w[o,c,a,b]
 * (stride 1; taps outside the input are skipped), summed in f32 in the order c, a, b.
 * Ho = H + 2ph − dh·(kh−1), Wo likewise. Weight element (o = g·Og + r, c, a, b) is read at
 * w + (g·wsG + r·wsO + c·wsC + a·wsA + b·wsB)·4: for a plain weight view wsG = Og·wsO; the
 * input gradient passes the flipped, per-group transposed weight this way (no copy).
 */
export function conv2dS1F32Scalar(
  x: usize, xsN: i32, xsC: i32, xsH: i32, xsW: i32,
  w: usize, wsG: i32, wsO: i32, wsC: i32, wsA: i32, wsB: i32,
  y: usize, N: i32, C: i32, H: i32, W: i32, O: i32, G: i32,
  kh: i32, kw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  const Cg = C / G, Og = O / G;
  let out = y;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = o / Og;
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++) {
          let acc: f32 = 0;
          for (let c = 0; c < Cg; c++) {
            for (let a = 0; a < kh; a++) {
              const ih = i - ph + a * dh;
              if (ih < 0 || ih >= H) continue;
              for (let b = 0; b < kw; b++) {
                const iw = j - pw + b * dw;
                if (iw < 0 || iw >= W) continue;
                const xv = load<f32>(at(x, n * xsN + (g * Cg + c) * xsC + ih * xsH + iw * xsW));
                const wv = load<f32>(at(w, g * wsG + (o - g * Og) * wsO + c * wsC + a * wsA + b * wsB));
                acc += wv * xv;
              }
            }
          }
          store<f32>(out, acc);
          out += 4;
        }
      }
    }
  }
}

/** 4 output channels × 8 outputs: acc[r] += w[r,k] · x[k, 0..7] over k < K. Stores `cols` ≤ 8 outputs of `rows` ≤ 4 channels. */
@inline function tile4x8(xq: usize, wp: usize, offs: usize, K: i32, y: usize, yPlane: usize, rows: i32, cols: i32): void {
  let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
  let a1 = f32x4.splat(0), b1 = f32x4.splat(0);
  let a2 = f32x4.splat(0), b2 = f32x4.splat(0);
  let a3 = f32x4.splat(0), b3 = f32x4.splat(0);
  let wk = wp;
  const end = offs + (<usize>K << 2);
  for (let t = offs; t < end; t += 4) {
    const p = xq + <usize>load<i32>(t);
    const x0 = v128.load(p), x1 = v128.load(p, 16);
    let s = v128.load32_splat(wk);
    a0 = f32x4.add(a0, f32x4.mul(s, x0)); b0 = f32x4.add(b0, f32x4.mul(s, x1));
    s = v128.load32_splat(wk, 4);
    a1 = f32x4.add(a1, f32x4.mul(s, x0)); b1 = f32x4.add(b1, f32x4.mul(s, x1));
    s = v128.load32_splat(wk, 8);
    a2 = f32x4.add(a2, f32x4.mul(s, x0)); b2 = f32x4.add(b2, f32x4.mul(s, x1));
    s = v128.load32_splat(wk, 12);
    a3 = f32x4.add(a3, f32x4.mul(s, x0)); b3 = f32x4.add(b3, f32x4.mul(s, x1));
    wk += 16;
  }
  if (rows == 4 && cols == 8) {
    v128.store(y, a0); v128.store(y, b0, 16); y += yPlane;
    v128.store(y, a1); v128.store(y, b1, 16); y += yPlane;
    v128.store(y, a2); v128.store(y, b2, 16); y += yPlane;
    v128.store(y, a3); v128.store(y, b3, 16);
    return;
  }
  storeRow(y, a0, b0, cols);
  if (rows > 1) storeRow(y + yPlane, a1, b1, cols);
  if (rows > 2) storeRow(y + 2 * yPlane, a2, b2, cols);
  if (rows > 3) storeRow(y + 3 * yPlane, a3, b3, cols);
}

/** Store the first `cols` (≤ 8) lanes of the pair (lo, hi). */
@inline function storeRow(y: usize, lo: v128, hi: v128, cols: i32): void {
  if (cols >= 4) {
    v128.store(y, lo);
    if (cols == 8) { v128.store(y, hi, 16); return; }
    if (cols > 4) store<f32>(y, f32x4.extract_lane(hi, 0), 16);
    if (cols > 5) store<f32>(y, f32x4.extract_lane(hi, 1), 20);
    if (cols > 6) store<f32>(y, f32x4.extract_lane(hi, 2), 24);
    return;
  }
  store<f32>(y, f32x4.extract_lane(lo, 0));
  if (cols > 1) store<f32>(y, f32x4.extract_lane(lo, 1), 4);
  if (cols > 2) store<f32>(y, f32x4.extract_lane(lo, 2), 8);
}

/**
 * conv2dS1F32Scalar, with SIMD tiles. The weight view is packed per group as
 * [⌈Og/4⌉][K][4] (zeros past Og) so the four weights of a tap are adjacent; the
 * input of one image and group is copied into a zero-padded [Cg, Hp, Wp] buffer.
 * Rows of outputs are done in blocks whose input rows stay in cache while every
 * block of 4 output channels passes over them.
 */
export function conv2dS1F32(
  x: usize, xsN: i32, xsC: i32, xsH: i32, xsW: i32,
  w: usize, wsG: i32, wsO: i32, wsC: i32, wsA: i32, wsB: i32,
  y: usize, N: i32, C: i32, H: i32, W: i32, O: i32, G: i32,
  kh: i32, kw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  const Cg = C / G, Og = O / G, K = Cg * kh * kw;
  const Ob = (Og + 3) >> 2;
  const Hp = H + 2 * ph, Wp = W + 2 * pw;
  const plane = <usize>Hp * <usize>Wp;
  // scratch: packed weights of every group, the tap offsets, one padded image-group (+ 8 floats read past the end)
  const packed = scratch(<usize>G * <usize>Ob * <usize>K * 16);
  const offs = scratch(<usize>K << 2);
  const xp = scratch((<usize>Cg * plane + 8) << 2);
  memory.fill(xp + (<usize>Cg * plane << 2), 0, 32);

  // pack: packed[g][ob][k][r] = w[g·Og + 4·ob + r, c, a, b],  k = (c·kh + a)·kw + b
  let dst = packed;
  for (let g = 0; g < G; g++) {
    for (let ob = 0; ob < Ob; ob++) {
      for (let c = 0; c < Cg; c++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
        for (let r = 0; r < 4; r++) {
          const o = ob * 4 + r;
          const v: f32 = o < Og ? load<f32>(at(w, g * wsG + o * wsO + c * wsC + a * wsA + b * wsB)) : 0;
          store<f32>(dst, v);
          dst += 4;
        }
      }
    }
  }
  // tap offsets in bytes from the tap (0, 0) of channel 0
  for (let c = 0; c < Cg; c++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
    store<i32>(offs + (<usize>((c * kh + a) * kw + b) << 2), (c * <i32>plane + a * dh * Wp + b * dw) << 2);
  }

  // rows per block: the input rows a block reads, over all Cg channels, in about 128 KiB
  const rowsIn = max<i32>(1, (131072 / (Cg * Wp * 4)));
  const RB = max<i32>(1, rowsIn - (kh - 1) * dh);
  const yPlane = <usize>Ho * <usize>Wo << 2;
  const wStride = <usize>K << 4;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      padPlanes(at(x, n * xsN + g * Cg * xsC), xsC, xsH, xsW, xp, Cg, H, W, ph, pw, Hp, Wp);
      const wg = packed + <usize>g * <usize>Ob * wStride;
      const yg = y + <usize>(n * O + g * Og) * yPlane;
      for (let i0 = 0; i0 < Ho; i0 += RB) {
        const i1 = min(i0 + RB, Ho);
        for (let ob = 0; ob < Ob; ob++) {
          const rows = min(4, Og - ob * 4);
          const wpk = wg + <usize>ob * wStride;
          const yo = yg + <usize>(ob * 4) * yPlane;
          for (let i = i0; i < i1; i++) {
            const xrow = xp + (<usize>i * <usize>Wp << 2);
            const yrow = yo + (<usize>i * <usize>Wo << 2);
            for (let j = 0; j < Wo; j += 8) {
              tile4x8(xrow + (<usize>j << 2), wpk, offs, K, yrow + (<usize>j << 2), yPlane, rows, min(8, Wo - j));
            }
          }
        }
      }
    }
  }
  heap.free(xp);
  heap.free(offs);
  heap.free(packed);
}

// ---- dense weight gradient, stride 1 ---------------------------------------------------------------
//
//   dw[o,c,a,b] = Σ_{n,i,j} dy[n,o,i,j] · x[n, g·Cg+c, i − ph + a·dh, j − pw + b·dw]
//
// With the input padded, the tap k = (c·kh + a)·kw + b of output (i, j) is padded_flat[i·Wp + j + off[k]]
// (as in the forward), so for a row i the products dy[o,i,j..j+3] · padded[i·Wp + j + off[k] ..] are
// four lanes of one f32x4 multiply. The SIMD kernel keeps a tile of 4 output channels × 2 taps
// (8 accumulators of partial sums over the pixels) in registers while it sweeps a block of rows;
// the lanes are added together at the end (so it equals the scalar twin up to rounding order).

/** Specification: the formula above (stride 1), f32 sums in the order n, i, j. dy is contiguous [N,O,Ho,Wo]. */
export function conv2dBackwardWeightS1F32Scalar(
  x: usize, xsN: i32, xsC: i32, xsH: i32, xsW: i32,
  dy: usize, out: usize, N: i32, C: i32, H: i32, W: i32, O: i32, G: i32,
  kh: i32, kw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  const Cg = C / G, Og = O / G;
  let dst = out;
  for (let o = 0; o < O; o++) {
    const g = o / Og;
    for (let c = 0; c < Cg; c++) {
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          let acc: f32 = 0;
          for (let n = 0; n < N; n++) {
            const gp = dy + (<usize>(n * O + o) * <usize>Ho * <usize>Wo << 2);
            for (let i = 0; i < Ho; i++) {
              const ih = i - ph + a * dh;
              if (ih < 0 || ih >= H) continue;
              for (let j = 0; j < Wo; j++) {
                const iw = j - pw + b * dw;
                if (iw < 0 || iw >= W) continue;
                acc += load<f32>(gp + (<usize>(i * Wo + j) << 2)) * load<f32>(at(x, n * xsN + (g * Cg + c) * xsC + ih * xsH + iw * xsW));
              }
            }
          }
          store<f32>(dst, acc);
          dst += 4;
        }
      }
    }
  }
}

/** conv2dBackwardWeightS1F32Scalar with 4 × 2 SIMD tiles (channels × taps) over blocks of rows. */
export function conv2dBackwardWeightS1F32(
  x: usize, xsN: i32, xsC: i32, xsH: i32, xsW: i32,
  dy: usize, out: usize, N: i32, C: i32, H: i32, W: i32, O: i32, G: i32,
  kh: i32, kw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  const Cg = C / G, Og = O / G, K = Cg * kh * kw;
  const Hp = H + 2 * ph, Wp = W + 2 * pw;
  const plane = <usize>Hp * <usize>Wp;
  const yPlane = <usize>Ho * <usize>Wo << 2;
  const W4 = Wo & ~3;
  // scratch: tap offsets, one padded image-group, f32x4 partial sums [Og][K], scalar tail sums [Og][K]
  const offs = scratch(<usize>K << 2);
  const xp = scratch(<usize>Cg * plane << 2);
  const acc = scratch(<usize>Og * <usize>K << 4);
  const tail = scratch(<usize>Og * <usize>K << 2);
  for (let c = 0; c < Cg; c++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
    store<i32>(offs + (<usize>((c * kh + a) * kw + b) << 2), (c * <i32>plane + a * dh * Wp + b * dw) << 2);
  }
  // rows per block: the output-gradient rows of all Og channels in about 64 KiB
  const RB = max<i32>(1, 65536 / (Og * Wo * 4));
  for (let g = 0; g < G; g++) {
    memory.fill(acc, 0, <usize>Og * <usize>K << 4);
    memory.fill(tail, 0, <usize>Og * <usize>K << 2);
    for (let n = 0; n < N; n++) {
      padPlanes(at(x, n * xsN + g * Cg * xsC), xsC, xsH, xsW, xp, Cg, H, W, ph, pw, Hp, Wp);
      const yg = dy + <usize>(n * O + g * Og) * yPlane;
      for (let i0 = 0; i0 < Ho; i0 += RB) {
        const i1 = min(i0 + RB, Ho);
        for (let o = 0; o < Og; o += 4) {
          // the 4 channels of the tile (a missing one repeats channel o; its sums are dropped)
          const y0 = yg + <usize>o * yPlane;
          const y1 = o + 1 < Og ? y0 + yPlane : y0;
          const y2 = o + 2 < Og ? y0 + 2 * yPlane : y0;
          const y3 = o + 3 < Og ? y0 + 3 * yPlane : y0;
          const rows = min(4, Og - o);
          for (let k = 0; k < K; k += 2) {
            const k1 = k + 1 < K ? k + 1 : k;
            const x0 = xp + <usize>load<i32>(offs + (<usize>k << 2));
            const x1 = xp + <usize>load<i32>(offs + (<usize>k1 << 2));
            const t0 = acc + ((<usize>o * <usize>K + <usize>k) << 4);
            // the partial sums so far (a missing channel or tap starts from 0 and is never stored)
            const kStride = <usize>K << 4;
            const two = k1 != k;
            let a00 = v128.load(t0), a01 = two ? v128.load(t0, 16) : f32x4.splat(0);
            let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
            if (rows > 1) { a10 = v128.load(t0 + kStride); if (two) a11 = v128.load(t0 + kStride, 16); }
            if (rows > 2) { a20 = v128.load(t0 + 2 * kStride); if (two) a21 = v128.load(t0 + 2 * kStride, 16); }
            if (rows > 3) { a30 = v128.load(t0 + 3 * kStride); if (two) a31 = v128.load(t0 + 3 * kStride, 16); }
            for (let i = i0; i < i1; i++) {
              const yr = <usize>(i * Wo) << 2;
              const xr = <usize>(i * Wp) << 2;
              for (let j = 0; j < W4; j += 4) {
                const jy = yr + (<usize>j << 2), jx = xr + (<usize>j << 2);
                const p = v128.load(x0 + jx), q = v128.load(x1 + jx);
                let d = v128.load(y0 + jy);
                a00 = f32x4.add(a00, f32x4.mul(d, p)); a01 = f32x4.add(a01, f32x4.mul(d, q));
                d = v128.load(y1 + jy);
                a10 = f32x4.add(a10, f32x4.mul(d, p)); a11 = f32x4.add(a11, f32x4.mul(d, q));
                d = v128.load(y2 + jy);
                a20 = f32x4.add(a20, f32x4.mul(d, p)); a21 = f32x4.add(a21, f32x4.mul(d, q));
                d = v128.load(y3 + jy);
                a30 = f32x4.add(a30, f32x4.mul(d, p)); a31 = f32x4.add(a31, f32x4.mul(d, q));
              }
            }
            v128.store(t0, a00); if (two) v128.store(t0, a01, 16);
            if (rows > 1) { v128.store(t0 + kStride, a10); if (two) v128.store(t0 + kStride, a11, 16); }
            if (rows > 2) { v128.store(t0 + 2 * kStride, a20); if (two) v128.store(t0 + 2 * kStride, a21, 16); }
            if (rows > 3) { v128.store(t0 + 3 * kStride, a30); if (two) v128.store(t0 + 3 * kStride, a31, 16); }
          }
        }
        // columns past the last multiple of 4: scalar
        if (W4 < Wo) {
          for (let o = 0; o < Og; o++) {
            const yo = yg + <usize>o * yPlane;
            for (let k = 0; k < K; k++) {
              const xk = xp + <usize>load<i32>(offs + (<usize>k << 2));
              const tp = tail + (<usize>(o * K + k) << 2);
              let s = load<f32>(tp);
              for (let i = i0; i < i1; i++) {
                for (let j = W4; j < Wo; j++) s += load<f32>(yo + (<usize>(i * Wo + j) << 2)) * load<f32>(xk + (<usize>(i * Wp + j) << 2));
              }
              store<f32>(tp, s);
            }
          }
        }
      }
    }
    // dw[g·Og + o, k] = the four lanes + the tail
    for (let o = 0; o < Og; o++) {
      for (let k = 0; k < K; k++) {
        const s = v128.load(acc + ((<usize>o * <usize>K + <usize>k) << 4));
        const v = (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3)) + load<f32>(tail + (<usize>(o * K + k) << 2));
        store<f32>(out + (<usize>((g * Og + o) * K + k) << 2), v);
      }
    }
  }
  heap.free(tail);
  heap.free(acc);
  heap.free(xp);
  heap.free(offs);
}

// ---- depthwise convolution (groups = C = O, one filter per channel) --------------------------------
//
//   y[n,c,i,j] = Σ_{a,b} x[n, c, i·sh − ph + a·dh, j·sw − pw + b·dw] · w[c,0,a,b]
//
// Per channel the plane is padded once; with stride 1 a row of outputs is a sum over
// the kh·kw taps of shifted rows of the padded plane times a splatted weight, vectorised
// over j (8, then 4 outputs at a time, then a scalar tail; 3×3 has its nine weights in
// registers and does two rows at once). Column stride 2 loads eight inputs per four outputs
// and keeps the even lanes; other strides run the scalar loop on the padded plane.

/**
 * Specification: the formula above, taps outside the input skipped, summed in f32 in the order a, b.
 */
export function depthwise2dF32Scalar(
  x: usize, xsN: i32, xsC: i32, xsH: i32, xsW: i32,
  w: usize, wsC: i32, wsA: i32, wsB: i32,
  y: usize, N: i32, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  let out = y;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++) {
          let acc: f32 = 0;
          for (let a = 0; a < kh; a++) {
            const ih = i * sh - ph + a * dh;
            if (ih < 0 || ih >= H) continue;
            for (let b = 0; b < kw; b++) {
              const iw = j * sw - pw + b * dw;
              if (iw < 0 || iw >= W) continue;
              acc += load<f32>(at(w, c * wsC + a * wsA + b * wsB)) * load<f32>(at(x, n * xsN + c * xsC + ih * xsH + iw * xsW));
            }
          }
          store<f32>(out, acc);
          out += 4;
        }
      }
    }
  }
}

/** One output row of a stride-1 depthwise conv over a padded plane: y[j] = Σ_{a,b} wt[a·kw+b] · row_a[j + b·dw]. */
@inline function depthwiseRowS1(xrow: usize, Wp: i32, wt: usize, kh: i32, kw: i32, dh: i32, dw: i32, yrow: usize, Wo: i32): void {
  let j = 0;
  for (; j + 8 <= Wo; j += 8) {
    let lo = f32x4.splat(0), hi = f32x4.splat(0);
    for (let a = 0; a < kh; a++) {
      const r = xrow + (<usize>(a * dh * Wp + j) << 2);
      for (let b = 0; b < kw; b++) {
        const s = v128.load32_splat(wt + (<usize>(a * kw + b) << 2));
        const p = r + (<usize>(b * dw) << 2);
        lo = f32x4.add(lo, f32x4.mul(s, v128.load(p)));
        hi = f32x4.add(hi, f32x4.mul(s, v128.load(p, 16)));
      }
    }
    v128.store(yrow + (<usize>j << 2), lo);
    v128.store(yrow + (<usize>j << 2), hi, 16);
  }
  for (; j + 4 <= Wo; j += 4) {
    let lo = f32x4.splat(0);
    for (let a = 0; a < kh; a++) {
      const r = xrow + (<usize>(a * dh * Wp + j) << 2);
      for (let b = 0; b < kw; b++) {
        lo = f32x4.add(lo, f32x4.mul(v128.load32_splat(wt + (<usize>(a * kw + b) << 2)), v128.load(r + (<usize>(b * dw) << 2))));
      }
    }
    v128.store(yrow + (<usize>j << 2), lo);
  }
  for (; j < Wo; j++) {
    let acc: f32 = 0;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        acc += load<f32>(wt + (<usize>(a * kw + b) << 2)) * load<f32>(xrow + (<usize>(a * dh * Wp + j + b * dw) << 2));
      }
    }
    store<f32>(yrow + (<usize>j << 2), acc);
  }
}

/** depthwiseRowS1 for a 3×3 kernel with its nine weights held in registers. */
@inline function depthwiseRow3x3(xrow: usize, Wp: i32, wt: usize, dh: i32, dw: i32, yrow: usize, Wo: i32): void {
  const w0 = v128.load32_splat(wt), w1 = v128.load32_splat(wt, 4), w2 = v128.load32_splat(wt, 8);
  const w3 = v128.load32_splat(wt, 12), w4 = v128.load32_splat(wt, 16), w5 = v128.load32_splat(wt, 20);
  const w6 = v128.load32_splat(wt, 24), w7 = v128.load32_splat(wt, 28), w8 = v128.load32_splat(wt, 32);
  const r1 = <usize>(dh * Wp) << 2, r2 = r1 << 1;
  const c1 = <usize>dw << 2, c2 = c1 << 1;
  let j = 0;
  for (; j + 8 <= Wo; j += 8) {
    // two independent chains of four outputs; the same order as the scalar twin: a = 0, 1, 2, and b = 0, 1, 2 within each
    const p = xrow + (<usize>j << 2);
    let s = f32x4.mul(w0, v128.load(p)), t = f32x4.mul(w0, v128.load(p, 16));
    s = f32x4.add(s, f32x4.mul(w1, v128.load(p + c1))); t = f32x4.add(t, f32x4.mul(w1, v128.load(p + c1, 16)));
    s = f32x4.add(s, f32x4.mul(w2, v128.load(p + c2))); t = f32x4.add(t, f32x4.mul(w2, v128.load(p + c2, 16)));
    s = f32x4.add(s, f32x4.mul(w3, v128.load(p + r1))); t = f32x4.add(t, f32x4.mul(w3, v128.load(p + r1, 16)));
    s = f32x4.add(s, f32x4.mul(w4, v128.load(p + r1 + c1))); t = f32x4.add(t, f32x4.mul(w4, v128.load(p + r1 + c1, 16)));
    s = f32x4.add(s, f32x4.mul(w5, v128.load(p + r1 + c2))); t = f32x4.add(t, f32x4.mul(w5, v128.load(p + r1 + c2, 16)));
    s = f32x4.add(s, f32x4.mul(w6, v128.load(p + r2))); t = f32x4.add(t, f32x4.mul(w6, v128.load(p + r2, 16)));
    s = f32x4.add(s, f32x4.mul(w7, v128.load(p + r2 + c1))); t = f32x4.add(t, f32x4.mul(w7, v128.load(p + r2 + c1, 16)));
    s = f32x4.add(s, f32x4.mul(w8, v128.load(p + r2 + c2))); t = f32x4.add(t, f32x4.mul(w8, v128.load(p + r2 + c2, 16)));
    v128.store(yrow + (<usize>j << 2), s);
    v128.store(yrow + (<usize>j << 2), t, 16);
  }
  for (; j + 4 <= Wo; j += 4) {
    const p = xrow + (<usize>j << 2);
    let s = f32x4.mul(w0, v128.load(p));
    s = f32x4.add(s, f32x4.mul(w1, v128.load(p + c1)));
    s = f32x4.add(s, f32x4.mul(w2, v128.load(p + c2)));
    s = f32x4.add(s, f32x4.mul(w3, v128.load(p + r1)));
    s = f32x4.add(s, f32x4.mul(w4, v128.load(p + r1 + c1)));
    s = f32x4.add(s, f32x4.mul(w5, v128.load(p + r1 + c2)));
    s = f32x4.add(s, f32x4.mul(w6, v128.load(p + r2)));
    s = f32x4.add(s, f32x4.mul(w7, v128.load(p + r2 + c1)));
    s = f32x4.add(s, f32x4.mul(w8, v128.load(p + r2 + c2)));
    v128.store(yrow + (<usize>j << 2), s);
  }
  for (; j < Wo; j++) {
    let acc: f32 = 0;
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        acc += load<f32>(wt + (<usize>(a * 3 + b) << 2)) * load<f32>(xrow + (<usize>(a * dh * Wp + j + b * dw) << 2));
      }
    }
    store<f32>(yrow + (<usize>j << 2), acc);
  }
}

/**
 * One output row of a depthwise conv with column stride 2: y[j] = Σ_{a,b} wt[a·kw+b] · row_a[2j + b·dw].
 * Four outputs read eight consecutive inputs; a shuffle keeps the even ones.
 */
@inline function depthwiseRowS2(xrow: usize, Wp: i32, wt: usize, kh: i32, kw: i32, dh: i32, dw: i32, yrow: usize, Wo: i32): void {
  let j = 0;
  for (; j + 4 <= Wo; j += 4) {
    let acc = f32x4.splat(0);
    for (let a = 0; a < kh; a++) {
      const r = xrow + (<usize>(a * dh * Wp + 2 * j) << 2);
      for (let b = 0; b < kw; b++) {
        const p = r + (<usize>(b * dw) << 2);
        const even = v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
        acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(wt + (<usize>(a * kw + b) << 2)), even));
      }
    }
    v128.store(yrow + (<usize>j << 2), acc);
  }
  for (; j < Wo; j++) {
    let acc: f32 = 0;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        acc += load<f32>(wt + (<usize>(a * kw + b) << 2)) * load<f32>(xrow + (<usize>(a * dh * Wp + 2 * j + b * dw) << 2));
      }
    }
    store<f32>(yrow + (<usize>j << 2), acc);
  }
}

/**
 * Two output rows of a stride-1 3×3 depthwise conv with row dilation 1: rows i and i+1 share
 * the input rows i+1 and i+2, so each loaded vector feeds both (12 loads for 8 outputs, not 18).
 * Each output still adds its nine products in the order a, b like the scalar twin.
 */
@inline function depthwiseTwoRows3x3(xrow: usize, Wp: i32, wt: usize, dw: i32, yrow: usize, Wo: i32): void {
  const w0 = v128.load32_splat(wt), w1 = v128.load32_splat(wt, 4), w2 = v128.load32_splat(wt, 8);
  const w3 = v128.load32_splat(wt, 12), w4 = v128.load32_splat(wt, 16), w5 = v128.load32_splat(wt, 20);
  const w6 = v128.load32_splat(wt, 24), w7 = v128.load32_splat(wt, 28), w8 = v128.load32_splat(wt, 32);
  const r1 = <usize>Wp << 2, r2 = r1 << 1, r3 = r1 * 3;
  const c1 = <usize>dw << 2, c2 = c1 << 1;
  const y1 = <usize>Wo << 2;
  let j = 0;
  for (; j + 4 <= Wo; j += 4) {
    const p = xrow + (<usize>j << 2);
    let s = f32x4.mul(w0, v128.load(p));
    s = f32x4.add(s, f32x4.mul(w1, v128.load(p + c1)));
    s = f32x4.add(s, f32x4.mul(w2, v128.load(p + c2)));
    let v = v128.load(p + r1);
    s = f32x4.add(s, f32x4.mul(w3, v)); let t = f32x4.mul(w0, v);
    v = v128.load(p + r1 + c1);
    s = f32x4.add(s, f32x4.mul(w4, v)); t = f32x4.add(t, f32x4.mul(w1, v));
    v = v128.load(p + r1 + c2);
    s = f32x4.add(s, f32x4.mul(w5, v)); t = f32x4.add(t, f32x4.mul(w2, v));
    v = v128.load(p + r2);
    s = f32x4.add(s, f32x4.mul(w6, v)); t = f32x4.add(t, f32x4.mul(w3, v));
    v = v128.load(p + r2 + c1);
    s = f32x4.add(s, f32x4.mul(w7, v)); t = f32x4.add(t, f32x4.mul(w4, v));
    v = v128.load(p + r2 + c2);
    s = f32x4.add(s, f32x4.mul(w8, v)); t = f32x4.add(t, f32x4.mul(w5, v));
    t = f32x4.add(t, f32x4.mul(w6, v128.load(p + r3)));
    t = f32x4.add(t, f32x4.mul(w7, v128.load(p + r3 + c1)));
    t = f32x4.add(t, f32x4.mul(w8, v128.load(p + r3 + c2)));
    v128.store(yrow + (<usize>j << 2), s);
    v128.store(yrow + y1 + (<usize>j << 2), t);
  }
  for (; j < Wo; j++) {
    for (let r = 0; r < 2; r++) {
      let acc: f32 = 0;
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          acc += load<f32>(wt + (<usize>(a * 3 + b) << 2)) * load<f32>(xrow + (<usize>((a + r) * Wp + j + b * dw) << 2));
        }
      }
      store<f32>(yrow + (<usize>(r * Wo + j) << 2), acc);
    }
  }
}

/** depthwise2dF32Scalar, vectorised over output columns for column strides 1 (3×3 special-cased) and 2. */
export function depthwise2dF32(
  x: usize, xsN: i32, xsC: i32, xsH: i32, xsW: i32,
  w: usize, wsC: i32, wsA: i32, wsB: i32,
  y: usize, N: i32, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  // padded plane: tall and wide enough for every tap of every output (ceil-mode-like overhang included)
  const Hp = max(H + ph, (Ho - 1) * sh + (kh - 1) * dh + 1);
  const Wp = max(W + pw, (Wo - 1) * sw + (kw - 1) * dw + 2);
  const xp = scratch((<usize>Hp * <usize>Wp + 8) << 2);
  const wt = scratch(<usize>(kh * kw) << 2);
  let out = y;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      padPlanes(at(x, n * xsN + c * xsC), 0, xsH, xsW, xp, 1, H, W, ph, pw, Hp, Wp);
      for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
        store<f32>(wt + (<usize>(a * kw + b) << 2), load<f32>(at(w, c * wsC + a * wsA + b * wsB)));
      }
      if (sh == 1 && sw == 1) {
        let i = 0;
        if (kh == 3 && kw == 3 && dh == 1) {
          for (; i + 2 <= Ho; i += 2) depthwiseTwoRows3x3(xp + (<usize>i * <usize>Wp << 2), Wp, wt, dw, out + (<usize>i * <usize>Wo << 2), Wo);
        }
        for (; i < Ho; i++) {
          const xrow = xp + (<usize>i * <usize>Wp << 2), yrow = out + (<usize>i * <usize>Wo << 2);
          if (kh == 3 && kw == 3) depthwiseRow3x3(xrow, Wp, wt, dh, dw, yrow, Wo);
          else depthwiseRowS1(xrow, Wp, wt, kh, kw, dh, dw, yrow, Wo);
        }
      } else if (sw == 2) {
        for (let i = 0; i < Ho; i++) {
          depthwiseRowS2(xp + (<usize>(i * sh) * <usize>Wp << 2), Wp, wt, kh, kw, dh, dw, out + (<usize>i * <usize>Wo << 2), Wo);
        }
      } else {
        for (let i = 0; i < Ho; i++) {
          for (let j = 0; j < Wo; j++) {
            let acc: f32 = 0;
            for (let a = 0; a < kh; a++) {
              const r = xp + (<usize>((i * sh + a * dh) * Wp + j * sw) << 2);
              for (let b = 0; b < kw; b++) acc += load<f32>(wt + (<usize>(a * kw + b) << 2)) * load<f32>(r + (<usize>(b * dw) << 2));
            }
            store<f32>(out + (<usize>(i * Wo + j) << 2), acc);
          }
        }
      }
      out += <usize>Ho * <usize>Wo << 2;
    }
  }
  heap.free(wt);
  heap.free(xp);
}

/**
 * Depthwise input gradient, any stride (the adjoint of depthwise2dF32Scalar):
 *   dx[n,c,i·sh − ph + a·dh, j·sw − pw + b·dw] += dy[n,c,i,j] · w[c,0,a,b]
 * scattered into a padded plane, whose interior is then copied out. dy is contiguous [N,C,Ho,Wo].
 */
export function depthwise2dBackwardInputF32(
  dy: usize, w: usize, wsC: i32, wsA: i32, wsB: i32,
  dx: usize, N: i32, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  const Hp = max(H + ph, (Ho - 1) * sh + (kh - 1) * dh + 1);
  const Wp = max(W + pw, (Wo - 1) * sw + (kw - 1) * dw + 1);
  const gp = scratch(<usize>Hp * <usize>Wp << 2);
  let g = dy, out = dx;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      memory.fill(gp, 0, <usize>Hp * <usize>Wp << 2);
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const wv = load<f32>(at(w, c * wsC + a * wsA + b * wsB));
          for (let i = 0; i < Ho; i++) {
            const r = gp + (<usize>((i * sh + a * dh) * Wp + b * dw) << 2);
            const gr = g + (<usize>(i * Wo) << 2);
            for (let j = 0; j < Wo; j++) {
              const p = r + (<usize>(j * sw) << 2);
              store<f32>(p, load<f32>(p) + wv * load<f32>(gr + (<usize>j << 2)));
            }
          }
        }
      }
      for (let h = 0; h < H; h++) memory.copy(out + (<usize>(h * W) << 2), gp + (<usize>((h + ph) * Wp + pw) << 2), <usize>W << 2);
      g += <usize>Ho * <usize>Wo << 2;
      out += <usize>H * <usize>W << 2;
    }
  }
  heap.free(gp);
}

/**
 * Specification of the depthwise weight gradient:
 *   dw[c,0,a,b] = Σ_{n,i,j} dy[n,c,i,j] · x[n, c, i·sh − ph + a·dh, j·sw − pw + b·dw]
 * dy contiguous [N,C,Ho,Wo]; out contiguous [C,1,kh,kw]; f32 sums in the order n, i, j.
 */
export function depthwise2dBackwardWeightF32Scalar(
  x: usize, xsN: i32, xsC: i32, xsH: i32, xsW: i32,
  dy: usize, out: usize, N: i32, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  for (let c = 0; c < C; c++) {
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        let acc: f32 = 0;
        for (let n = 0; n < N; n++) {
          const g = dy + (<usize>(n * C + c) * <usize>Ho * <usize>Wo << 2);
          for (let i = 0; i < Ho; i++) {
            const ih = i * sh - ph + a * dh;
            if (ih < 0 || ih >= H) continue;
            for (let j = 0; j < Wo; j++) {
              const iw = j * sw - pw + b * dw;
              if (iw < 0 || iw >= W) continue;
              acc += load<f32>(g + (<usize>(i * Wo + j) << 2)) * load<f32>(at(x, n * xsN + c * xsC + ih * xsH + iw * xsW));
            }
          }
        }
        store<f32>(out + (<usize>((c * kh + a) * kw + b) << 2), acc);
      }
    }
  }
}

/**
 * One image-channel of the 3×3 depthwise weight gradient (column stride 1): the nine f32x4 partial
 * sums stay in registers while each output-gradient vector is loaded once and multiplied by the
 * nine shifted input vectors. acc holds 9 f32x4, tail 9 f32 (columns past the last multiple of 4).
 */
@inline function depthwiseWeightGrad3x3(g: usize, xp: usize, Wp: i32, sh: i32, dh: i32, dw: i32, Ho: i32, Wo: i32, acc: usize, tail: usize): void {
  let s0 = v128.load(acc), s1 = v128.load(acc, 16), s2 = v128.load(acc, 32);
  let s3 = v128.load(acc, 48), s4 = v128.load(acc, 64), s5 = v128.load(acc, 80);
  let s6 = v128.load(acc, 96), s7 = v128.load(acc, 112), s8 = v128.load(acc, 128);
  const r1 = <usize>(dh * Wp) << 2, r2 = r1 << 1;
  const c1 = <usize>dw << 2, c2 = c1 << 1;
  const W4 = Wo & ~3;
  for (let i = 0; i < Ho; i++) {
    const gr = g + (<usize>(i * Wo) << 2);
    const xr = xp + (<usize>(i * sh * Wp) << 2);
    for (let j = 0; j < W4; j += 4) {
      const d = v128.load(gr + (<usize>j << 2));
      const p = xr + (<usize>j << 2);
      s0 = f32x4.add(s0, f32x4.mul(d, v128.load(p)));
      s1 = f32x4.add(s1, f32x4.mul(d, v128.load(p + c1)));
      s2 = f32x4.add(s2, f32x4.mul(d, v128.load(p + c2)));
      s3 = f32x4.add(s3, f32x4.mul(d, v128.load(p + r1)));
      s4 = f32x4.add(s4, f32x4.mul(d, v128.load(p + r1 + c1)));
      s5 = f32x4.add(s5, f32x4.mul(d, v128.load(p + r1 + c2)));
      s6 = f32x4.add(s6, f32x4.mul(d, v128.load(p + r2)));
      s7 = f32x4.add(s7, f32x4.mul(d, v128.load(p + r2 + c1)));
      s8 = f32x4.add(s8, f32x4.mul(d, v128.load(p + r2 + c2)));
    }
    for (let j = W4; j < Wo; j++) {
      const d = load<f32>(gr + (<usize>j << 2));
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          const t = tail + (<usize>(a * 3 + b) << 2);
          store<f32>(t, load<f32>(t) + d * load<f32>(xr + (<usize>(a * dh * Wp + j + b * dw) << 2)));
        }
      }
    }
  }
  v128.store(acc, s0); v128.store(acc, s1, 16); v128.store(acc, s2, 32);
  v128.store(acc, s3, 48); v128.store(acc, s4, 64); v128.store(acc, s5, 80);
  v128.store(acc, s6, 96); v128.store(acc, s7, 112); v128.store(acc, s8, 128);
}

/**
 * The depthwise weight gradient with SIMD over output columns (stride 1 along W):
 * per tap, four lanes of partial sums run over the rows and are added across lanes
 * at the end, so the sum is the same as the scalar twin's up to rounding order.
 */
export function depthwise2dBackwardWeightF32(
  x: usize, xsN: i32, xsC: i32, xsH: i32, xsW: i32,
  dy: usize, out: usize, N: i32, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  const Hp = max(H + ph, (Ho - 1) * sh + (kh - 1) * dh + 1);
  const Wp = max(W + pw, (Wo - 1) * sw + (kw - 1) * dw + 1);
  const xp = scratch((<usize>Hp * <usize>Wp + 8) << 2);
  const T = kh * kw;
  const acc = scratch(<usize>T << 4); // one f32x4 of partial sums per tap
  const tail = scratch(<usize>T << 2); // scalar partial sums per tap
  const W4 = sw == 1 ? Wo & ~3 : 0;
  for (let c = 0; c < C; c++) {
    memory.fill(acc, 0, <usize>T << 4);
    memory.fill(tail, 0, <usize>T << 2);
    for (let n = 0; n < N; n++) {
      padPlanes(at(x, n * xsN + c * xsC), 0, xsH, xsW, xp, 1, H, W, ph, pw, Hp, Wp);
      const g = dy + (<usize>(n * C + c) * <usize>Ho * <usize>Wo << 2);
      if (kh == 3 && kw == 3 && sw == 1) {
        depthwiseWeightGrad3x3(g, xp, Wp, sh, dh, dw, Ho, Wo, acc, tail);
        continue;
      }
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const t = a * kw + b;
          let s = v128.load(acc + (<usize>t << 4));
          let s1: f32 = load<f32>(tail + (<usize>t << 2));
          for (let i = 0; i < Ho; i++) {
            const gr = g + (<usize>(i * Wo) << 2);
            const xr = xp + (<usize>((i * sh + a * dh) * Wp + b * dw) << 2);
            let j = 0;
            for (; j < W4; j += 4) s = f32x4.add(s, f32x4.mul(v128.load(gr + (<usize>j << 2)), v128.load(xr + (<usize>j << 2))));
            for (; j < Wo; j++) s1 += load<f32>(gr + (<usize>j << 2)) * load<f32>(xr + (<usize>(j * sw) << 2));
          }
          v128.store(acc + (<usize>t << 4), s);
          store<f32>(tail + (<usize>t << 2), s1);
        }
      }
    }
    for (let t = 0; t < T; t++) {
      const s = v128.load(acc + (<usize>t << 4));
      const total = (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3)) + load<f32>(tail + (<usize>t << 2));
      store<f32>(out + (<usize>(c * T + t) << 2), total);
    }
  }
  heap.free(tail);
  heap.free(acc);
  heap.free(xp);
}

// ---- im2col / col2im ------------------------------------------------------------------------------
//
//   cols[n, (c·kh + a)·kw + b, i·Wo + j] = x[n, c, i·sh − ph + a·dh, j·sw − pw + b·dw]    (0 in the padding)
//   col2im: x[n,c,h,w] = Σ of every cols entry whose tap lands on (h, w)                  (the adjoint)
// The column buffer is addressed by strides: element (n, row, l) is at cols + (n·csN + row·csR + l·csL)·4,
// so the same kernel writes [N, K, L] or the [K, N, L] layout the weight gradient wants.

/** The output positions lo ≤ i < hi whose tap start + i·stride lies in [0, size). */
@inline function tapLo(start: i32, stride: i32): i32 {
  return start >= 0 ? 0 : (-start + stride - 1) / stride;
}
@inline function tapHi(start: i32, stride: i32, size: i32, outSize: i32): i32 {
  const h = size - start <= 0 ? 0 : (size - start + stride - 1) / stride;
  return min(h, outSize);
}

export function im2colF32(
  x: usize, xsN: i32, xsC: i32, xsH: i32, xsW: i32,
  cols: usize, csN: i32, csR: i32,
  N: i32, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let a = 0; a < kh; a++) {
        const hs = a * dh - ph;
        const i0 = min(Ho, tapLo(hs, sh)), i1 = max(i0, tapHi(hs, sh, H, Ho));
        for (let b = 0; b < kw; b++) {
          const ws = b * dw - pw;
          const j0 = min(Wo, tapLo(ws, sw)), j1 = max(j0, tapHi(ws, sw, W, Wo));
          const row = at(cols, n * csN + ((c * kh + a) * kw + b) * csR);
          // rows of outputs whose tap is in the padding: zeros
          if (i0 > 0) memory.fill(row, 0, <usize>(i0 * Wo) << 2);
          if (i1 < Ho) memory.fill(row + (<usize>(i1 * Wo) << 2), 0, <usize>((Ho - i1) * Wo) << 2);
          for (let i = i0; i < i1; i++) {
            const r = row + (<usize>(i * Wo) << 2);
            if (j0 > 0) memory.fill(r, 0, <usize>j0 << 2);
            if (j1 < Wo) memory.fill(r + (<usize>j1 << 2), 0, <usize>(Wo - j1) << 2);
            const s = at(x, n * xsN + c * xsC + (i * sh + hs) * xsH + (j0 * sw + ws) * xsW);
            const step = sw * xsW;
            if (step == 1) memory.copy(r + (<usize>j0 << 2), s, <usize>(j1 - j0) << 2);
            else for (let j = j0; j < j1; j++) store<f32>(r + (<usize>j << 2), load<f32>(at(s, (j - j0) * step)));
          }
        }
      }
    }
  }
}

/**
 * Specification of col2im: x[n,c,h,w] += cols[n,row,l] for every tap that lands inside,
 * in the order c, a, b, i, j. out is contiguous [N,C,H,W] and is overwritten.
 */
export function col2imF32Scalar(
  cols: usize, csN: i32, csR: i32, csL: i32,
  out: usize, N: i32, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  memory.fill(out, 0, <usize>N * <usize>C * <usize>H * <usize>W << 2);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = out + (<usize>(n * C + c) * <usize>H * <usize>W << 2);
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const row = n * csN + ((c * kh + a) * kw + b) * csR;
          for (let i = 0; i < Ho; i++) {
            const h = i * sh - ph + a * dh;
            if (h < 0 || h >= H) continue;
            for (let j = 0; j < Wo; j++) {
              const ww = j * sw - pw + b * dw;
              if (ww < 0 || ww >= W) continue;
              const p = plane + (<usize>(h * W + ww) << 2);
              store<f32>(p, load<f32>(p) + load<f32>(at(cols, row + (i * Wo + j) * csL)));
            }
          }
        }
      }
    }
  }
}

/** col2imF32Scalar; where sw = 1 and the columns are contiguous along L, each run is added four lanes at a time. */
export function col2imF32(
  cols: usize, csN: i32, csR: i32, csL: i32,
  out: usize, N: i32, C: i32, H: i32, W: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32,
): void {
  memory.fill(out, 0, <usize>N * <usize>C * <usize>H * <usize>W << 2);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = out + (<usize>(n * C + c) * <usize>H * <usize>W << 2);
      for (let a = 0; a < kh; a++) {
        const hs = a * dh - ph;
        const i0 = tapLo(hs, sh), i1 = tapHi(hs, sh, H, Ho);
        for (let b = 0; b < kw; b++) {
          const ws = b * dw - pw;
          const j0 = min(Wo, tapLo(ws, sw)), j1 = tapHi(ws, sw, W, Wo);
          if (j1 <= j0) continue;
          const row = n * csN + ((c * kh + a) * kw + b) * csR;
          for (let i = i0; i < i1; i++) {
            const d = plane + (<usize>((i * sh + hs) * W + j0 * sw + ws) << 2);
            const s = at(cols, row + (i * Wo + j0) * csL);
            const len = j1 - j0;
            if (sw == 1 && csL == 1) {
              let j = 0;
              for (; j + 4 <= len; j += 4) {
                const o = <usize>j << 2;
                v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
              }
              for (; j < len; j++) {
                const o = <usize>j << 2;
                store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
              }
            } else {
              for (let j = 0; j < len; j++) {
                const p = d + (<usize>(j * sw) << 2);
                store<f32>(p, load<f32>(p) + load<f32>(at(s, j * csL)));
              }
            }
          }
        }
      }
    }
  }
}

// ---- small helpers for the bindings ----------------------------------------------------------------

/** out[i] = Σ_{p<P} src[p·stride + i] for i < n: sums P contiguous partial results (the batch split of a weight gradient). */
export function sumPartsF32(src: usize, stride: i32, P: i32, out: usize, n: i32): void {
  memory.copy(out, src, <usize>n << 2);
  for (let p = 1; p < P; p++) {
    const s = src + (<usize>p * <usize>stride << 2);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(s + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(s + o));
    }
  }
}
