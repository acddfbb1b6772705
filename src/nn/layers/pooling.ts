/** Pooling modules (torch.nn.AvgPool2d, MaxPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d). */
import { type AdaptiveSize, adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, type AvgPoolOptions, maxPool2d, type MaxPoolOptions } from '../../ops/pool.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import type { IntOrPair } from './util.js';

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: IntOrPair, readonly opts: AvgPoolOptions = {}) { super(); }
  forward(x: Tensor): Tensor { return avgPool2d(x, this.kernelSize, this.opts); }
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: IntOrPair, readonly opts: MaxPoolOptions = {}) { super(); }
  forward(x: Tensor): Tensor { return maxPool2d(x, this.kernelSize, this.opts); }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) { super(); }
  forward(x: Tensor): Tensor { return adaptiveAvgPool2d(x, this.outputSize); }
}

export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) { super(); }
  forward(x: Tensor): Tensor { return adaptiveMaxPool2d(x, this.outputSize); }
}
