// Pooling over H, W of x [N,C,H,W], float32 (the math is in src/backends/js/pool.ts).
//
// Inputs are strided views (base address + element strides sN, sC, sH, sW); outputs
// are contiguous. Window sums are kept in f64 and each result rounded once, like the
// js reference, so both backends give the same floats.
//
//   avg:  y[i,j] = Σ_{(h,w) ∈ window ∩ input} x[h,w] / divisor   (window clipped to the padded input first)
//   max:  y[i,j] = max over the taps inside the input; idx = h·W + w of the first maximum
//         (a NaN wins, and a later NaN replaces an earlier one)
//   adaptive bins: rows [⌊i·H/Ho⌋, ⌈(i+1)·H/Ho⌉), columns likewise.

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** Σ x[h, w] in f64 over rows [h0, h1) and columns [w0, w1) of the strided plane at base. */
@inline function windowSumF64(base: usize, sH: i32, sW: i32, h0: i32, h1: i32, w0: i32, w1: i32): f64 {
  let v: f64 = 0;
  for (let h = h0; h < h1; h++) {
    const r = at(base, h * sH);
    for (let w = w0; w < w1; w++) v += <f64>load<f32>(at(r, w * sW));
  }
  return v;
}

/** dx[h, w] += share (in f64, rounded once) over rows [h0, h1) and columns [w0, w1) of the contiguous W-wide plane. */
@inline function spreadF32(plane: usize, W: i32, h0: i32, h1: i32, w0: i32, w1: i32, share: f64): void {
  for (let h = h0; h < h1; h++) {
    for (let w = w0; w < w1; w++) {
      const p = plane + (<usize>(h * W + w) << 2);
      store<f32>(p, <f32>(<f64>load<f32>(p) + share));
    }
  }
}

// The avg window of output i along one axis (stride s, padding p, kernel k, input length size)
// starts at i·s − p; it is clipped first to the padded input [−p, size + p), then to [0, size).

/** Start of avg window i clipped to the input: max(i·s − p, 0). */
@inline function avgStart(i: i32, s: i32, p: i32): i32 {
  return max(i * s - p, 0);
}
/** End of avg window i clipped to the input: min(min(i·s − p + k, size + p), size). */
@inline function avgEnd(i: i32, s: i32, p: i32, k: i32, size: i32): i32 {
  return min(min(i * s - p + k, size + p), size);
}
/** Length of avg window i clipped to the padded input only: min(i·s − p + k, size + p) − (i·s − p). */
@inline function avgPadded(i: i32, s: i32, p: i32, k: i32, size: i32): i32 {
  const a = i * s - p;
  return min(a + k, size + p) - a;
}
/** The avg divisor: divisor_override when > 0, else the padded count if countIncludePad, else the in-input count. */
@inline function avgDivisor(divisor: i32, countIncludePad: i32, padded: i32, inside: i32): i32 {
  return divisor > 0 ? divisor : countIncludePad ? padded : inside;
}

/** avg pool forward. divisor > 0 overrides the window count (divisor_override). */
export function avgPool2dF32(
  x: usize, sN: i32, sC: i32, sH: i32, sW: i32, y: usize,
  N: i32, C: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, countIncludePad: i32, divisor: i32,
): void {
  let out = y;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = at(x, n * sN + c * sC);
      for (let i = 0; i < Ho; i++) {
        const h0 = avgStart(i, sh, ph), h1 = avgEnd(i, sh, ph, kh, H), hp = avgPadded(i, sh, ph, kh, H);
        for (let j = 0; j < Wo; j++) {
          const w0 = avgStart(j, sw, pw), w1 = avgEnd(j, sw, pw, kw, W);
          const padded = hp * avgPadded(j, sw, pw, kw, W);
          let v: f64 = 0;
          if (h0 < h1 && w0 < w1) {
            const d = avgDivisor(divisor, countIncludePad, padded, (h1 - h0) * (w1 - w0));
            v = windowSumF64(base, sH, sW, h0, h1, w0, w1) / <f64>d;
          }
          store<f32>(out, <f32>v);
          out += 4;
        }
      }
    }
  }
}

/** avg pool backward: dx[h,w] += g[i,j] / divisor over every window holding (h,w). g is contiguous [N,C,Ho,Wo]. */
export function avgPool2dBackwardF32(
  g: usize, dx: usize,
  N: i32, C: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, countIncludePad: i32, divisor: i32,
): void {
  memory.fill(dx, 0, <usize>N * <usize>C * <usize>H * <usize>W << 2);
  let gi = g;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = dx + (<usize>(n * C + c) * <usize>H * <usize>W << 2);
      for (let i = 0; i < Ho; i++) {
        const h0 = avgStart(i, sh, ph), h1 = avgEnd(i, sh, ph, kh, H), hp = avgPadded(i, sh, ph, kh, H);
        for (let j = 0; j < Wo; j++) {
          const w0 = avgStart(j, sw, pw), w1 = avgEnd(j, sw, pw, kw, W);
          const padded = hp * avgPadded(j, sw, pw, kw, W);
          const d = avgDivisor(divisor, countIncludePad, padded, (h1 - h0) * (w1 - w0));
          const share: f64 = <f64>load<f32>(gi) / <f64>d;
          gi += 4;
          spreadF32(plane, W, h0, h1, w0, w1, share);
        }
      }
    }
  }
}

