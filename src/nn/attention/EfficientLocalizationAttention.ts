/**
 * ELA, Efficient Local(ization) Attention (Xu & Wan, "ELA: Efficient Local Attention for Deep
 * Convolutional Neural Networks", arXiv 2403.01123, 2024; seed 004).
 *
 * Two strip poolings, one shared 1-D conv + GroupNorm + sigmoid, applied along each direction:
 *   z_h = mean_w x            [B,C,H]      y_h = σ(GN(conv1d(z_h)))  viewed as [B,C,H,1]
 *   z_w = mean_h x            [B,C,W]      y_w = σ(GN(conv1d(z_w)))  viewed as [B,C,1,W]
 *   out = x · y_h · y_w       (broadcast)
 * conv1d: C → C, kernel k, padding k//2, `groups` groups (C: depthwise), no bias.
 * GN: GroupNorm(num_groups, C) on the 3-D strips (statistics over C/num_groups × the strip length).
 *
 * [B,C,H,W] → [B,C,H,W]; needs C % num_groups = 0 and C % groups = 0.
 * Variants of the seed docstring (`EfficientLocalizationAttention.variant(v, C)`):
 *   T: k=5, groups=C,   GN 32      B: k=7, groups=C,   GN 16 (the seed's default)
 *   S: k=5, groups=C/8, GN 16      L: k=7, groups=C/8, GN 16
 * Decisions (blocks.md C.4): the seed's debug `print` on every forward is removed; `groups` (null → C)
 * and `num_groups` (default 16) are added so the T/S/L variants can be built. One conv and one GN are
 * shared by the H and W strips, as in the seed. An even k gives strips one longer than H or W, so the
 * reference's `.view(b, c, h, 1)` fails; it is rejected at construction.
 */
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { Conv1d, GroupNorm, Sigmoid } from '../layers/index.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export type ELAVariant = 'T' | 'B' | 'S' | 'L';

export interface EfficientLocalizationAttentionOptions {
  /** Channels C. */
  channel: number;
  /** 1-D kernel size k (odd). Default 7. */
  kernelSize?: number;
  /** Conv groups; null (the default) means C, a depthwise conv. */
  groups?: number | null;
  /** GroupNorm groups. Default 16. */
  numGroups?: number;
}

export class EfficientLocalizationAttention extends Module {
  readonly channel: number;
  readonly pad: number;
  readonly conv: Conv1d;
  readonly gn: GroupNorm;
  readonly sigmoid: Sigmoid;

  /** The T/B/S/L configurations of the seed docstring for C channels. */
  static variantOptions(variant: ELAVariant, channel: number): Required<EfficientLocalizationAttentionOptions> {
    switch (variant) {
      case 'T': return { channel, kernelSize: 5, groups: channel, numGroups: 32 };
      case 'B': return { channel, kernelSize: 7, groups: channel, numGroups: 16 };
      case 'S':
      case 'L': {
        if (channel % 8 !== 0) throw new RangeError(`EfficientLocalizationAttention: ELA-${variant} needs channel % 8 = 0 (groups = C/8), got channel ${channel}`);
        return { channel, kernelSize: variant === 'S' ? 5 : 7, groups: channel / 8, numGroups: 16 };
      }
      default: throw new RangeError(`EfficientLocalizationAttention: unknown variant '${String(variant)}' (expected T, B, S or L)`);
    }
  }

  /** ELA-T, -B, -S or -L for C channels. */
  static variant(variant: ELAVariant, channel: number): EfficientLocalizationAttention {
    return new EfficientLocalizationAttention(EfficientLocalizationAttention.variantOptions(variant, channel));
  }

  constructor({ channel, kernelSize = 7, groups = null, numGroups = 16 }: EfficientLocalizationAttentionOptions) {
    super();
    const name = 'EfficientLocalizationAttention';
    if (!Number.isInteger(channel) || channel <= 0) throw new RangeError(`${name}: channel must be a positive integer, got ${channel}`);
    if (!Number.isInteger(kernelSize) || kernelSize <= 0 || kernelSize % 2 === 0) {
      throw new RangeError(`${name}: kernel_size must be a positive odd integer (padding k//2 keeps the strip length), got ${kernelSize}`);
    }
    if (groups === null) groups = channel; // depthwise, as in the seed (ELA-T / ELA-B)
    if (!Number.isInteger(groups) || groups <= 0 || channel % groups !== 0) {
      throw new RangeError(`${name}: channel ${channel} must be divisible by the conv groups ${groups}`);
    }
    if (!Number.isInteger(numGroups) || numGroups <= 0 || channel % numGroups !== 0) {
      throw new RangeError(`${name}: channel ${channel} must be divisible by num_groups ${numGroups} (GroupNorm)`);
    }
    this.channel = channel;
    this.pad = Math.floor(kernelSize / 2);
    this.conv = this.addModule('conv', new Conv1d(channel, channel, kernelSize, { padding: this.pad, groups, bias: false }));
    this.gn = this.addModule('gn', new GroupNorm(numGroups, channel));
    this.sigmoid = this.addModule('sigmoid', new Sigmoid());
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.channel) {
      throw new RangeError(`EfficientLocalizationAttention: expected input [B,${this.channel},H,W], got ${fmtShape(x.shape)}`);
    }
    const [b, c, h, w] = x.shape;

    // height direction
    let xH = x.mean(3, true).view(b, c, h);
    xH = this.sigmoid.forward(this.gn.forward(this.conv.forward(xH))).view(b, c, h, 1);

    // width direction
    let xW = x.mean(2, true).view(b, c, w);
    xW = this.sigmoid.forward(this.gn.forward(this.conv.forward(xW))).view(b, c, 1, w);

    // apply the attention along both directions
    return x.mul(xH).mul(xW);
  }
}

export const EfficientLocalizationAttentionSpec = blockSpec(
  'EfficientLocalizationAttention',
  ['channel', 'kernel_size', 'groups', 'num_groups'],
  (kw) => new EfficientLocalizationAttention({
    channel: kw.required<number>('channel'),
    kernelSize: kw.get('kernel_size', 7),
    groups: kw.get<number | null>('groups', null),
    numGroups: kw.get('num_groups', 16),
  }),
);
