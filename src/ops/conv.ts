/**
 * Convolutions, as in torch.nn.functional: conv1d, conv2d, conv_transpose2d.
 *
 * conv2d, x [N,C,H,W], weight [O, C/G, kh, kw], G groups (output channel o is in group g = ⌊o·G/O⌋):
 *   y[n,o,i,j] = bias[o] + Σ_{c,a,b} x[n, g·C/G + c, i·sh − ph + a·dh, j·sw − pw + b·dw] · w[o,c,a,b]
 *   Ho = ⌊(H + 2ph − dh·(kh − 1) − 1) / sh⌋ + 1          (the same for W)
 *
 * y is linear in x and in w; write y = A_w x. Then, for the output gradient g:
 *   ∂L/∂x = A_wᵀ g                   the conv2dBackwardInput kernel (a "transposed convolution")
 *   ∂L/∂w = conv2dBackwardWeight(x, g)
 *   ∂L/∂bias = Σ_{n,i,j} g            (autograd, through the broadcast add)
 * conv_transpose2d(x, w) is A_wᵀ x: the conv2dBackwardInput kernel run forward, for the conv
 * whose input has the transposed conv's output size. The three kernels are each other's
 * backward (see `convOp`, `convTransposeOp`, `weightGradOp`), so every backward is made of ops.
 *
 * conv1d runs conv2d on [N,C,1,L] with a [O,C/G,1,k] weight (views, no copies).
 * padding='same' pads d·(k − 1) in total, left = total // 2 and the rest on the right, like
 * PyTorch; the kernels pad symmetrically, so an odd total gets its extra zero row/column
 * concatenated at the bottom/right first.
 */
import { record } from '../autograd.js';
import type { Conv2dParams, Pair } from '../backends/backend.js';
import { fmtShape, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage, requireFloat } from './core.js';
import { cat, narrow, reshape } from './view.js';

export type IntOrPair = number | readonly [number, number];

export interface ConvOptions {
  stride?: IntOrPair;
  /** A number or pair (symmetric zeros), 'valid' (none) or 'same' (output size = input size; stride 1 only). */
  padding?: IntOrPair | 'same' | 'valid';
  dilation?: IntOrPair;
  groups?: number;
}

export interface ConvTransposeOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  outputPadding?: IntOrPair;
  dilation?: IntOrPair;
  groups?: number;
}

// ---- the three differentiable kernels (4-D, already validated) -------------------------------

const outLength = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

/** y = A_w x = conv2d(x, w):  [N,C,H,W] -> [N,O,Ho,Wo]. */
function convOp(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [N, , H, W] = x.shape;
  const [O, , kh, kw] = w.shape;
  const shape = [N, O, outLength(H, kh, p.stride[0], p.padding[0], p.dilation[0]), outLength(W, kw, p.stride[1], p.padding[1], p.dilation[1])];
  const out = fromStorage(x.backend.conv2d(x, w, p), shape);
  return record(out, 'conv2d', [x, w], (g) => [
    x.requiresGrad ? convTransposeOp(g, w, x.shape, p) : null,
    w.requiresGrad ? weightGradOp(x, g, w.shape, p) : null,
  ]);
}

/**
 * conv2d cut to `like`'s H, W. A_w applied to the output of A_wᵀ can be larger than the
 * tensor A_wᵀ read (when a transposed conv's output_padding ≥ stride); the extra rows and
 * columns are those A_wᵀ never read.
 */
function convOpLike(x: Tensor, w: Tensor, p: Conv2dParams, like: readonly number[]): Tensor {
  const y = convOp(x, w, p);
  if (y.shape[2] === like[2] && y.shape[3] === like[3]) return y;
  return narrow(narrow(y, 2, 0, like[2]), 3, 0, like[3]);
}

