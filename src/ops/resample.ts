/**
 * Resampling: interpolate (bilinear, nearest) and grid_sample (bilinear, zeros padding).
 *
 * interpolate, bilinear. Bilinear resizing is separable: every output row
 * mixes two input rows and every output column two input columns. With the
 * interpolation matrices A_h [Ho,H] and A_w [Wo,W] built here,
 *     out[n,c] = A_h · x[n,c] · A_wᵀ
 * and autograd's backward through the two matmuls, dx = A_hᵀ · g · A_w, is
 * exactly the scatter-add of the four bilinear weights that PyTorch's
 * upsample_bilinear2d_backward does. Row i of A along one axis (in → out):
 *   scale = align_corners ? (in − 1)/(out − 1)   (0 when out = 1)
 *         : 1/scale_factor when a scale factor is given, else in/out
 *   src   = align_corners ? i·scale : max((i + 0.5)·scale − 0.5, 0)
 *   i0 = min(⌊src⌋, in − 1),  i1 = min(i0 + 1, in − 1),  λ = clamp(src − i0, 0, 1)
 *   A[i, i0] += 1 − λ,   A[i, i1] += λ
 * and, like PyTorch, an axis whose size does not change is copied as is (A = I).
 *
 * interpolate, nearest (PyTorch's 'nearest', not 'nearest-exact'):
 *   out[i] = x[min(⌊i·scale⌋, in − 1)],  scale = 1/scale_factor or in/out,
 * in float32 arithmetic, with an axis of unchanged size copied and an axis
 * doubled read at ⌊i/2⌋: PyTorch's nearest_idx, which its backward kernel
 * (and the forward of the Debian build, 1.13) uses. One index_select per axis,
 * whose backward index_adds like upsample_nearest2d_backward.
 *
 * grid_sample: the formula and its derivatives are in
 * src/backends/js/sample.ts; the op records the gradients of both the input
 * and the grid.
 */
import { record } from '../autograd.js';
import { tensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage, requireFloat } from './core.js';
import { indexSelect } from './indexing.js';
import { matmul } from './matmul.js';
import { clone, transpose } from './view.js';

export interface InterpolateOptions {
  size?: number | readonly [number, number];
  scaleFactor?: number | readonly [number, number];
  /** PyTorch's default is 'nearest' */
  mode?: 'nearest' | 'bilinear';
  /** bilinear only; PyTorch's default is false */
  alignCorners?: boolean;
}

export interface GridSampleOptions {
  mode?: 'bilinear';
  paddingMode?: 'zeros';
  /** PyTorch's default is false */
  alignCorners?: boolean;
}

type Pair = [number, number];

function pairOf(what: string, v: number | readonly number[], where: string): Pair {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2) throw new RangeError(`interpolate: ${what} must be a number or a pair [h, w], got ${JSON.stringify(v)} (${where})`);
  return [p[0], p[1]];
}

/** PyTorch's scale for the non-align-corners source index: 1/scale_factor if given, else in/out. */
const ratio = (inSize: number, outSize: number, scaleFactor: number | undefined) =>
  scaleFactor !== undefined ? 1 / scaleFactor : inSize / outSize;

