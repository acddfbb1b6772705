/**
 * grid_sample, bilinear, padding_mode = 'zeros' (PyTorch's grid_sampler_2d).
 *
 * x [N,C,H,W], grid [N,Ho,Wo,2]. For output pixel (n, i, j) the grid holds a
 * normalised point (gx, gy) in [−1, 1]; gx runs along W, gy along H. It is
 * unnormalised to pixel coordinates (iy likewise with H):
 *   align_corners = true:   ix = (gx + 1)/2 · (W − 1)       −1 and 1 are the centres of the corner pixels
 *   align_corners = false:  ix = ((gx + 1)·W − 1)/2         −1 and 1 are the outer edges of the corner pixels
 * With x0 = ⌊ix⌋, y0 = ⌊iy⌋, x1 = x0 + 1, y1 = y0 + 1, the four taps and weights are
 *   nw = X[y0,x0]·(x1 − ix)(y1 − iy)     ne = X[y0,x1]·(ix − x0)(y1 − iy)
 *   sw = X[y1,x0]·(x1 − ix)(iy − y0)     se = X[y1,x1]·(ix − x0)(iy − y0)
 *   out[n,c,i,j] = nw + ne + sw + se,    a tap outside the image reads 0.
 *
 * Backward, with G = ∂L/∂out[n,c,i,j]:
 *   ∂L/∂X[tap] += weight(tap) · G                            (scatter-add; out-of-image taps dropped)
 *   ∂L/∂ix = Σ_c G · ( −X[y0,x0](y1 − iy) + X[y0,x1](y1 − iy) − X[y1,x0](iy − y0) + X[y1,x1](iy − y0) )
 *   ∂L/∂iy = Σ_c G · ( −X[y0,x0](x1 − ix) − X[y0,x1](ix − x0) + X[y1,x0](x1 − ix) + X[y1,x1](ix − x0) )
 *   ∂L/∂gx = ∂L/∂ix · dix/dgx,   dix/dgx = (W − 1)/2 (align_corners) or W/2;   likewise gy with H.
 * (Out-of-image taps read 0, so they drop out of these sums too.)
 */
import { arrayFor, type TypedArray } from '../../dtype.js';
import type { View } from '../backend.js';
import { dataOf } from './storage.js';

/** Pixel coordinate of a normalised grid coordinate along an axis of `size` pixels. */
function unnormalize(g: number, size: number, alignCorners: boolean): number {
  return alignCorners ? ((g + 1) / 2) * (size - 1) : ((g + 1) * size - 1) / 2;
}

/** d(pixel coordinate)/d(grid coordinate). */
function unnormalizeScale(size: number, alignCorners: boolean): number {
  return alignCorners ? (size - 1) / 2 : size / 2;
}

/** The sample point of output pixel (n, i, j): its four taps, their weights, and which taps are inside the image. */
interface Taps {
  ix: number; iy: number;
  x0: number; y0: number; x1: number; y1: number;
  wnw: number; wne: number; wsw: number; wse: number;
  inNw: boolean; inNe: boolean; inSw: boolean; inSe: boolean;
}

function taps(gx: number, gy: number, H: number, W: number, alignCorners: boolean): Taps {
  const ix = unnormalize(gx, W, alignCorners);
  const iy = unnormalize(gy, H, alignCorners);
  const x0 = Math.floor(ix), y0 = Math.floor(iy);
  const x1 = x0 + 1, y1 = y0 + 1;
  const inX0 = x0 >= 0 && x0 < W, inX1 = x1 >= 0 && x1 < W;
  const inY0 = y0 >= 0 && y0 < H, inY1 = y1 >= 0 && y1 < H;
  return {
    ix, iy, x0, y0, x1, y1,
    wnw: (x1 - ix) * (y1 - iy),
    wne: (ix - x0) * (y1 - iy),
    wsw: (x1 - ix) * (iy - y0),
    wse: (ix - x0) * (iy - y0),
    inNw: inY0 && inX0, inNe: inY0 && inX1, inSw: inY1 && inX0, inSe: inY1 && inX1,
  };
}