/** x = A_wᵀ g:  [N,O,Ho,Wo] -> inputShape [N,C,H,W]. */
function convTransposeOp(g: Tensor, w: Tensor, inputShape: readonly number[], p: Conv2dParams): Tensor {
  const out = fromStorage(g.backend.conv2dBackwardInput(g, w, inputShape, p), inputShape);
  // L = <G, A_wᵀ g> = <A_w G, g>:  ∂/∂g = A_w G,  ∂/∂w = weightGrad(G, g)
  return record(out, 'conv_transpose2d', [g, w], (G) => [
    g.requiresGrad ? convOpLike(G, w, p, g.shape) : null,
    w.requiresGrad ? weightGradOp(G, g, w.shape, p) : null,
  ]);
}

/** ∂<A_w x, g>/∂w:  x [N,C,H,W], g [N,O,Ho,Wo] -> weightShape. */
function weightGradOp(x: Tensor, g: Tensor, weightShape: readonly number[], p: Conv2dParams): Tensor {
  const out = fromStorage(x.backend.conv2dBackwardWeight(x, g, weightShape, p), weightShape);
  // bilinear: <G, weightGrad(x, g)> = <A_G x, g>:  ∂/∂x = A_Gᵀ g,  ∂/∂g = A_G x
  return record(out, 'conv2d_backward_weight', [x, g], (G) => [
    x.requiresGrad ? convTransposeOp(g, G, x.shape, p) : null,
    g.requiresGrad ? convOpLike(x, G, p, g.shape) : null,
  ]);
}

// ---- argument checks ---------------------------------------------------------------------------

const sizes = (a: readonly number[]) => a.join('x');

/** An int or a list of `nd` ints, each ≥ min. */
function ints(op: string, name: string, v: unknown, nd: number, dflt: number, min: number): number[] {
  const list = v === undefined ? new Array<number>(nd).fill(dflt)
    : typeof v === 'number' ? new Array<number>(nd).fill(v)
    : Array.isArray(v) ? [...(v as number[])] : null;
  if (!list || list.length !== nd || list.some((d) => !Number.isInteger(d))) {
    throw new TypeError(`${op}: ${name} must be an int or a list of ${nd} int${nd > 1 ? 's' : ''}, got ${JSON.stringify(v)}`);
  }
  if (list.some((d) => d < min)) {
    throw new RangeError(`${op}: ${name} must be ${min > 0 ? 'positive' : 'non-negative'}, got ${JSON.stringify(v)}`);
  }
  return list;
}

function checkGroups(op: string, groups: unknown): number {
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) {
    throw new RangeError(`${op}: groups must be a positive int, got ${JSON.stringify(groups)}`);
  }
  return groups;
}

/** Input rank nd+1 (unbatched) or nd+2, weight rank nd+2, floating, one dtype and backend. Returns "batched". */
function checkOperands(op: string, nd: number, x: Tensor, w: Tensor, bias: Tensor | null | undefined, weightLayout: string): boolean {
  const spatial = nd === 1 ? 'L' : 'H,W';
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new RangeError(`${op}: expected a ${nd + 1}-D (unbatched [C,${spatial}]) or ${nd + 2}-D (batched [N,C,${spatial}]) input, got ${fmtShape(x.shape)}`);
  }
  if (w.ndim !== nd + 2) throw new RangeError(`${op}: weight must be ${nd + 2}-D ${weightLayout}, got ${fmtShape(w.shape)}`);
  requireFloat(op, x);
  for (const [name, t] of [['weight', w], ['bias', bias]] as const) {
    if (!t) continue;
    if (t.dtype !== x.dtype) throw new TypeError(`${op}: input ${fmtShape(x.shape)} is ${x.dtype} but ${name} ${fmtShape(t.shape)} is ${t.dtype}`);
    if (t.backend !== x.backend) throw new Error(`${op}: input and ${name} are on different backends (${x.backend.name} and ${t.backend.name})`);
  }
  return x.ndim === nd + 2;
}

function checkBias(op: string, bias: Tensor | null | undefined, channels: number, w: Tensor): void {
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== channels)) {
    throw new RangeError(`${op}: bias ${fmtShape(bias.shape)} must be [${channels}], one value per output channel of weight ${fmtShape(w.shape)}`);
  }
}

