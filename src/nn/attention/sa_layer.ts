/**
 * SA-Net shuffle attention, the official `sa_layer` (Zhang & Yang, "SA-Net: Shuffle Attention for
 * Deep Convolutional Neural Networks", ICASSP 2021; wofmanaf/SA-Net models/sa_resnet.py).
 *
 * The channels are split into `groups` sub-features of C/g channels; each is halved into x0, x1
 * (C/2g channels each, with per-channel parameters w, b of shape [1,C/2g,1,1]):
 *   channel branch:  x0' = x0 · σ(cweight · avgpool_hw(x0) + cbias)
 *   spatial branch:  x1' = x1 · σ(sweight · GN(x1) + sbias)      GN = GroupNorm(C/2g, C/2g): per channel over H·W
 *   out = channel_shuffle(cat(x0', x1') regrouped to [B,C,H,W], 2)
 * channel_shuffle(x, 2): [B,2,C/2,H,W] → permute(0,2,1,3,4) → [B,C,H,W], i.e. out[2i + j] = in[j·C/2 + i].
 *
 * [B,C,H,W] → [B,C,H,W]; needs C % (2·groups) = 0 (the default groups = 64 needs C ≥ 128).
 * Quirks (blocks.md C.8): cweight = sweight = 0 and cbias = sbias = 1 at init, so both gates start at
 * σ(1) ≈ 0.731. PyTorch builds `sa_layer(64)` as GroupNorm(0, 0) and fails with ZeroDivisionError; here
 * a C not divisible by 2·groups is rejected at construction with a clear error.
 * The same math with EAP's defaults (G = 8) is ShuffleAttention.
 */
import { ones, zeros } from '../../creation.js';
import { cat } from '../../ops/view.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { AdaptiveAvgPool2d, GroupNorm, Sigmoid } from '../layers/index.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export interface SALayerOptions {
  /** Input channels C. */
  channel: number;
  /** Number of sub-feature groups g (C % 2g = 0). Default 64, as in SA-Net. */
  groups?: number;
}

export class SALayer extends Module {
  readonly channel: number;
  readonly groups: number;
  readonly avgPool: AdaptiveAvgPool2d;
  readonly cweight: Tensor;
  readonly cbias: Tensor;
  readonly sweight: Tensor;
  readonly sbias: Tensor;
  readonly sigmoid: Sigmoid;
  readonly gn: GroupNorm;

  constructor({ channel, groups = 64 }: SALayerOptions) {
    super();
    if (!Number.isInteger(channel) || channel <= 0) throw new RangeError(`sa_layer: channel must be a positive integer, got ${channel}`);
    if (!Number.isInteger(groups) || groups <= 0) throw new RangeError(`sa_layer: groups must be a positive integer, got ${groups}`);
    if (channel % (2 * groups) !== 0) {
      throw new RangeError(`sa_layer: channel ${channel} must be divisible by 2·groups = ${2 * groups}`);
    }
    this.channel = channel;
    this.groups = groups;
    const c = channel / (2 * groups);
    this.avgPool = this.addModule('avg_pool', new AdaptiveAvgPool2d(1));
    this.cweight = this.addParameter('cweight', zeros([1, c, 1, 1]));
    this.cbias = this.addParameter('cbias', ones([1, c, 1, 1]));
    this.sweight = this.addParameter('sweight', zeros([1, c, 1, 1]));
    this.sbias = this.addParameter('sbias', ones([1, c, 1, 1]));
    this.sigmoid = this.addModule('sigmoid', new Sigmoid());
    this.gn = this.addModule('gn', new GroupNorm(c, c));
  }

  static channelShuffle(x: Tensor, groups: number): Tensor {
    return channelShuffle(x, groups);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.channel) {
      throw new RangeError(`sa_layer: expected input [B,${this.channel},H,W], got ${fmtShape(x.shape)}`);
    }
    // 1. group into sub-features
    const [b, , h, w] = x.shape;
    x = x.reshape(b * this.groups, -1, h, w);
    const [x0, x1] = x.chunk(2, 1);
    // 2. channel attention on x0, 3. spatial attention on x1, concatenated along the channel axis
    let out = shuffleUnit(this, x0, x1);
    out = out.reshape(b, -1, h, w);
    return channelShuffle(out, 2);
  }
}

/** [B,C,H,W] → [B,groups,C/groups,H,W] → swap the two group dims → [B,C,H,W]. */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  const [b, , h, w] = x.shape;
  x = x.reshape(b, groups, -1, h, w);
  x = x.permute(0, 2, 1, 3, 4);
  // flatten
  return x.reshape(b, -1, h, w);
}

/** The parts of a shuffle-attention unit (sa_layer and ShuffleAttention register them in different orders). */
export interface ShuffleUnitParts {
  avgPool: AdaptiveAvgPool2d;
  gn: GroupNorm;
  sigmoid: Sigmoid;
  cweight: Tensor;
  cbias: Tensor;
  sweight: Tensor;
  sbias: Tensor;
}

/**
 * One shuffle-attention unit on the two halves of a group:
 *   channel branch  x0 · σ(cweight · avgpool(x0) + cbias)
 *   spatial branch  x1 · σ(sweight · GN(x1) + sbias)
 * concatenated along the channel axis.
 */
export function shuffleUnit(p: ShuffleUnitParts, x0: Tensor, x1: Tensor): Tensor {
  let xn = p.avgPool.forward(x0);
  xn = p.cweight.mul(xn).add(p.cbias);
  xn = x0.mul(p.sigmoid.forward(xn));
  let xs = p.gn.forward(x1);
  xs = p.sweight.mul(xs).add(p.sbias);
  xs = x1.mul(p.sigmoid.forward(xs));
  return cat([xn, xs], 1);
}

export const SALayerSpec = blockSpec('sa_layer', ['channel', 'groups'], (kw) =>
  new SALayer({ channel: kw.required<number>('channel'), groups: kw.get('groups', 64) }));
