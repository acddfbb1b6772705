/**
 * Shuffle Attention, External-Attention-pytorch's version (Zhang & Yang, "SA-Net: Shuffle Attention
 * for Deep Convolutional Neural Networks", ICASSP 2021; EAP model/attention/ShuffleAttention.py).
 *
 * Same math as the official sa_layer: the channels are split into G sub-features, each halved into
 * x0, x1 (C/2G channels each, per-channel parameters of shape [1,C/2G,1,1]):
 *   channel branch:  x0' = x0 · σ(cweight · avgpool_hw(x0) + cbias)
 *   spatial branch:  x1' = x1 · σ(sweight · GN(x1) + sbias)      GN = GroupNorm(C/2G, C/2G): per channel over H·W
 *   out = channel_shuffle(cat(x0', x1') regrouped to [B,C,H,W], 2)
 *
 * [B,C,H,W] → [B,C,H,W]; needs C % (2·G) = 0.
 * Quirks (blocks.md C.8), kept: `reduction` is accepted and unused; the default is G = 8 (official
 * sa_layer: 64); the grouping uses `view`, so, as in PyTorch, a non-contiguous input whose memory cannot
 * be regrouped is an error (use sa_layer, which reshapes). cweight = sweight = 0, cbias = sbias = 1 at
 * init, so both gates start at σ(1) ≈ 0.731. `init_weights` is never called upstream and is not ported.
 */
import { ones, zeros } from '../../creation.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { AdaptiveAvgPool2d, GroupNorm, Sigmoid } from '../layers/index.js';
import { Module } from '../module.js';
import { channelShuffle, shuffleUnit } from './sa_layer.js';
import { blockSpec } from './spec.js';

export interface ShuffleAttentionOptions {
  /** Input channels C. Default 512. */
  channel?: number;
  /** Unused (kept for the reference's signature). Default 16. */
  reduction?: number;
  /** Number of sub-feature groups G (C % 2G = 0). Default 8. */
  G?: number;
}

export class ShuffleAttention extends Module {
  readonly G: number;
  readonly channel: number;
  readonly reduction: number;
  readonly avgPool: AdaptiveAvgPool2d;
  readonly gn: GroupNorm;
  readonly cweight: Tensor;
  readonly cbias: Tensor;
  readonly sweight: Tensor;
  readonly sbias: Tensor;
  readonly sigmoid: Sigmoid;

  constructor({ channel = 512, reduction = 16, G = 8 }: ShuffleAttentionOptions = {}) {
    super();
    if (!Number.isInteger(channel) || channel <= 0) throw new RangeError(`ShuffleAttention: channel must be a positive integer, got ${channel}`);
    if (!Number.isInteger(G) || G <= 0) throw new RangeError(`ShuffleAttention: G must be a positive integer, got ${G}`);
    if (channel % (2 * G) !== 0) throw new RangeError(`ShuffleAttention: channel ${channel} must be divisible by 2·G = ${2 * G}`);
    this.G = G;
    this.channel = channel;
    this.reduction = reduction;
    const c = channel / (2 * G);
    this.avgPool = this.addModule('avg_pool', new AdaptiveAvgPool2d(1));
    this.gn = this.addModule('gn', new GroupNorm(c, c));
    this.cweight = this.addParameter('cweight', zeros([1, c, 1, 1]));
    this.cbias = this.addParameter('cbias', ones([1, c, 1, 1]));
    this.sweight = this.addParameter('sweight', zeros([1, c, 1, 1]));
    this.sbias = this.addParameter('sbias', ones([1, c, 1, 1]));
    this.sigmoid = this.addModule('sigmoid', new Sigmoid());
  }

  static channelShuffle(x: Tensor, groups: number): Tensor {
    return channelShuffle(x, groups);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.channel) {
      throw new RangeError(`ShuffleAttention: expected input [B,${this.channel},H,W], got ${fmtShape(x.shape)}`);
    }
    const [b, , h, w] = x.shape;
    // group into subfeatures
    x = x.view(b * this.G, -1, h, w); // bs*G,c//G,h,w

    // channel_split
    const [x0, x1] = x.chunk(2, 1); // bs*G,c//(2*G),h,w

    // channel attention on x0, spatial attention on x1, concatenated along the channel axis (sa_layer's unit)
    let out = shuffleUnit(this, x0, x1); // bs*G,c//G,h,w
    out = out.contiguous().view(b, -1, h, w);

    // channel shuffle
    return channelShuffle(out, 2);
  }
}

export const ShuffleAttentionSpec = blockSpec('ShuffleAttention', ['channel', 'reduction', 'G'], (kw) =>
  new ShuffleAttention({ channel: kw.get('channel', 512), reduction: kw.get('reduction', 16), G: kw.get('G', 8) }));