/** Zero padding before and after each spatial dim: [lo, hi]. */
function paddingOf(op: string, padding: ConvOptions['padding'], kernel: number[], stride: number[], dilation: number[]): [number[], number[]] {
  const nd = kernel.length;
  if (padding === 'valid') return [new Array<number>(nd).fill(0), new Array<number>(nd).fill(0)];
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw new RangeError(`${op}: padding='same' needs stride 1 (it is not supported for strided convolutions), got stride ${sizes(stride)}`);
    }
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    const lo = total.map((t) => Math.floor(t / 2));
    return [lo, total.map((t, i) => t - lo[i])];
  }
  if (typeof padding === 'string') throw new TypeError(`${op}: padding must be an int, a list of ${nd} int${nd > 1 ? 's' : ''}, 'same' or 'valid', got '${padding}'`);
  const p = ints(op, 'padding', padding, nd, 0, 0);
  return [p, p];
}

/** The dilated kernel must fit in the padded input. */
function checkFits(op: string, x: Tensor, w: Tensor, spatial: readonly number[], kernel: number[], dilation: number[], lo: number[], hi: number[]): void {
  const dilated = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
  const padded = spatial.map((s, i) => s + lo[i] + hi[i]);
  if (dilated.some((k, i) => k > padded[i])) {
    throw new RangeError(`${op}: kernel ${sizes(kernel)} (dilated ${sizes(dilated)}) is larger than the padded input ${sizes(padded)} (input ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)})`);
  }
}

/** Append `extra` zero rows (dim 2) and columns (dim 3) at the end of a 4-D tensor. */
function zeroPadEnd(x: Tensor, extra: Pair): Tensor {
  let out = x;
  for (const [dim, n] of [[2, extra[0]], [3, extra[1]]] as const) {
    if (n === 0) continue;
    const shape = [...out.shape];
    shape[dim] = n;
    out = cat([out, fromStorage(x.backend.zeros(x.dtype, numel(shape)), shape)], dim);
  }
  return out;
}

/** The 2-D pair for a per-dim list: conv1d's single spatial dim is W, with H of size 1. */
const lift = (list: number[], h: number): Pair => (list.length === 1 ? [h, list[0]] : [list[0], list[1]]);

// ---- conv1d / conv2d -----------------------------------------------------------------------------

function convNd(op: string, nd: 1 | 2, x: Tensor, w: Tensor, bias: Tensor | null | undefined, opts: ConvOptions): Tensor {
  const layout = nd === 1 ? '[out_channels, in_channels/groups, k]' : '[out_channels, in_channels/groups, kh, kw]';
  const batched = checkOperands(op, nd, x, w, bias, layout);
  const groups = checkGroups(op, opts.groups ?? 1);
  const C = x.shape[batched ? 1 : 0];
  const O = w.shape[0];
  if (C % groups !== 0) throw new RangeError(`${op}: input ${fmtShape(x.shape)} has ${C} channels, which groups=${groups} does not divide`);
  if (O % groups !== 0) throw new RangeError(`${op}: weight ${fmtShape(w.shape)} has ${O} output channels, which groups=${groups} does not divide`);
  if (w.shape[1] * groups !== C) {
    throw new RangeError(`${op}: input ${fmtShape(x.shape)} has ${C} channels, weight ${fmtShape(w.shape)} with groups=${groups} expects ${w.shape[1] * groups}`);
  }
  checkBias(op, bias, O, w);
  const stride = ints(op, 'stride', opts.stride, nd, 1, 1);
  const dilation = ints(op, 'dilation', opts.dilation, nd, 1, 1);
  const kernel = w.shape.slice(2);
  const spatial = x.shape.slice(batched ? 2 : 1);
  const [lo, hi] = paddingOf(op, opts.padding, kernel, stride, dilation);
  checkFits(op, x, w, spatial, kernel, dilation, lo, hi);

  // to [N,C,H,W] and [O,C/G,kh,kw]
  const N = batched ? x.shape[0] : 1;
  const x4 = batched && nd === 2 ? x : reshape(x, [N, C, ...(nd === 1 ? [1] : []), ...spatial]);
  const w4 = nd === 1 ? reshape(w, [O, w.shape[1], 1, kernel[0]]) : w;
  const p: Conv2dParams = { stride: lift(stride, 1), padding: lift(lo, 0), dilation: lift(dilation, 1), groups };
  let y = convOp(zeroPadEnd(x4, lift(hi.map((h, i) => h - lo[i]), 0)), w4, p);
  if (bias) y = y.add(reshape(bias, [1, O, 1, 1]));
  if (batched && nd === 2) return y;
  const outSpatial = nd === 1 ? [y.shape[3]] : [y.shape[2], y.shape[3]];
  return reshape(y, batched ? [N, O, ...outSpatial] : [O, ...outSpatial]);
}

