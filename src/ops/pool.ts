/**
 * Pooling over the spatial dims, like torch.nn.functional.
 *
 *   avg_pool2d:  y = Σ_window x / divisor          dx: g / divisor spread over the window (kernel)
 *   max_pool2d:  y = max_window x, idx = argmax     dx: g scattered to idx (scatter-add; ties in
 *                                                   overlapping windows accumulate)
 *   adaptive:    bins [floor(i·H/Ho), ceil((i+1)·H/Ho)) instead of a fixed window
 *
 * Output size along an axis (PyTorch's pooling_output_shape):
 *   out = floor((in + 2p − d·(k − 1) − 1 + (ceil ? s − 1 : 0)) / s) + 1,
 *   and with ceil_mode the last window must start inside the input or the left padding:
 *   if (out − 1)·s ≥ in + p then out −= 1.
 *
 * Every op accepts an unbatched input ([C,H,W] for the 2-d pools, [C,L] for the 1-d ones).
 * The 1-d pools are the 2-d ones on a [N,C,1,L] view.
 */
import { record } from '../autograd.js';
import type { Pair, Pool2dParams, Storage } from '../backends/backend.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { IntOrPair } from './conv.js';
import { fromStorage, requireFloat } from './core.js';
import type { ValuesIndices } from './reduce.js';
import { reshape } from './view.js';

