/**
 * unfold (im2col) and fold (col2im), like torch.nn.functional.unfold / fold.
 *
 *   unfold: x [N,C,H,W] -> [N, C·kh·kw, L],  L = Ho·Wo sliding blocks,
 *           Ho = floor((H + 2·ph − dh·(kh − 1) − 1) / sh) + 1 (Wo likewise);
 *           row (c·kh + a)·kw + b, column i·Wo + j holds x[c, i·sh − ph + a·dh, j·sw − pw + b·dw].
 *   fold:   [N, C·kh·kw, L] -> [N,C,H,W], summing every block's values back where they came from.
 *
 * The two are adjoint linear maps, so each one's backward is the other.
 * Both accept an unbatched input ([C,H,W] for unfold, [C·kh·kw, L] for fold).
 */
import { record } from '../autograd.js';
import type { Pair, WindowParams } from '../backends/backend.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { IntOrPair } from './conv.js';
import { fromStorage, requireFloat } from './core.js';
import { reshape } from './view.js';

export interface FoldOptions {
  dilation?: IntOrPair;
  padding?: IntOrPair;
  stride?: IntOrPair;
}

/** A number or pair as a checked pair of integers ≥ min. */
function pairOf(op: string, name: string, v: IntOrPair, min: number): Pair {
  const p: Pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new RangeError(`${op}: ${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

function windowParams(op: string, kernelSize: IntOrPair, opts: FoldOptions): WindowParams {
  return {
    kernel: pairOf(op, 'kernel_size', kernelSize, 1),
    stride: pairOf(op, 'stride', opts.stride ?? 1, 1),
    padding: pairOf(op, 'padding', opts.padding ?? 0, 0),
    dilation: pairOf(op, 'dilation', opts.dilation ?? 1, 1),
  };
}

/** The number of sliding blocks [Ho, Wo] over a spatial size [H, W]; each must be ≥ 1. */
function blockCounts(op: string, size: Pair, p: WindowParams, shown: string): Pair {
  const n = size.map((s, i) => Math.floor((s + 2 * p.padding[i] - p.dilation[i] * (p.kernel[i] - 1) - 1) / p.stride[i]) + 1);
  if (n.some((b) => b < 1)) {
    throw new RangeError(
      `${op}: ${shown} with kernel ${fmtShape(p.kernel)}, stride ${fmtShape(p.stride)}, padding ${fmtShape(p.padding)}, ` +
      `dilation ${fmtShape(p.dilation)} gives ${fmtShape(n)} sliding blocks; each must be at least 1`,
    );
  }
  return [n[0], n[1]];
}

/** [N,C,H,W] (or [C,H,W]) -> [N, C·kh·kw, L] (or [C·kh·kw, L]). Backward: fold. */
export function unfold(x: Tensor, kernelSize: IntOrPair, opts: FoldOptions = {}): Tensor {
  const op = 'unfold';
  requireFloat(op, x);
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${op}: expected a 3-D [C,H,W] or 4-D [N,C,H,W] input, got ${fmtShape(x.shape)}`);
  const unbatched = x.ndim === 3;
  if (x.shape.slice(unbatched ? 0 : 1).some((d) => d === 0)) throw new RangeError(`${op}: input ${fmtShape(x.shape)} has a zero-size channel or spatial dim`);
  const x4 = unbatched ? reshape(x, [1, ...x.shape]) : x;
  const p = windowParams(op, kernelSize, opts);
  const [N, C, H, W] = x4.shape;
  const [Ho, Wo] = blockCounts(op, [H, W], p, `input ${fmtShape(x.shape)}`);
  const cols = fromStorage(x4.backend.im2col(x4, p), [N, C * p.kernel[0] * p.kernel[1], Ho * Wo]);
  record(cols, op, [x4], (g) => [fold(g, [H, W], p.kernel, p)]);
  return unbatched ? reshape(cols, cols.shape.slice(1)) : cols;
}

/** [N, C·kh·kw, L] (or [C·kh·kw, L]) -> [N,C,H,W] (or [C,H,W]), overlaps summed. Backward: unfold. */
export function fold(x: Tensor, outputSize: IntOrPair, kernelSize: IntOrPair, opts: FoldOptions = {}): Tensor {
  const op = 'fold';
  requireFloat(op, x);
  if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`${op}: expected a 2-D [C·kh·kw, L] or 3-D [N, C·kh·kw, L] input, got ${fmtShape(x.shape)}`);
  const unbatched = x.ndim === 2;
  if (x.shape.slice(unbatched ? 0 : 1).some((d) => d === 0)) throw new RangeError(`${op}: input ${fmtShape(x.shape)} has a zero-size dim`);
  const x3 = unbatched ? reshape(x, [1, ...x.shape]) : x;
  const p = windowParams(op, kernelSize, opts);
  const size = pairOf(op, 'output_size', outputSize, 1);
  const [N, rows, L] = x3.shape;
  const kk = p.kernel[0] * p.kernel[1];
  if (rows % kk !== 0) {
    throw new RangeError(`${op}: input ${fmtShape(x.shape)} has ${rows} rows, which is not divisible by the kernel size ${fmtShape(p.kernel)} (${kk} per channel)`);
  }
  const [Ho, Wo] = blockCounts(op, size, p, `output_size ${fmtShape(size)}`);
  if (L !== Ho * Wo) {
    throw new RangeError(
      `${op}: input ${fmtShape(x.shape)} has L = ${L} blocks, but output_size ${fmtShape(size)} with kernel ${fmtShape(p.kernel)}, ` +
      `stride ${fmtShape(p.stride)}, padding ${fmtShape(p.padding)}, dilation ${fmtShape(p.dilation)} gives ${Ho}·${Wo} = ${Ho * Wo}`,
    );
  }
  const C = rows / kk;
  const y = fromStorage(x3.backend.col2im(x3, size, p), [N, C, size[0], size[1]]);
  record(y, op, [x3], (g) => [unfold(g, p.kernel, p)]);
  return unbatched ? reshape(y, y.shape.slice(1)) : y;
}
