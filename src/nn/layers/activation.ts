/** Activation modules (torch.nn.ReLU, GELU, ...): each forwards to its op. */
import { dropout } from '../../ops/dropout.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';

export class ReLU extends Module { forward(x: Tensor): Tensor { return x.relu(); } }
export class ReLU6 extends Module { forward(x: Tensor): Tensor { return x.relu6(); } }
export class Sigmoid extends Module { forward(x: Tensor): Tensor { return x.sigmoid(); } }
export class Tanh extends Module { forward(x: Tensor): Tensor { return x.tanh(); } }
export class SiLU extends Module { forward(x: Tensor): Tensor { return x.silu(); } }
export class Hardsigmoid extends Module { forward(x: Tensor): Tensor { return x.hardsigmoid(); } }
export class Hardswish extends Module { forward(x: Tensor): Tensor { return x.hardswish(); } }

export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') { super(); }
  forward(x: Tensor): Tensor { return x.gelu(this.approximate); }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return x.leakyRelu(this.negativeSlope); }
}

export class Softmax extends Module {
  constructor(readonly dim: number) { super(); }
  forward(x: Tensor): Tensor { return x.softmax(this.dim); }
}

/** Zeroes elements with probability p in train mode (scaling the rest by 1/(1−p)); identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor { return dropout(x, this.p, this.training); }
}
