/**
 * 2-D convolution, the js reference kernels.
 *
 * x [N,C,H,W], w [O,Cg,kh,kw] with G groups: Cg = C/G input and Og = O/G output
 * channels per group; output channel o belongs to group g = ⌊o/Og⌋ and reads the
 * input channels g·Cg … g·Cg + Cg − 1. The tap (a, b) of output position (i, j)
 * reads the input at
 *     ih = i·sh − ph + a·dh,   iw = j·sw − pw + b·dw        (outside the input: zero padding)
 *
 *   forward:  y[n,o,i,j]          = Σ_{c<Cg, a<kh, b<kw} x[n, g·Cg+c, ih, iw] · w[o,c,a,b]
 *   input:    dx[n, g·Cg+c, ih, iw] += dy[n,o,i,j] · w[o,c,a,b]     over every (o, c, a, b, i, j)
 *   weight:   dw[o,c,a,b]         = Σ_{n, i, j} dy[n,o,i,j] · x[n, g·Cg+c, ih, iw]
 *
 * The input gradient is the adjoint of the forward: the same loops, with the
 * multiply-add scattered back to where the forward gathered from. Output sizes
 * Ho, Wo are those of the output gradient `dy` (the forward computes them as
 * ⌊(H + 2ph − dh·(kh−1) − 1) / sh⌋ + 1).
 *
 * Taps landing in the zero padding add nothing, so for each kernel tap the loops
 * run only over the output positions whose tap is inside the input (`taps`).
 * Inputs are strided views (any strides and offset), read as
 * data[offset + n·s0 + c·s1 + h·s2 + w·s3]. Sums accumulate in float64 and the
 * result is a fresh contiguous array of the input's dtype.
 */
import { arrayFor, type TypedArray } from '../../dtype.js';
import type { Conv2dParams, View } from '../backend.js';
import { dataOf } from './storage.js';

/** Output length of a convolution along one axis. */
function outLength(inSize: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((inSize + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

/**
 * The taps of a kernel along one axis (rows or columns). Tap k of output
 * position i reads input position i·stride + start[k], start[k] = k·dil − pad;
 * it is inside the input (0 ≤ i·stride + start[k] < inSize) exactly for the
 * output positions lo[k] ≤ i < hi[k].
 */
interface Taps { start: number[]; lo: number[]; hi: number[] }

function taps(k: number, stride: number, pad: number, dil: number, inSize: number, outSize: number): Taps {
  const t: Taps = { start: [], lo: [], hi: [] };
  for (let a = 0; a < k; a++) {
    const start = a * dil - pad;
    const lo = Math.max(0, Math.ceil(-start / stride));
    const hi = Math.min(outSize, Math.ceil((inSize - start) / stride));
    t.start.push(start);
    t.lo.push(lo);
    t.hi.push(Math.max(lo, hi));
  }
  return t;
}

/** The float64 accumulator, copied into an array of the output dtype. */
function finish(acc: Float64Array, like: View): TypedArray {
  const out = arrayFor(like.storage.dtype, acc.length);
  out.set(acc);
  return out;
}

/** y = conv2d(x, w): x [N,C,H,W], w [O,C/G,kh,kw] -> y [N,O,Ho,Wo]. */
export function conv2d(x: View, w: View, p: Conv2dParams): TypedArray {
  const [N, , H, W] = x.shape;
  const [O, Cg, kh, kw] = w.shape;
  const { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups } = p;
  const Ho = outLength(H, kh, sh, ph, dh), Wo = outLength(W, kw, sw, pw, dw);
  const rows = taps(kh, sh, ph, dh, H, Ho), cols = taps(kw, sw, pw, dw, W, Wo);
  const Og = O / groups;
  const xd = dataOf(x), wd = dataOf(w);
  const [xsN, xsC, xsH, xsW] = x.strides;
  const [wsO, wsC, wsA, wsB] = w.strides;
  const y = new Float64Array(N * O * Ho * Wo);

  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      const yPlane = (n * O + o) * Ho * Wo;
      for (let c = 0; c < Cg; c++) {
        const xPlane = x.offset + n * xsN + (g * Cg + c) * xsC;
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const wv = wd[w.offset + o * wsO + c * wsC + a * wsA + b * wsB];
            const j0 = cols.lo[b], j1 = cols.hi[b];
            for (let i = rows.lo[a]; i < rows.hi[a]; i++) {
              // x[n, g·Cg+c, i·sh + start_a, j·sw + start_b] for j = j0, j0+1, ...
              let xi = xPlane + (i * sh + rows.start[a]) * xsH + (j0 * sw + cols.start[b]) * xsW;
              const yRow = yPlane + i * Wo;
              for (let j = j0; j < j1; j++, xi += sw * xsW) y[yRow + j] += wv * xd[xi];
            }
          }
        }
      }
    }
  }
  return finish(y, x);
}