/** x [N,C,L] (or [C,L]), weight [O,C/groups,k] */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return convNd('conv1d', 1, x, weight, bias, opts);
}

/** x [N,C,H,W] (or [C,H,W]), weight [O,C/groups,kh,kw] */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return convNd('conv2d', 2, x, weight, bias, opts);
}

// ---- conv_transpose2d ----------------------------------------------------------------------------

/**
 * x [N,C,H,W], weight [C, O/groups, kh, kw] (PyTorch's layout for transposed convs)
 *   -> [N, O, Ho, Wo],  Ho = (H − 1)·sh − 2ph + dh·(kh − 1) + output_padding_h + 1
 * The adjoint of conv2d with the same weight (read as [out, in/groups, kh, kw] of that conv),
 * stride, padding, dilation and groups: <conv_transpose2d(x), y> = <x, conv2d(y)>.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  const op = 'conv_transpose2d';
  const w = weight;
  const batched = checkOperands(op, 2, x, w, bias, '[in_channels, out_channels/groups, kh, kw]');
  const groups = checkGroups(op, opts.groups ?? 1);
  const C = x.shape[batched ? 1 : 0];
  if (w.shape[0] !== C) {
    throw new RangeError(`${op}: input ${fmtShape(x.shape)} has ${C} channels, weight ${fmtShape(w.shape)} expects ${w.shape[0]} (its dim 0)`);
  }
  if (C % groups !== 0) throw new RangeError(`${op}: input ${fmtShape(x.shape)} has ${C} channels, which groups=${groups} does not divide`);
  const O = w.shape[1] * groups;
  checkBias(op, bias, O, w);
  const stride = ints(op, 'stride', opts.stride, 2, 1, 1);
  const padding = ints(op, 'padding', opts.padding, 2, 0, 0);
  const outputPadding = ints(op, 'output_padding', opts.outputPadding, 2, 0, 0);
  const dilation = ints(op, 'dilation', opts.dilation, 2, 1, 1);
  if (outputPadding.some((q, i) => q >= stride[i] && q >= dilation[i])) {
    throw new RangeError(`${op}: output_padding ${sizes(outputPadding)} must be smaller than either stride ${sizes(stride)} or dilation ${sizes(dilation)}`);
  }
  const spatial = x.shape.slice(batched ? 2 : 1);
  const kernel = w.shape.slice(2);
  const out = spatial.map((s, i) => (s - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + outputPadding[i] + 1);
  if (out.some((s) => s < 1)) {
    throw new RangeError(`${op}: output size ${sizes(out)} is too small (input ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)}, stride ${sizes(stride)}, padding ${sizes(padding)}, dilation ${sizes(dilation)}, output_padding ${sizes(outputPadding)})`);
  }

  const N = batched ? x.shape[0] : 1;
  const x4 = batched ? x : reshape(x, [N, C, ...spatial]);
  const p: Conv2dParams = { stride: lift(stride, 1), padding: lift(padding, 0), dilation: lift(dilation, 1), groups };
  let y = convTransposeOp(x4, w, [N, O, out[0], out[1]], p);
  if (bias) y = y.add(reshape(bias, [1, O, 1, 1]));
  return batched ? y : reshape(y, [O, ...out]);
}
