/**
 * Normalisation layers as functions, like torch.nn.functional: layer_norm,
 * group_norm, batch_norm, instance_norm, and the channels-first LayerNorm of
 * ConvNeXt/GSA. All of them are one core plus an optional per-element affine:
 *
 *   y = (x − mean) / sqrt(var + eps)      over some axes (biased var, eps inside the sqrt)
 *   out = y · weight + bias
 *
 * The core is one fused kernel (backend.normalize) whose backward is the
 * fused kernel backend.normalizeBackward:
 *
 *   dx = rstd · (g − mean(g) − y · mean(g ⊙ y))        (rstd = 1 / sqrt(var + eps))
 *
 * The affine part is ordinary mul/add, so autograd gives d weight = Σ g·y and
 * d bias = Σ g over the broadcast dims. Which axes are normalised:
 *
 *   layer_norm        the trailing dims given by normalizedShape
 *   group_norm        per (sample, group): C/G channels × all spatial dims
 *   instance_norm     per (sample, channel): the spatial dims
 *   batch_norm        per channel: the batch and spatial dims (training); eval
 *                     uses the running statistics instead, as a composition
 *   layerNormChannelsFirst   per (sample, pixel): the channel dim 1
 */
import { noGrad, record } from '../autograd.js';
import { tidy } from '../memory.js';
import { fmtShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage, requireFloat } from './core.js';
import { reshape } from './view.js';

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  /**
   * Weight of the new batch statistic in the running average (default 0.1).
   * null means a cumulative moving average, as with PyTorch's `momentum=None`:
   * the factor is then 1 / numBatchesTracked, which must be given.
   */
  momentum?: number | null;
  /**
   * With `momentum: null`: how many batches the running stats have seen,
   * this one included (PyTorch's module increments num_batches_tracked before
   * calling batch_norm). The first batch (1) replaces the running stats.
   */
  numBatchesTracked?: number;
  eps?: number;
}

export interface InstanceNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}

// ---- shared pieces ---------------------------------------------------------------------------

interface Stats {
  /** (x − mean) · rstd, differentiable w.r.t. x through the fused backward. */
  y: Tensor;
  /** The mean of each group, in the keepdim shape; a constant for autograd. */
  mean: Tensor;
}

/**
 * The fused core: normalise x over `axes` (sorted). The statistics are not
 * differentiable outputs; y's gradient already accounts for them.
 */
function normalizeCore(name: string, x: Tensor, axes: readonly number[], eps: number): Stats {
  const r = x.backend.normalize(x, axes, eps);
  const statShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const y = fromStorage(r.y, x.shape);
  const mean = fromStorage(r.mean, statShape);
  const rstd = fromStorage(r.rstd, statShape);
  record(y, name, [x], (g) => [fromStorage(g.backend.normalizeBackward(g, y, rstd, axes), x.shape)]);
  if (!y.requiresGrad) rstd.dispose(); // only the backward needs it
  return { y, mean };
}

/** A per-channel vector [C] shaped [C,1,…,1] to broadcast against [N,C,*] of rank `ndim`. */
function perChannel(v: Tensor, ndim: number): Tensor {
  return reshape(v, [v.shape[0], ...new Array<number>(Math.max(ndim - 2, 0)).fill(1)]);
}

/** weight/bias (and running stats) must be 1-D with one entry per channel. */
function checkPerChannel(op: string, what: string, v: Tensor | null | undefined, x: Tensor): void {
  if (!v) return;
  const C = x.shape[1];
  if (v.ndim !== 1 || v.shape[0] !== C) {
    throw new RangeError(`${op}: ${what} ${fmtShape(v.shape)} must have shape [${C}], one entry per channel of input ${fmtShape(x.shape)}`);
  }
  if (v.backend !== x.backend) throw new Error(`${op}: ${what} is on the ${v.backend.name} backend, input on ${x.backend.name}`);
}

function checkChannelsFirst(op: string, x: Tensor): void {
  requireFloat(op, x);
  if (x.ndim < 2) throw new RangeError(`${op}: expected input [N,C,*] with at least 2 dims, got ${fmtShape(x.shape)}`);
}

/** y · weight + bias with [C] parameters broadcast over [N,C,*]. */
function affinePerChannel(y: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined): Tensor {
  let out = y;
  if (weight) out = out.mul(perChannel(weight, y.ndim));
  if (bias) out = out.add(perChannel(bias, y.ndim));
  return out;
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(to - from, 0) }, (_, i) => from + i);

