/** Linear: y = x Wᵀ + b, weight [out, in] (torch.nn.Linear). */
import { empty } from './util.js';
import { linear } from '../../ops/matmul.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, bias = true) {
    super();
    this.weight = this.addParameter('weight', empty([outFeatures, inFeatures]));
    this.bias = this.addParameter('bias', bias ? empty([outFeatures]) : null);
    this.resetParameters();
  }

  /** PyTorch's default: kaiming_uniform(a = √5) for W, i.e. U(±1/√in), and U(±1/√in) for b. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
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
