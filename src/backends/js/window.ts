/**
 * im2col (unfold) and col2im (fold): the sliding windows of x [N,C,H,W] laid out as columns.
 *
 *   Ho = floor((H + 2·ph − dh·(kh − 1) − 1) / sh) + 1,   Wo likewise,   L = Ho·Wo
 *
 *   im2col:  cols[n, (c·kh + a)·kw + b, i·Wo + j] = x[n, c, i·sh − ph + a·dh, j·sw − pw + b·dw]
 *            (0 where the tap falls in the zero padding)
 *   col2im:  x[n, c, h, w] = Σ over every (a, b, i, j) whose tap lands on (h, w) of
 *            cols[n, (c·kh + a)·kw + b, i·Wo + j]          (overlaps summed: the adjoint of im2col)
 *
 * Rows run C-major then kernel row-major; L runs row-major over the output positions,
 * exactly like torch.nn.functional.unfold / fold.
 */
import { arrayFor, type TypedArray } from '../../dtype.js';
import type { Pair, View, WindowParams } from '../backend.js';
import { dataOf } from './storage.js';

/** The number of window positions along one axis. */
function blocks(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/**
 * Calls visit(n, c, row, l, h, w) for every tap that lands inside the H×W image, in the order
 * n, c, a, b, i, j:  row = (c·kh + a)·kw + b,  l = i·Wo + j,  h = i·sh − ph + a·dh,  w = j·sw − pw + b·dw.
 */
function forEachTap(
  N: number, C: number, H: number, W: number, p: WindowParams,
  visit: (n: number, c: number, row: number, l: number, h: number, w: number) => void,
): void {
  const [kh, kw] = p.kernel, [strH, strW] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  const Ho = blocks(H, kh, strH, ph, dh), Wo = blocks(W, kw, strW, pw, dw);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const row = (c * kh + a) * kw + b;
          for (let i = 0; i < Ho; i++) {
            const h = i * strH - ph + a * dh;
            if (h < 0 || h >= H) continue; // the tap fell in the zero padding
            for (let j = 0; j < Wo; j++) {
              const w = j * strW - pw + b * dw;
              if (w < 0 || w >= W) continue;
              visit(n, c, row, i * Wo + j, h, w);
            }
          }
        }
      }
    }
  }
}

export function im2col(x: View, p: WindowParams): TypedArray {
  const [N, C, H, W] = x.shape;
  const [sn, sc, sh, sw] = x.strides;
  const X = dataOf(x);
  const [kh, kw] = p.kernel, [strH, strW] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  const Ho = blocks(H, kh, strH, ph, dh), Wo = blocks(W, kw, strW, pw, dw);
  const L = Ho * Wo, rows = C * kh * kw;
  const cols = arrayFor(x.storage.dtype, N * rows * L); // starts zeroed: padding taps stay 0
  forEachTap(N, C, H, W, p, (n, c, row, l, h, w) => {
    cols[(n * rows + row) * L + l] = X[x.offset + n * sn + c * sc + h * sh + w * sw];
  });
  return cols;
}

export function col2im(cols: View, outputSize: Pair, p: WindowParams): TypedArray {
  const [N, rows, L] = cols.shape;
  const [cn, cr, cl] = cols.strides;
  const K = dataOf(cols);
  const [H, W] = outputSize;
  const [kh, kw] = p.kernel;
  const C = rows / (kh * kw);
  void L; // the op checked L = Ho·Wo
  const x = arrayFor(cols.storage.dtype, N * C * H * W);
  forEachTap(N, C, H, W, p, (n, c, row, l, h, w) => {
    x[((n * C + c) * H + h) * W + w] += K[cols.offset + n * cn + row * cr + l * cl];
  });
  return x;
}