/**
 * running ← (1 − m) · running + m · stat, written into the running tensor's
 * own storage (it may be a view), outside autograd.
 */
function updateRunning(running: Tensor, stat: Tensor, m: number): void {
  noGrad(() => tidy(() => {
    const next = running.mul(1 - m).add(stat.reshape([-1]).mul(m)).to(running.dtype);
    running.backend.assign(running, next);
  }));
}

/** Running statistics are used as (x − mean) / sqrt(var + eps): a plain composition, so every gradient is exact. */
function normalizeWithRunning(x: Tensor, runningMean: Tensor, runningVar: Tensor, eps: number): Tensor {
  return x.sub(perChannel(runningMean, x.ndim)).div(perChannel(runningVar, x.ndim).add(eps).sqrt());
}

// ---- layer norm ------------------------------------------------------------------------------

/**
 * Normalise over the trailing dims `normalizedShape` (F.layer_norm):
 * weight and bias have shape normalizedShape and broadcast over the leading dims.
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  requireFloat('layer_norm', x);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  if (k === 0) throw new RangeError(`layer_norm: normalizedShape must have at least 1 dim (input ${fmtShape(x.shape)})`);
  if (k > x.ndim || !shapesEqual(x.shape.slice(x.ndim - k), ns)) {
    throw new RangeError(`layer_norm: normalizedShape ${fmtShape(ns)} does not match the trailing dims of input ${fmtShape(x.shape)} (expected [*,${ns.join(',')}])`);
  }
  for (const [what, v] of [['weight', weight], ['bias', bias]] as const) {
    if (v && !shapesEqual(v.shape, ns)) throw new RangeError(`layer_norm: ${what} ${fmtShape(v.shape)} must have the shape normalizedShape ${fmtShape(ns)} (input ${fmtShape(x.shape)})`);
  }
  const { y, mean } = normalizeCore('layer_norm', x, range(x.ndim - k, x.ndim), eps);
  mean.dispose();
  let out = y;
  if (weight) out = out.mul(weight);
  if (bias) out = out.add(bias);
  return out;
}

/**
 * The channels-first LayerNorm of ConvNeXt / GSA (data_format='channels_first'):
 * for x [B,C,H,W] (or [B,C,*]), each pixel is normalised over its C channels,
 *   u = mean_c x,  s = mean_c (x − u)²,  y = (x − u) / sqrt(s + eps),
 *   out = weight[:,None,None] · y + bias[:,None,None]
 * with the biased variance and eps inside the sqrt (default 1e-6).
 */
export function layerNormChannelsFirst(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-6): Tensor {
  const op = 'layer_norm_channels_first';
  checkChannelsFirst(op, x);
  checkPerChannel(op, 'weight', weight, x);
  checkPerChannel(op, 'bias', bias, x);
  const { y, mean } = normalizeCore(op, x, [1], eps);
  mean.dispose();
  return affinePerChannel(y, weight, bias);
}

// ---- group norm ------------------------------------------------------------------------------

/**
 * x [N,C,*]: statistics per (sample, group) over C/G channels × the spatial dims.
 * x is seen as [N, G, C/G, *] (splitting a dim is always a view), normalised
 * over every dim after G, and seen back as [N,C,*]; then weight/bias [C] per channel.
 */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = 'group_norm';
  checkChannelsFirst(op, x);
  const [N, C] = x.shape;
  if (!Number.isInteger(numGroups) || numGroups <= 0) throw new RangeError(`${op}: numGroups must be a positive integer, got ${numGroups} (input ${fmtShape(x.shape)})`);
  if (C % numGroups !== 0) throw new RangeError(`${op}: ${C} channels cannot be split into ${numGroups} groups (input ${fmtShape(x.shape)})`);
  checkPerChannel(op, 'weight', weight, x);
  checkPerChannel(op, 'bias', bias, x);
  const grouped = reshape(x, [N, numGroups, C / numGroups, ...x.shape.slice(2)]);
  const { y, mean } = normalizeCore(op, grouped, range(2, grouped.ndim), eps);
  mean.dispose();
  return affinePerChannel(reshape(y, x.shape), weight, bias);
}

// ---- batch norm ------------------------------------------------------------------------------