/** max pool: values and int32 flat indices (h·W + w). Padding taps are skipped (−∞). */
export function maxPool2dF32(
  x: usize, sN: i32, sC: i32, sH: i32, sW: i32, y: usize, idx: usize,
  N: i32, C: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
): void {
  let out = y, oi = idx;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = at(x, n * sN + c * sC);
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++) {
          let best: f32 = -Infinity;
          let bestIdx = -1;
          for (let a = 0; a < kh; a++) {
            const h = i * sh - ph + a * dh;
            if (h < 0 || h >= H) continue;
            const r = at(base, h * sH);
            for (let b = 0; b < kw; b++) {
              const w = j * sw - pw + b * dw;
              if (w < 0 || w >= W) continue;
              const v = load<f32>(at(r, w * sW));
              if (bestIdx < 0) bestIdx = h * W + w; // an all −∞ window points at its first real tap
              if (v > best || v != v) { best = v; bestIdx = h * W + w; }
            }
          }
          store<f32>(out, best);
          store<i32>(oi, bestIdx);
          out += 4; oi += 4;
        }
      }
    }
  }
}

/** Start of adaptive bin i: ⌊i·n/m⌋. */
@inline function binStart(i: i32, n: i32, m: i32): i32 {
  return <i32>((<i64>i * <i64>n) / <i64>m);
}
/** End of adaptive bin i: ⌈(i+1)·n/m⌉. */
@inline function binEnd(i: i32, n: i32, m: i32): i32 {
  return <i32>((<i64>(i + 1) * <i64>n + <i64>m - 1) / <i64>m);
}

/** Σ of n contiguous floats in f64 (two f64x2 accumulators over f32x4 loads, then a scalar tail). */
@inline function sumF64(p: usize, n: i32): f64 {
  let a = f64x2.splat(0), b = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    a = f64x2.add(a, f64x2.promote_low_f32x4(v));
    b = f64x2.add(b, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  }
  let s = (f64x2.extract_lane(a, 0) + f64x2.extract_lane(b, 0)) + (f64x2.extract_lane(a, 1) + f64x2.extract_lane(b, 1));
  for (; i < n; i++) s += <f64>load<f32>(p + (<usize>i << 2));
  return s;
}

export function adaptiveAvgPool2dF32(
  x: usize, sN: i32, sC: i32, sH: i32, sW: i32, y: usize,
  N: i32, C: i32, H: i32, W: i32, Ho: i32, Wo: i32,
): void {
  let out = y;
  if (Ho == 1 && Wo == 1 && sW == 1) {
    // global average pooling over rows that are contiguous: SIMD sums, still in f64
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const base = at(x, n * sN + c * sC);
        let v: f64 = 0;
        if (sH == W) v = sumF64(base, H * W);
        else for (let h = 0; h < H; h++) v += sumF64(at(base, h * sH), W);
        store<f32>(out, <f32>(v / <f64>(H * W)));
        out += 4;
      }
    }
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = at(x, n * sN + c * sC);
      for (let i = 0; i < Ho; i++) {
        const h0 = binStart(i, H, Ho), h1 = binEnd(i, H, Ho);
        for (let j = 0; j < Wo; j++) {
          const w0 = binStart(j, W, Wo), w1 = binEnd(j, W, Wo);
          const v = windowSumF64(base, sH, sW, h0, h1, w0, w1);
          store<f32>(out, <f32>(v / <f64>((h1 - h0) * (w1 - w0))));
          out += 4;
        }
      }
    }
  }
}

/** dx[h,w] += g[i,j] / |bin(i,j)| over every bin holding (h,w). g is contiguous [N,C,Ho,Wo]. */
export function adaptiveAvgPool2dBackwardF32(
  g: usize, dx: usize,
  N: i32, C: i32, H: i32, W: i32, Ho: i32, Wo: i32,
): void {
  memory.fill(dx, 0, <usize>N * <usize>C * <usize>H * <usize>W << 2);
  let gi = g;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = dx + (<usize>(n * C + c) * <usize>H * <usize>W << 2);
      for (let i = 0; i < Ho; i++) {
        const h0 = binStart(i, H, Ho), h1 = binEnd(i, H, Ho);
        for (let j = 0; j < Wo; j++) {
          const w0 = binStart(j, W, Wo), w1 = binEnd(j, W, Wo);
          const share: f64 = <f64>load<f32>(gi) / <f64>((h1 - h0) * (w1 - w0));
          gi += 4;
          spreadF32(plane, W, h0, h1, w0, w1, share);
        }
      }
    }
  }
}

export function adaptiveMaxPool2dF32(
  x: usize, sN: i32, sC: i32, sH: i32, sW: i32, y: usize, idx: usize,
  N: i32, C: i32, H: i32, W: i32, Ho: i32, Wo: i32,
): void {
  let out = y, oi = idx;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = at(x, n * sN + c * sC);
      for (let i = 0; i < Ho; i++) {
        const h0 = binStart(i, H, Ho), h1 = binEnd(i, H, Ho);
        for (let j = 0; j < Wo; j++) {
          const w0 = binStart(j, W, Wo), w1 = binEnd(j, W, Wo);
          let best: f32 = -Infinity;
          let bestIdx = h0 * W + w0;
          for (let h = h0; h < h1; h++) {
            const r = at(base, h * sH);
            for (let w = w0; w < w1; w++) {
              const v = load<f32>(at(r, w * sW));
              if (v > best || v != v) { best = v; bestIdx = h * W + w; }
            }
          }
          store<f32>(out, best);
          store<i32>(oi, bestIdx);
          out += 4; oi += 4;
        }
      }
    }
  }
}