/** The [out, in] matrix of bilinear weights along one axis (see the header). */
function bilinearMatrix(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined, dtype: DType, x: Tensor): Tensor {
  const A = new Float64Array(outSize * inSize);
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : ratio(inSize, outSize, scaleFactor);
  for (let i = 0; i < outSize; i++) {
    const src = alignCorners ? i * scale : Math.max((i + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const lambda = Math.min(Math.max(src - i0, 0), 1);
    A[i * inSize + i0] += 1 - lambda;
    A[i * inSize + i1] += lambda;
  }
  return tensor(A, [outSize, inSize], { dtype, backend: x.backend });
}

/** Source indices of 'nearest' along one axis: PyTorch's nearest_idx (float32 arithmetic, see the header). */
function nearestIndex(inSize: number, outSize: number, scaleFactor: number | undefined, x: Tensor): Tensor {
  const scale = Math.fround(ratio(inSize, outSize, scaleFactor));
  const index = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    index[i] = outSize === inSize ? i
      : outSize === 2 * inSize ? i >> 1
      : Math.min(Math.floor(Math.fround(i * scale)), inSize - 1);
  }
  return tensor(index, [outSize], { backend: x.backend });
}

/** F.interpolate on x [N,C,H,W] with mode 'bilinear' or 'nearest'. */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const { size, scaleFactor, mode = 'nearest', alignCorners } = opts;
  const where = `input ${fmtShape(x.shape)}`;
  if (mode !== 'nearest' && mode !== 'bilinear') throw new RangeError(`interpolate: unsupported mode '${mode}' (expected 'nearest' or 'bilinear'; ${where})`);
  if (x.ndim !== 4) throw new RangeError(`interpolate: mode '${mode}' expects a 4-D input [N,C,H,W], got ${fmtShape(x.shape)}`);
  requireFloat('interpolate', x);
  if (size !== undefined && scaleFactor !== undefined) throw new RangeError(`interpolate: only one of size or scaleFactor should be given (${where})`);
  if (size === undefined && scaleFactor === undefined) throw new RangeError(`interpolate: either size or scaleFactor should be given (${where})`);
  if (mode === 'nearest' && alignCorners !== undefined) {
    throw new RangeError(`interpolate: alignCorners can only be set with mode 'bilinear', not '${mode}' (${where})`);
  }
  const [H, W] = [x.shape[2], x.shape[3]];
  let outSize: Pair;
  let scales: [number | undefined, number | undefined] = [undefined, undefined];
  if (size !== undefined) {
    outSize = pairOf('size', size, where);
    if (outSize.some((s) => !Number.isInteger(s))) throw new RangeError(`interpolate: size must hold integers, got [${outSize.join(',')}] (${where})`);
  } else {
    const sf = pairOf('scaleFactor', scaleFactor!, where);
    if (sf.some((s) => !(s > 0 && Number.isFinite(s)))) throw new RangeError(`interpolate: scaleFactor must be positive and finite, got [${sf.join(',')}] (${where})`);
    outSize = [Math.floor(H * sf[0]), Math.floor(W * sf[1])];
    scales = sf;
  }
  const [Ho, Wo] = outSize;
  if (!(H > 0 && W > 0 && Ho > 0 && Wo > 0)) {
    throw new RangeError(`interpolate: input and output sizes should be greater than 0, got input (H: ${H}, W: ${W}) output (H: ${Ho}, W: ${Wo}) (${where})`);
  }

  if (mode === 'nearest') {
    const rows = indexSelect(x, 2, nearestIndex(H, Ho, scales[0], x));
    return indexSelect(rows, 3, nearestIndex(W, Wo, scales[1], x));
  }
  const ac = alignCorners ?? false;
  let y = x;
  if (Ho !== H) y = matmul(bilinearMatrix(H, Ho, ac, scales[0], x.dtype, x), y); // [Ho,H] @ [N,C,H,W]
  if (Wo !== W) y = matmul(y, transpose(bilinearMatrix(W, Wo, ac, scales[1], x.dtype, x), 0, 1)); // [N,C,Ho,W] @ [W,Wo]
  return y === x ? clone(x) : y;
}

/** F.grid_sample, bilinear with zeros padding: x [N,C,H,W], grid [N,Ho,Wo,2] with (x, y) in [−1, 1] -> [N,C,Ho,Wo]. */
export function gridSample(x: Tensor, grid: Tensor, opts: GridSampleOptions = {}): Tensor {
  const { mode = 'bilinear', paddingMode = 'zeros', alignCorners = false } = opts;
  const where = `input ${fmtShape(x.shape)}, grid ${fmtShape(grid.shape)}`;
  if (mode !== 'bilinear') throw new RangeError(`grid_sample: mode '${mode}' is not supported, only 'bilinear' (${where})`);
  if (paddingMode !== 'zeros') throw new RangeError(`grid_sample: paddingMode '${paddingMode}' is not supported, only 'zeros' (${where})`);
  if (x.ndim !== 4) throw new RangeError(`grid_sample: expected a 4-D input [N,C,H,W] (${where})`);
  if (grid.ndim !== 4 || grid.shape[3] !== 2) throw new RangeError(`grid_sample: expected a grid [N,Ho,Wo,2] holding (x, y) pairs (${where})`);
  if (grid.shape[0] !== x.shape[0]) throw new RangeError(`grid_sample: input and grid have different batch sizes ${x.shape[0]} and ${grid.shape[0]} (${where})`);
  if (x.shape[2] === 0 || x.shape[3] === 0) throw new RangeError(`grid_sample: expected an input with non-empty spatial dims (${where})`);
  requireFloat('grid_sample', x);
  requireFloat('grid_sample', grid);
  if (x.dtype !== grid.dtype) throw new TypeError(`grid_sample: input and grid must have one dtype, got ${x.dtype} and ${grid.dtype} (${where})`);
  if (x.backend !== grid.backend) throw new Error(`grid_sample: input and grid are on different backends (${x.backend.name} and ${grid.backend.name})`);
  const [N, C] = x.shape;
  const [, Ho, Wo] = grid.shape;
  const out = fromStorage(x.backend.gridSample(x, grid, alignCorners), [N, C, Ho, Wo]);
  return record(out, 'grid_sample', [x, grid], (g) => {
    const { dx, dgrid } = g.backend.gridSampleBackward(g, x, grid, alignCorners);
    return [fromStorage(dx, x.shape), fromStorage(dgrid, grid.shape)];
  });
}