export interface AvgPoolOptions {
  /** Defaults to the kernel size. */
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

export interface MaxPoolOptions {
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  ceilMode?: boolean;
}

/** Options of max_pool1d: the 1-d counterparts of MaxPoolOptions. */
export interface MaxPool1dOptions {
  stride?: number | null;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
}

/** An adaptive output size: one number for both axes, or a pair where null keeps that input size. */
export type AdaptiveSize = number | readonly [number | null, number | null];

// ---- argument checks ----------------------------------------------------------------------

/** A number or pair as a checked pair of integers ≥ min. */
function pairOf(op: string, name: string, v: IntOrPair, min: number): Pair {
  const p: Pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new RangeError(`${op}: ${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** The input as [N,C,H,W] (adding N = 1 when unbatched); the caller reshapes the result back. */
function batched(op: string, x: Tensor, spatial: 1 | 2): { x4: Tensor; unbatched: boolean } {
  requireFloat(op, x);
  const full = spatial + 2;
  if (x.ndim !== full && x.ndim !== full - 1) {
    const names = spatial === 2 ? ['[C,H,W]', '[N,C,H,W]'] : ['[C,L]', '[N,C,L]'];
    throw new RangeError(`${op}: expected a ${full - 1}-D ${names[0]} or ${full}-D ${names[1]} input, got ${fmtShape(x.shape)}`);
  }
  const unbatched = x.ndim === full - 1;
  if (x.shape.slice(unbatched ? 0 : 1).some((d) => d === 0)) {
    throw new RangeError(`${op}: input ${fmtShape(x.shape)} has a zero-size channel or spatial dim`);
  }
  const shape4 = [...(unbatched ? [1] : []), ...x.shape];
  if (spatial === 1) shape4.splice(2, 0, 1); // [N,C,L] -> [N,C,1,L]
  return { x4: shape4.length === x.ndim && spatial === 2 ? x : reshape(x, shape4), unbatched };
}

/** The result [N,C,Ho,Wo] back in the caller's layout (drop N when unbatched, H when 1-d). */
function unbatch(y: Tensor, unbatched: boolean, spatial: 1 | 2): Tensor {
  if (!unbatched && spatial === 2) return y;
  const shape = [...y.shape];
  if (spatial === 1) shape.splice(2, 1);
  if (unbatched) shape.shift();
  return reshape(y, shape);
}

interface Window {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
}

/** PyTorch's pooling_output_shape along every spatial axis, with its checks. */
function poolOutSize(op: string, shown: readonly number[], sizes: readonly number[], w: Window): number[] {
  const { kernel: k, stride: s, padding: p, dilation: d, ceilMode } = w;
  const fmt = (v: readonly number[]) => (v.length === 1 ? String(v[0]) : fmtShape(v));
  if (p.some((pi, i) => pi > Math.floor(k[i] / 2))) {
    throw new RangeError(`${op}: padding ${fmt(p)} must be at most half the kernel size ${fmt(k)} (input ${fmtShape(shown)})`);
  }
  const out = sizes.map((n, i) => {
    let o = Math.floor((n + 2 * p[i] - d[i] * (k[i] - 1) - 1 + (ceilMode ? s[i] - 1 : 0)) / s[i]) + 1;
    if (ceilMode && (o - 1) * s[i] >= n + p[i]) o--; // the last window must start inside the input or left padding
    return o;
  });
  if (out.some((o) => o < 1)) {
    throw new RangeError(
      `${op}: input ${fmtShape(shown)} is too small for kernel ${fmt(k)} (stride ${fmt(s)}, padding ${fmt(p)}, dilation ${fmt(d)}): ` +
      `the output size would be ${fmt(out)}`,
    );
  }
  return out;
}

// ---- avg pool -----------------------------------------------------------------------------

export function avgPool2d(x: Tensor, kernelSize: IntOrPair, opts: AvgPoolOptions = {}): Tensor {
  const op = 'avg_pool2d';
  const { x4, unbatched } = batched(op, x, 2);
  const kernel = pairOf(op, 'kernel_size', kernelSize, 1);
  const stride = opts.stride == null ? kernel : pairOf(op, 'stride', opts.stride, 1);
  const padding = pairOf(op, 'padding', opts.padding ?? 0, 0);
  const dilation: Pair = [1, 1];
  const div = opts.divisorOverride ?? undefined;
  if (div !== undefined && (!Number.isInteger(div) || div === 0)) {
    throw new RangeError(`${op}: divisor_override must be a non-zero integer, got ${div}`);
  }
  const [H, W] = x4.shape.slice(2);
  const outSize = poolOutSize(op, x.shape, [H, W], { kernel: [...kernel], stride: [...stride], padding: [...padding], dilation: [1, 1], ceilMode: !!opts.ceilMode });
  const p: Pool2dParams = {
    kernel, stride, padding, dilation, outSize: [outSize[0], outSize[1]],
    countIncludePad: opts.countIncludePad ?? true, divisorOverride: div,
  };
  const y = fromStorage(x4.backend.avgPool2d(x4, p), [x4.shape[0], x4.shape[1], ...outSize]);
  record(y, op, [x4], (g) => [fromStorage(g.backend.avgPool2dBackward(g, x4.shape, p), x4.shape)]);
  return unbatch(y, unbatched, 2);
}

// ---- max pool -----------------------------------------------------------------------------

/**
 * Values and indices of a max over windows (or adaptive bins) of x4 [N,C,H,W].
 * The backward scatters g back to the argmax positions: a scatter-add over the flat H·W axis.
 */
function maxWithIndices(op: string, x4: Tensor, run: () => { values: Storage; indices: Storage }, outSize: readonly number[]): ValuesIndices {
  const [N, C, H, W] = x4.shape;
  const shape = [N, C, ...outSize];
  const r = run();
  const values = fromStorage(r.values, shape);
  const indices = fromStorage(r.indices, shape);
  const flat = [N, C, outSize[0] * outSize[1]];
  record(values, op, [x4], (g) => {
    const dx = g.backend.scatterAdd([N, C, H * W], 2, reshape(indices, flat), reshape(g, flat));
    return [fromStorage(dx, x4.shape)];
  });
  return { values, indices };
}

function maxPoolCore(op: string, x: Tensor, spatial: 1 | 2, w: Window): ValuesIndices {
  const { x4, unbatched } = batched(op, x, spatial);
  const sizes = spatial === 2 ? x4.shape.slice(2) : [x4.shape[3]];
  const out = poolOutSize(op, x.shape, sizes, w);
  // the 1-d pool is the 2-d one with a 1-row kernel over H = 1
  const two = (v: number[], h: number): Pair => (spatial === 2 ? [v[0], v[1]] : [h, v[0]]);
  const outSize = two(out, 1);
  const p: Pool2dParams = {
    kernel: two(w.kernel, 1), stride: two(w.stride, 1), padding: two(w.padding, 0), dilation: two(w.dilation, 1),
    outSize, countIncludePad: true,
  };
  const r = maxWithIndices(op, x4, () => x4.backend.maxPool2d(x4, p), outSize);
  return { values: unbatch(r.values, unbatched, spatial), indices: unbatch(r.indices, unbatched, spatial) };
}

function maxPool2dWindow(op: string, kernelSize: IntOrPair, opts: MaxPoolOptions): Window {
  const kernel = pairOf(op, 'kernel_size', kernelSize, 1);
  return {
    kernel: [...kernel],
    stride: [...(opts.stride == null ? kernel : pairOf(op, 'stride', opts.stride, 1))],
    padding: [...pairOf(op, 'padding', opts.padding ?? 0, 0)],
    dilation: [...pairOf(op, 'dilation', opts.dilation ?? 1, 1)],
    ceilMode: !!opts.ceilMode,
  };
}

function maxPool1dWindow(op: string, kernelSize: number, opts: MaxPool1dOptions): Window {
  const one = (name: string, v: number, min: number) => [pairOf(op, name, v, min)[0]];
  const kernel = one('kernel_size', kernelSize, 1);
  return {
    kernel,
    stride: opts.stride == null ? kernel : one('stride', opts.stride, 1),
    padding: one('padding', opts.padding ?? 0, 0),
    dilation: one('dilation', opts.dilation ?? 1, 1),
    ceilMode: !!opts.ceilMode,
  };
}

/** Max over each window; padding counts as −inf. x [N,C,H,W] or [C,H,W]. */
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, opts: MaxPoolOptions = {}): Tensor {
  return maxPool2dWithIndices(x, kernelSize, opts).values;
}

/** values and int32 indices flat over H×W, like return_indices=True */
export function maxPool2dWithIndices(x: Tensor, kernelSize: IntOrPair, opts: MaxPoolOptions = {}): ValuesIndices {
  return maxPoolCore('max_pool2d', x, 2, maxPool2dWindow('max_pool2d', kernelSize, opts));
}

/** x [N,C,L] or [C,L] */
export function maxPool1d(x: Tensor, kernelSize: number, opts: MaxPool1dOptions = {}): Tensor {
  return maxPool1dWithIndices(x, kernelSize, opts).values;
}

/** values and int32 indices over L */
export function maxPool1dWithIndices(x: Tensor, kernelSize: number, opts: MaxPool1dOptions = {}): ValuesIndices {
  return maxPoolCore('max_pool1d', x, 1, maxPool1dWindow('max_pool1d', kernelSize, opts));
}

// ---- adaptive pools -----------------------------------------------------------------------

/** The adaptive output size [Ho, Wo]; null keeps that input size. */
function adaptiveSize(op: string, x4: Tensor, outputSize: AdaptiveSize, shown: readonly number[]): Pair {
  const [H, W] = x4.shape.slice(2);
  const given = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(given) || given.length !== 2) {
    throw new RangeError(`${op}: output_size must be a number or a pair, got ${JSON.stringify(outputSize)} (input ${fmtShape(shown)})`);
  }
  const out = given.map((o, i) => (o === null ? [H, W][i] : o));
  if (out.some((o) => !Number.isInteger(o) || o < 1)) {
    throw new RangeError(`${op}: output_size must hold positive integers (or null), got ${JSON.stringify(outputSize)} (input ${fmtShape(shown)})`);
  }
  return [out[0], out[1]];
}

/** Mean over PyTorch's adaptive bins; output_size [null, 1] is the mean over W. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const op = 'adaptive_avg_pool2d';
  const { x4, unbatched } = batched(op, x, 2);
  return unbatch(adaptiveAvg(op, x4, adaptiveSize(op, x4, outputSize, x.shape)), unbatched, 2);
}

function adaptiveAvg(op: string, x4: Tensor, outSize: Pair): Tensor {
  const y = fromStorage(x4.backend.adaptiveAvgPool2d(x4, outSize), [x4.shape[0], x4.shape[1], ...outSize]);
  return record(y, op, [x4], (g) => [fromStorage(g.backend.adaptiveAvgPool2dBackward(g, x4.shape), x4.shape)]);
}

export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveMaxPool2dWithIndices(x, outputSize).values;
}

/** values and int32 indices flat over H×W */
export function adaptiveMaxPool2dWithIndices(x: Tensor, outputSize: AdaptiveSize): ValuesIndices {
  const op = 'adaptive_max_pool2d';
  const { x4, unbatched } = batched(op, x, 2);
  const outSize = adaptiveSize(op, x4, outputSize, x.shape);
  const r = maxWithIndices(op, x4, () => x4.backend.adaptiveMaxPool2d(x4, outSize), outSize);
  return { values: unbatch(r.values, unbatched, 2), indices: unbatch(r.indices, unbatched, 2) };
}

/** x [N,C,L] or [C,L] */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  const op = 'adaptive_avg_pool1d';
  const { x4, unbatched } = batched(op, x, 1);
  if (!Number.isInteger(outputSize) || outputSize < 1) {
    throw new RangeError(`${op}: output_size must be a positive integer, got ${JSON.stringify(outputSize)} (input ${fmtShape(x.shape)})`);
  }
  return unbatch(adaptiveAvg(op, x4, [1, outputSize]), unbatched, 1);
}
