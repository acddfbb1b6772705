/**
 * ParNet attention: the Skip-Squeeze-Excitation (SSE) block of ParNet, in its RepVGG-style form
 * (Goyal, Bochkovskiy, Deng & Koltun, "Non-deep Networks", arXiv 2110.07641, 2021; NeurIPS 2022).
 * Reference: External-Attention-pytorch ParNetAttention.py (seed 002 §14).
 *
 *   x1 = BN(conv1×1(x)),   x2 = BN(conv3×3(x)),   x3 = sigmoid(conv1×1(GAP(x))) ⊙ x
 *   y  = SiLU(x1 + x2 + x3)
 *
 * [B, C, H, W] → [B, C, H, W] with C = channel (default 512). Both BatchNorms use batch statistics
 * in train mode (running stats updated, momentum 0.1) and the running statistics in eval mode.
 */
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { SiLU, Sigmoid } from '../layers/activation.js';
import { Sequential } from '../layers/container.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/norm.js';
import { AdaptiveAvgPool2d } from '../layers/pooling.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export interface ParNetAttentionOptions {
  /** Channels C of input and output (default 512). */
  channel?: number;
}

export class ParNetAttention extends Module {
  readonly channel: number;
  readonly sse: Sequential;
  readonly conv1x1: Sequential;
  readonly conv3x3: Sequential;
  readonly silu: SiLU;

  constructor({ channel = 512 }: ParNetAttentionOptions = {}) {
    super();
    if (!Number.isInteger(channel) || channel <= 0) throw new RangeError(`ParNetAttention: channel must be a positive integer, got ${channel}`);
    this.channel = channel;
    this.sse = this.addModule('sse', new Sequential(
      new AdaptiveAvgPool2d(1),
      new Conv2d(channel, channel, 1),
      new Sigmoid(),
    ));
    this.conv1x1 = this.addModule('conv1x1', new Sequential(
      new Conv2d(channel, channel, 1),
      new BatchNorm2d(channel),
    ));
    this.conv3x3 = this.addModule('conv3x3', new Sequential(
      new Conv2d(channel, channel, 3, { padding: 1 }),
      new BatchNorm2d(channel),
    ));
    this.silu = this.addModule('silu', new SiLU());
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.channel) {
      throw new RangeError(`ParNetAttention: expected input [B, ${this.channel}, H, W], got ${fmtShape(x.shape)}`);
    }
    const x1 = this.conv1x1.forward(x);
    const x2 = this.conv3x3.forward(x);
    const x3 = this.sse.forward(x).mul(x);
    const y = this.silu.forward(x1.add(x2).add(x3));
    return y;
  }
}

export const ParNetAttentionSpec = blockSpec('ParNetAttention', ['channel'], (kw) => new ParNetAttention({ channel: kw.get('channel', 512) }));
