/**
 * ECA: Efficient Channel Attention (Wang, Wu, Zhu, Li, Zuo & Hu, CVPR 2020).
 * Reference: External-Attention-pytorch ECAAttention.py (seed 002 §13).
 *
 *   z = GAP(x) ∈ R^{B×C}                      (mean over H×W)
 *   a = sigmoid(conv1d_k(z))                   one 1→1 conv with bias along the channel axis, pad (k−1)/2
 *   y = x ⊙ a[:, :, None, None]
 *
 * [B, C, H, W] → [B, C, H, W]; kernel_size must be odd (an even kernel shortens the channel axis and
 * the reference fails in expand_as). Kept from the reference (blocks.md C.12): k is a fixed argument
 * (default 3), not the paper's adaptive k(C); the Conv1d has a bias; `init_weights` is never called
 * upstream, so the conv keeps PyTorch's default init.
 */
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { Sigmoid } from '../layers/activation.js';
import { Conv1d } from '../layers/conv.js';
import { AdaptiveAvgPool2d } from '../layers/pooling.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export interface ECAAttentionOptions {
  /** Odd kernel size of the conv along the channels (default 3). */
  kernelSize?: number;
}

export class ECAAttention extends Module {
  readonly kernelSize: number;
  readonly gap: AdaptiveAvgPool2d;
  readonly conv: Conv1d;
  readonly sigmoid: Sigmoid;

  constructor({ kernelSize = 3 }: ECAAttentionOptions = {}) {
    super();
    if (!Number.isInteger(kernelSize) || kernelSize <= 0 || kernelSize % 2 === 0) {
      throw new RangeError(`ECAAttention: kernel_size must be a positive odd integer, got ${kernelSize}`);
    }
    this.kernelSize = kernelSize;
    this.gap = this.addModule('gap', new AdaptiveAvgPool2d(1));
    this.conv = this.addModule('conv', new Conv1d(1, 1, kernelSize, { padding: (kernelSize - 1) / 2 }));
    this.sigmoid = this.addModule('sigmoid', new Sigmoid());
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new RangeError(`ECAAttention: expected input [B, C, H, W], got ${fmtShape(x.shape)}`);
    let y = this.gap.forward(x); // bs,c,1,1
    y = y.squeeze(-1).permute(0, 2, 1); // bs,1,c
    y = this.conv.forward(y); // bs,1,c
    y = this.sigmoid.forward(y); // bs,1,c
    y = y.permute(0, 2, 1).unsqueeze(-1); // bs,c,1,1
    return x.mul(y.expandAs(x));
  }
}

export const ECAAttentionSpec = blockSpec('ECAAttention', ['kernel_size'], (kw) => new ECAAttention({ kernelSize: kw.get('kernel_size', 3) }));