/** The taps of output pixel (n, i, j): its grid point (gx at grid[n, i, j, 0], gy at grid[n, i, j, 1]) through taps(). */
function gridTaps(grid: View, G: TypedArray, n: number, i: number, j: number, H: number, W: number, alignCorners: boolean): Taps {
  const [gs0, gs1, gs2, gs3] = grid.strides;
  const g = grid.offset + n * gs0 + i * gs1 + j * gs2;
  return taps(G[g], G[g + gs3], H, W, alignCorners);
}

/** Storage offsets of the four taps within one channel of x (row stride xs2, column stride xs3). */
function tapOffsets(t: Taps, xs2: number, xs3: number) {
  return {
    nw: t.y0 * xs2 + t.x0 * xs3, ne: t.y0 * xs2 + t.x1 * xs3,
    sw: t.y1 * xs2 + t.x0 * xs3, se: t.y1 * xs2 + t.x1 * xs3,
  };
}

export function gridSample(x: View, grid: View, alignCorners: boolean): TypedArray {
  const [N, C, H, W] = x.shape;
  const [, Ho, Wo] = grid.shape;
  const X = dataOf(x), G = dataOf(grid);
  const [xs0, xs1, xs2, xs3] = x.strides;
  const out = arrayFor(x.storage.dtype, N * C * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const t = gridTaps(grid, G, n, i, j, H, W, alignCorners);
        const { nw, ne, sw, se } = tapOffsets(t, xs2, xs3);
        for (let c = 0; c < C; c++) {
          const base = x.offset + n * xs0 + c * xs1;
          let v = 0;
          if (t.inNw) v += X[base + nw] * t.wnw;
          if (t.inNe) v += X[base + ne] * t.wne;
          if (t.inSw) v += X[base + sw] * t.wsw;
          if (t.inSe) v += X[base + se] * t.wse;
          out[((n * C + c) * Ho + i) * Wo + j] = v;
        }
      }
    }
  }
  return out;
}

export function gridSampleBackward(g: View, x: View, grid: View, alignCorners: boolean): { dx: TypedArray; dgrid: TypedArray } {
  const [N, C, H, W] = x.shape;
  const [, Ho, Wo] = grid.shape;
  const X = dataOf(x), Gr = dataOf(grid), Go = dataOf(g);
  const [xs0, xs1, xs2, xs3] = x.strides;
  const [os0, os1, os2, os3] = g.strides;
  const dx = arrayFor(x.storage.dtype, N * C * H * W); // contiguous [N,C,H,W]
  const dgrid = arrayFor(grid.storage.dtype, N * Ho * Wo * 2); // contiguous [N,Ho,Wo,2]
  const sx = unnormalizeScale(W, alignCorners), sy = unnormalizeScale(H, alignCorners);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const t = gridTaps(grid, Gr, n, i, j, H, W, alignCorners);
        const { nw, ne, sw, se } = tapOffsets(t, xs2, xs3);
        let dix = 0, diy = 0;
        for (let c = 0; c < C; c++) {
          const gout = Go[g.offset + n * os0 + c * os1 + i * os2 + j * os3];
          const base = x.offset + n * xs0 + c * xs1;
          const dbase = (n * C + c) * H * W;
          if (t.inNw) {
            dx[dbase + t.y0 * W + t.x0] += t.wnw * gout;
            const v = X[base + nw];
            dix -= v * (t.y1 - t.iy) * gout;
            diy -= v * (t.x1 - t.ix) * gout;
          }
          if (t.inNe) {
            dx[dbase + t.y0 * W + t.x1] += t.wne * gout;
            const v = X[base + ne];
            dix += v * (t.y1 - t.iy) * gout;
            diy -= v * (t.ix - t.x0) * gout;
          }
          if (t.inSw) {
            dx[dbase + t.y1 * W + t.x0] += t.wsw * gout;
            const v = X[base + sw];
            dix -= v * (t.iy - t.y0) * gout;
            diy += v * (t.x1 - t.ix) * gout;
          }
          if (t.inSe) {
            dx[dbase + t.y1 * W + t.x1] += t.wse * gout;
            const v = X[base + se];
            dix += v * (t.iy - t.y0) * gout;
            diy += v * (t.ix - t.x0) * gout;
          }
        }
        const o = ((n * Ho + i) * Wo + j) * 2;
        dgrid[o] = dix * sx;
        dgrid[o + 1] = diy * sy;
      }
    }
  }
  return { dx, dgrid };
}
