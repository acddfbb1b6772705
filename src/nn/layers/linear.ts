/** Linear: y = x Wᵀ + b, weight [out, in] (torch.nn.Linear). */
import { empty } from './util.js';
import { linear } from '../../ops/matmul.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { linearOrConvDefault_ } from '../init.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, bias = true) {
    super();
    this.weight = this.addParameter('weight', empty([outFeatures, inFeatures]));
    this.bias = this.addParameter('bias', bias ? empty([outFeatures]) : null);
    this.resetParameters();
  }

  /** PyTorch's default initialisation (kaiming_uniform with a = √5, bias U(±1/√fan_in)). */
  resetParameters(): void {
    linearOrConvDefault_(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** Identity: returns its input (torch.nn.Identity). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