/** The argument checks batch_norm and instance_norm share: [N,C,*] input, per-channel tensors, running stats in pairs. */
function checkStatsArgs(op: string, x: Tensor, weight: Tensor | null, bias: Tensor | null, runningMean: Tensor | null, runningVar: Tensor | null): void {
  checkChannelsFirst(op, x);
  checkPerChannel(op, 'weight', weight, x);
  checkPerChannel(op, 'bias', bias, x);
  checkPerChannel(op, 'runningMean', runningMean, x);
  checkPerChannel(op, 'runningVar', runningVar, x);
  if (!runningMean !== !runningVar) throw new Error(`${op}: give both runningMean and runningVar or neither (input ${fmtShape(x.shape)})`);
}

/**
 * x [N,C] or [N,C,*]. In training, uses batch statistics and, when running
 * stats are given, writes the updated running mean/var into them in place
 * (PyTorch's convention: running = (1 − m)·running + m·stat, unbiased var).
 * In eval, uses the running statistics: (x − running_mean) / sqrt(running_var + eps).
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  const op = 'batch_norm';
  const { weight = null, bias = null, training = false, momentum = 0.1, numBatchesTracked, eps = 1e-5 } = opts;
  checkStatsArgs(op, x, weight, bias, runningMean, runningVar);

  if (!training) {
    if (!runningMean || !runningVar) throw new Error(`${op}: runningMean and runningVar must be given in evaluation mode (training: false; input ${fmtShape(x.shape)})`);
    return affinePerChannel(normalizeWithRunning(x, runningMean, runningVar, eps), weight, bias);
  }

  const C = x.shape[1];
  const n = x.numel / C; // values per channel
  if (n <= 1) throw new RangeError(`${op}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
  let m = 0;
  if (runningMean) {
    if (momentum === null) {
      if (numBatchesTracked === undefined || !(numBatchesTracked >= 1)) {
        throw new RangeError(`${op}: momentum null (cumulative average) needs numBatchesTracked ≥ 1, the count including this batch; got ${numBatchesTracked}`);
      }
      m = 1 / numBatchesTracked;
    } else m = momentum;
  }

  const axes = [0, ...range(2, x.ndim)];
  const { y, mean } = normalizeCore(op, x, axes, eps);
  if (runningMean && runningVar) {
    // the running var uses the unbiased batch variance Σ(x − mean)² / (n − 1)
    noGrad(() => tidy(() => {
      const unbiased = x.sub(mean).square().sum(axes).div(n - 1);
      updateRunning(runningMean, mean, m);
      updateRunning(runningVar, unbiased, m);
    }));
  }
  mean.dispose();
  return affinePerChannel(y, weight, bias);
}

// ---- instance norm ---------------------------------------------------------------------------

/**
 * x [N,C,*]: each (sample, channel) is normalised over its spatial dims.
 * With running stats and useInputStats, they are updated with the per-instance
 * statistics averaged over the batch (what PyTorch does by running batch_norm
 * on x seen as [1, N·C, *] with the running stats repeated N times):
 *   running ← (1 − m)·running + m · mean_n(stat[n, c])     (unbiased var per instance)
 * With useInputStats = false the running stats normalise instead, as in batch_norm eval.
 */
export function instanceNorm(x: Tensor, opts: InstanceNormOptions = {}): Tensor {
  const op = 'instance_norm';
  const { runningMean = null, runningVar = null, weight = null, bias = null, useInputStats = true, momentum = 0.1, eps = 1e-5 } = opts;
  checkStatsArgs(op, x, weight, bias, runningMean, runningVar);

  if (!useInputStats) {
    if (!runningMean || !runningVar) throw new Error(`${op}: runningMean and runningVar must be given when useInputStats is false (input ${fmtShape(x.shape)})`);
    return affinePerChannel(normalizeWithRunning(x, runningMean, runningVar, eps), weight, bias);
  }

  const axes = range(2, x.ndim);
  const n = axes.reduce((a, d) => a * x.shape[d], 1); // spatial elements per instance
  if (n <= 1) throw new RangeError(`${op}: expected more than 1 spatial element when using input stats, got input ${fmtShape(x.shape)}`);
  const { y, mean } = normalizeCore(op, x, axes, eps);
  if (runningMean && runningVar) {
    noGrad(() => tidy(() => {
      const unbiased = x.sub(mean).square().sum(axes).div(n - 1); // [N,C]
      updateRunning(runningMean, mean.reshape([x.shape[0], x.shape[1]]).mean(0), momentum);
      updateRunning(runningVar, unbiased.mean(0), momentum);
    }));
  }
  mean.dispose();
  return affinePerChannel(y, weight, bias);
}
