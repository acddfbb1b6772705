/** Conv1d and Conv2d layers (torch.nn.Conv1d / Conv2d), default-initialised like PyTorch. */
import { conv1d, conv2d, type ConvOptions } from '../../ops/conv.js';
import type { Tensor } from '../../tensor.js';
import { linearOrConvDefault_ } from '../init.js';
import { Module } from '../module.js';
import { empty, type IntOrPair, pair } from './util.js';

export interface ConvLayerOptions {
  stride?: IntOrPair;
  padding?: IntOrPair | 'same' | 'valid';
  dilation?: IntOrPair;
  groups?: number;
  bias?: boolean;
}

abstract class ConvNd extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernel: readonly number[], readonly opts: ConvLayerOptions) {
    super();
    const groups = (this.groups = opts.groups ?? 1);
    const name = this.constructor.name;
    if (!Number.isInteger(groups) || groups <= 0) throw new RangeError(`${name}: groups must be a positive integer, got ${groups}`);
    if (inChannels % groups !== 0) throw new RangeError(`${name}: in_channels ${inChannels} must be divisible by groups ${groups}`);
    if (outChannels % groups !== 0) throw new RangeError(`${name}: out_channels ${outChannels} must be divisible by groups ${groups}`);
    this.weight = this.addParameter('weight', empty([outChannels, inChannels / groups, ...kernel]));
    this.bias = this.addParameter('bias', opts.bias === false ? null : empty([outChannels]));
    this.resetParameters();
  }

  /** PyTorch's default initialisation (kaiming_uniform with a = √5, bias U(±1/√fan_in)). */
  resetParameters(): void {
    linearOrConvDefault_(this.weight, this.bias);
  }

  protected convOptions(): ConvOptions {
    const { stride = 1, padding = 0, dilation = 1 } = this.opts;
    return { stride, padding, dilation, groups: this.groups };
  }
}

export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrPair, opts: ConvLayerOptions = {}) {
    super(inChannels, outChannels, pair(kernelSize), opts);
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.convOptions());
  }
}

export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: ConvLayerOptions = {}) {
    super(inChannels, outChannels, [kernelSize], opts);
  }
  forward(x: Tensor): Tensor {
    const o = this.convOptions();
    const one = (v: IntOrPair | 'same' | 'valid' | undefined) => (Array.isArray(v) ? v[0] : v);
    return conv1d(x, this.weight, this.bias, { ...o, stride: one(o.stride) as number, padding: one(o.padding) as number | 'same' | 'valid', dilation: one(o.dilation) as number });
  }
}