/** dx = ∂L/∂x of conv2d: dy [N,O,Ho,Wo], w [O,C/G,kh,kw] -> dx of `inputShape` [N,C,H,W]. */
export function conv2dBackwardInput(dy: View, w: View, inputShape: readonly number[], p: Conv2dParams): TypedArray {
  const [N, C, H, W] = inputShape;
  const [, , Ho, Wo] = dy.shape;
  const [O, Cg, kh, kw] = w.shape;
  const { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups } = p;
  const rows = taps(kh, sh, ph, dh, H, Ho), cols = taps(kw, sw, pw, dw, W, Wo);
  const Og = O / groups;
  const gd = dataOf(dy), wd = dataOf(w);
  const [gsN, gsO, gsH, gsW] = dy.strides;
  const [wsO, wsC, wsA, wsB] = w.strides;
  const dx = new Float64Array(N * C * H * W);

  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      const gPlane = dy.offset + n * gsN + o * gsO;
      for (let c = 0; c < Cg; c++) {
        const xPlane = (n * C + g * Cg + c) * H * W;
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const wv = wd[w.offset + o * wsO + c * wsC + a * wsA + b * wsB];
            const j0 = cols.lo[b], j1 = cols.hi[b];
            for (let i = rows.lo[a]; i < rows.hi[a]; i++) {
              // scatter into dx[n, g·Cg+c, i·sh + start_a, j·sw + start_b] for j = j0, j0+1, ...
              let xi = xPlane + (i * sh + rows.start[a]) * W + j0 * sw + cols.start[b];
              const gRow = gPlane + i * gsH;
              for (let j = j0; j < j1; j++, xi += sw) dx[xi] += wv * gd[gRow + j * gsW];
            }
          }
        }
      }
    }
  }
  return finish(dx, dy);
}

/** dw = ∂L/∂w of conv2d: x [N,C,H,W], dy [N,O,Ho,Wo] -> dw of `weightShape` [O,C/G,kh,kw]. */
export function conv2dBackwardWeight(x: View, dy: View, weightShape: readonly number[], p: Conv2dParams): TypedArray {
  const [N, , H, W] = x.shape;
  const [, , Ho, Wo] = dy.shape;
  const [O, Cg, kh, kw] = weightShape;
  const { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups } = p;
  const rows = taps(kh, sh, ph, dh, H, Ho), cols = taps(kw, sw, pw, dw, W, Wo);
  const Og = O / groups;
  const xd = dataOf(x), gd = dataOf(dy);
  const [xsN, xsC, xsH, xsW] = x.strides;
  const [gsN, gsO, gsH, gsW] = dy.strides;
  const wGrad = new Float64Array(O * Cg * kh * kw);

  for (let o = 0; o < O; o++) {
    const g = Math.floor(o / Og);
    for (let c = 0; c < Cg; c++) {
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const j0 = cols.lo[b], j1 = cols.hi[b];
          let sum = 0;
          for (let n = 0; n < N; n++) {
            const xPlane = x.offset + n * xsN + (g * Cg + c) * xsC;
            const gPlane = dy.offset + n * gsN + o * gsO;
            for (let i = rows.lo[a]; i < rows.hi[a]; i++) {
              // Σ_j dy[n,o,i,j] · x[n, g·Cg+c, i·sh + start_a, j·sw + start_b]
              let xi = xPlane + (i * sh + rows.start[a]) * xsH + (j0 * sw + cols.start[b]) * xsW;
              const gRow = gPlane + i * gsH;
              for (let j = j0; j < j1; j++, xi += sw * xsW) sum += gd[gRow + j * gsW] * xd[xi];
            }
          }
          wGrad[((o * Cg + c) * kh + a) * kw + b] = sum;
        }
      }
    }
  }
  return finish(wGrad, x);
}
