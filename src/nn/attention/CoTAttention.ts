/**
 * Contextual Transformer attention, External-Attention-pytorch's simplification (Li, Yao, Pan & Mei,
 * "Contextual Transformer Networks for Visual Recognition", arXiv 2107.12292, 2021 / TPAMI 2022;
 * EAP model/attention/CoTAttention.py).
 *
 *   k1  = ReLU(BN(conv_kxk^{groups=4}(x)))          static context (keys), [B,C,H,W]
 *   v   = BN(conv_1x1(x))                            values, seen as [B,C,H·W]
 *   att = conv_1x1(ReLU(BN(conv_1x1(cat(k1, x)))))   2C → C/2 → k²·C, seen as [B,C,k²,H,W]
 *   a   = mean over the k² axis of att               [B,C,H·W]
 *   out = k1 + softmax_{H·W}(a) · v                  (dynamic context), [B,C,H,W]
 *
 * [B,C,H,W] → [B,C,H,W]; needs C % 4 = 0 (the key conv has groups = 4) and an odd kernel_size
 * (padding k//2 must keep H×W for the cat; PyTorch fails there for even k).
 * Quirk (blocks.md C.10), kept: this is EAP's simplification, not the official CoTNet CotLayer (which
 * uses a k×k local aggregation, GroupNorm and a radix-2 SE fusion): the k² attention maps are averaged
 * and the softmax runs over ALL H·W positions per channel, multiplying v globally.
 */
import { cat } from '../../ops/view.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { BatchNorm2d, Conv2d, ReLU, Sequential } from '../layers/index.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export interface CoTAttentionOptions {
  /** Channels C (C % 4 = 0). Default 512. */
  dim?: number;
  /** Key conv kernel k (odd). Default 3. */
  kernelSize?: number;
}

export class CoTAttention extends Module {
  readonly dim: number;
  readonly kernelSize: number;
  readonly keyEmbed: Sequential;
  readonly valueEmbed: Sequential;
  readonly attentionEmbed: Sequential;

  constructor({ dim = 512, kernelSize = 3 }: CoTAttentionOptions = {}) {
    super();
    const name = 'CoTAttention';
    if (!Number.isInteger(dim) || dim <= 0 || dim % 4 !== 0) throw new RangeError(`${name}: dim ${dim} must be a positive multiple of 4 (the key conv has groups=4)`);
    if (!Number.isInteger(kernelSize) || kernelSize <= 0 || kernelSize % 2 === 0) {
      throw new RangeError(`${name}: kernel_size must be a positive odd integer (padding k//2 keeps H×W), got ${kernelSize}`);
    }
    this.dim = dim;
    this.kernelSize = kernelSize;

    this.keyEmbed = this.addModule('key_embed', new Sequential(
      new Conv2d(dim, dim, kernelSize, { padding: Math.floor(kernelSize / 2), groups: 4, bias: false }),
      new BatchNorm2d(dim),
      new ReLU(),
    ));
    this.valueEmbed = this.addModule('value_embed', new Sequential(
      new Conv2d(dim, dim, 1, { bias: false }),
      new BatchNorm2d(dim),
    ));

    const factor = 4;
    this.attentionEmbed = this.addModule('attention_embed', new Sequential(
      new Conv2d(2 * dim, (2 * dim) / factor, 1, { bias: false }),
      new BatchNorm2d((2 * dim) / factor),
      new ReLU(),
      new Conv2d((2 * dim) / factor, kernelSize * kernelSize * dim, 1),
    ));
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.dim) {
      throw new RangeError(`CoTAttention: expected input [B,${this.dim},H,W], got ${fmtShape(x.shape)}`);
    }
    const [bs, c, h, w] = x.shape;
    const k1 = this.keyEmbed.forward(x); // bs,c,h,w
    const v = this.valueEmbed.forward(x).view(bs, c, -1); // bs,c,h*w

    const y = cat([k1, x], 1); // bs,2c,h,w
    let att = this.attentionEmbed.forward(y); // bs,c*k*k,h,w
    att = att.reshape(bs, c, this.kernelSize * this.kernelSize, h, w);
    att = att.mean(2, false).view(bs, c, -1); // bs,c,h*w
    let k2 = att.softmax(-1).mul(v);
    k2 = k2.view(bs, c, h, w);

    return k1.add(k2);
  }
}

export const CoTAttentionSpec = blockSpec('CoTAttention', ['dim', 'kernel_size'], (kw) =>
  new CoTAttention({ dim: kw.get('dim', 512), kernelSize: kw.get('kernel_size', 3) }));
