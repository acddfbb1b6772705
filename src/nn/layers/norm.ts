/** Normalisation layers: BatchNorm1d/2d, GroupNorm, LayerNorm (torch.nn), with PyTorch's buffers and defaults. */
import { ones, zeros } from '../../creation.js';
import { batchNorm, groupNorm, layerNorm } from '../../ops/norm.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';

export interface BatchNormOptions {
  eps?: number;
  /** null = cumulative moving average (PyTorch's momentum=None). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * y = (x − E[x]) / √(Var[x] + eps) · γ + β per channel (dim 1). Train: batch
 * statistics, and running_mean/var updated in place; eval: running statistics.
 */
abstract class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly trackRunningStats: boolean;

  constructor(readonly numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    const affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.addParameter('weight', affine ? ones([numFeatures]) : null);
    this.bias = this.addParameter('bias', affine ? zeros([numFeatures]) : null);
    if (this.trackRunningStats) {
      this.addBuffer('running_mean', zeros([numFeatures]));
      this.addBuffer('running_var', ones([numFeatures]));
      this.addBuffer('num_batches_tracked', zeros([], { dtype: 'int32' }));
    }
  }

  get runningMean(): Tensor | null { return this.getBuffer('running_mean'); }
  get runningVar(): Tensor | null { return this.getBuffer('running_var'); }
  get numBatchesTracked(): Tensor | null { return this.getBuffer('num_batches_tracked'); }

  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}: expected ${this.numFeatures} channels in dim 1, got input ${fmtShape(x.shape)}`);
    }
    const nbt = this.numBatchesTracked;
    let numBatchesTracked: number | undefined;
    if (this.training && nbt) {
      nbt.copy_(nbt.add(1));
      if (this.momentum === null) numBatchesTracked = nbt.item(); // cumulative moving average
    }
    // eval without running stats falls back to batch statistics, as in PyTorch
    const useBatchStats = this.training || !this.trackRunningStats;
    return batchNorm(x, this.runningMean, this.runningVar, {
      weight: this.weight, bias: this.bias, training: useBatchStats, momentum: this.momentum, numBatchesTracked, eps: this.eps,
    });
  }
}

export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`BatchNorm1d: expected 2-D or 3-D input, got ${fmtShape(x.shape)}`);
  }
}

export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new RangeError(`BatchNorm2d: expected 4-D input, got ${fmtShape(x.shape)}`);
  }
}

/** Statistics per (sample, group of C/G channels) over the channels and spatial dims; affine per channel. */
export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(readonly numGroups: number, readonly numChannels: number, readonly opts: { eps?: number; affine?: boolean } = {}) {
    super();
    if (!(numGroups > 0) || numChannels % numGroups !== 0) {
      throw new RangeError(`GroupNorm: num_channels ${numChannels} must be divisible by num_groups ${numGroups}`);
    }
    const affine = opts.affine ?? true;
    this.weight = this.addParameter('weight', affine ? ones([numChannels]) : null);
    this.bias = this.addParameter('bias', affine ? zeros([numChannels]) : null);
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.opts.eps ?? 1e-5);
  }
}

/** Normalise over the trailing `normalizedShape` dims, with an elementwise affine of that shape. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], readonly opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const affine = opts.elementwiseAffine ?? true;
    this.weight = this.addParameter('weight', affine ? ones(this.normalizedShape) : null);
    this.bias = this.addParameter('bias', affine && opts.bias !== false ? zeros(this.normalizedShape) : null);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.opts.eps ?? 1e-5);
  }
}

