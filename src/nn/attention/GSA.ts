/**
 * GSA, Group Shuffle Attention: the `Group_shuffle_block` of LB-UNet
 * (Xu et al., "LB-UNet: A Lightweight Boundary-assisted UNet for Skin Lesion
 * Segmentation", MICCAI 2024; xuxuxuxuxuxjh/LB-UNet lbunet.py). Seed 000.
 *
 *   x = LN_cf(x);   x1, x2, x3, x4 = chunk(x, 4, dim=1)              (c = dim_in / 4 channels each)
 *   xi = xi ⊙ conv_i(resize(S_i, H×W))     S_i ∈ R^{1×c×8×8} learned; resize = bilinear, align_corners
 *        conv_i = dwconv3×3(c) → GELU → conv1×1(c→c)
 *   y = ldw(LN_cf(cat[x2, x4, x1, x3]))    ldw = dwconv3×3(dim_in) → GELU → conv1×1(dim_in→dim_out)
 *
 *   LN_cf (channels_first) normalises each pixel over C:  (x − μ_C) / √(σ²_C + 1e-6) · w + b
 *   (biased variance, eps inside the square root; blocks.md C.7f).
 *
 * [B, dim_in, H, W] → [B, dim_out, H, W]; needs dim_in % 4 = 0 (C.7e). Any H, W ≥ 1.
 *
 * Kept from the reference (blocks.md C.7): share_space_i starts at ones (C.7a), so each gate map
 * depends only on (H, W), not on x; the "shuffle" is just the fixed concat order [x2, x4, x1, x3]
 * (C.7d). Dropped: the dead `B, C, H, W = x1.size()` (C.7h). LB-UNet's `_init_weights` is not part
 * of the seed and is not applied (C.7g): the convs keep PyTorch's default init.
 *
 * The same file holds the seed's custom `LayerNorm` (registry name 'LayerNorm', class GSALayerNorm):
 * channels_last is F.layer_norm over the last dim of [..., C]; channels_first is the per-pixel formula
 * above on [B, C, H, W] (4-D only: the reference's `weight[:, None, None]` broadcasts correctly only there).
 */
import { ones, zeros } from '../../creation.js';
import { layerNorm, layerNormChannelsFirst } from '../../ops/norm.js';
import { interpolate } from '../../ops/resample.js';
import { cat } from '../../ops/view.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { Conv2d } from '../layers/conv.js';
import { GELU } from '../layers/activation.js';
import { Sequential } from '../layers/container.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export type GSALayerNormDataFormat = 'channels_last' | 'channels_first';

export interface GSALayerNormOptions {
  /** Number of channels C (Python's `normalized_shape`, an int). */
  normalizedShape: number;
  /** Default 1e-6. */
  eps?: number;
  /** 'channels_last' ([..., C], default) or 'channels_first' ([B, C, ...]). */
  dataFormat?: GSALayerNormDataFormat;
}

/** The ConvNeXt-style LayerNorm that GSA uses (reference class `LayerNorm` in lbunet.py). */
export class GSALayerNorm extends Module {
  readonly normalizedShape: number;
  readonly eps: number;
  readonly dataFormat: GSALayerNormDataFormat;
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor({ normalizedShape, eps = 1e-6, dataFormat = 'channels_last' }: GSALayerNormOptions) {
    super();
    if (!Number.isInteger(normalizedShape) || normalizedShape <= 0) {
      throw new RangeError(`GSALayerNorm: normalized_shape must be a positive integer, got ${normalizedShape}`);
    }
    if (!(eps >= 0)) throw new RangeError(`GSALayerNorm: eps must be a non-negative number, got ${eps}`);
    if (dataFormat !== 'channels_last' && dataFormat !== 'channels_first') {
      throw new RangeError(`GSALayerNorm: data_format must be 'channels_last' or 'channels_first', got '${String(dataFormat)}'`);
    }
    this.weight = this.addParameter('weight', ones([normalizedShape]));
    this.bias = this.addParameter('bias', zeros([normalizedShape]));
    this.eps = eps;
    this.dataFormat = dataFormat;
    this.normalizedShape = normalizedShape;
  }

  forward(x: Tensor): Tensor {
    const C = this.normalizedShape;
    if (this.dataFormat === 'channels_last') {
      if (x.ndim < 1 || x.shape[x.ndim - 1] !== C) {
        throw new RangeError(`GSALayerNorm: channels_last expects input [..., ${C}], got ${fmtShape(x.shape)}`);
      }
      return layerNorm(x, [C], this.weight, this.bias, this.eps);
    }
    // the reference's weight[:, None, None] broadcasts correctly only against [B, C, H, W]
    if (x.ndim !== 4 || x.shape[1] !== C) {
      throw new RangeError(`GSALayerNorm: channels_first expects input [B, ${C}, H, W], got ${fmtShape(x.shape)}`);
    }
    // u = mean_C x,  s = mean_C (x − u)²,  (x − u) / √(s + eps) · weight[:,None,None] + bias[:,None,None]
    return layerNormChannelsFirst(x, this.weight, this.bias, this.eps);
  }
}

export interface GSAOptions {
  /** Input channels; must be divisible by 4. */
  dimIn: number;
  /** Output channels. */
  dimOut: number;
}

/** dwconv3×3(c) → GELU → conv1×1(c → cOut), the reference's nn.Sequential (keys 0 and 2). */
function dwGeluPw(c: number, cOut: number): Sequential {
  return new Sequential(
    new Conv2d(c, c, 3, { padding: 1, groups: c }),
    new GELU(),
    new Conv2d(c, cOut, 1),
  );
}

export class GSA extends Module {
  readonly dimIn: number;
  readonly dimOut: number;
  readonly shareSpace1: Tensor;
  readonly conv1: Sequential;
  readonly shareSpace2: Tensor;
  readonly conv2: Sequential;
  readonly shareSpace3: Tensor;
  readonly conv3: Sequential;
  readonly shareSpace4: Tensor;
  readonly conv4: Sequential;
  readonly norm1: GSALayerNorm;
  readonly norm2: GSALayerNorm;
  readonly ldw: Sequential;

  constructor({ dimIn, dimOut }: GSAOptions) {
    super();
    if (!Number.isInteger(dimIn) || dimIn <= 0 || dimIn % 4 !== 0) {
      throw new RangeError(`GSA: dim_in must be a positive integer divisible by 4, got ${dimIn}`);
    }
    if (!Number.isInteger(dimOut) || dimOut <= 0) throw new RangeError(`GSA: dim_out must be a positive integer, got ${dimOut}`);
    this.dimIn = dimIn;
    this.dimOut = dimOut;
    const cDim = dimIn / 4;
    this.shareSpace1 = this.addParameter('share_space1', ones([1, cDim, 8, 8]));
    this.conv1 = this.addModule('conv1', dwGeluPw(cDim, cDim));
    this.shareSpace2 = this.addParameter('share_space2', ones([1, cDim, 8, 8]));
    this.conv2 = this.addModule('conv2', dwGeluPw(cDim, cDim));
    this.shareSpace3 = this.addParameter('share_space3', ones([1, cDim, 8, 8]));
    this.conv3 = this.addModule('conv3', dwGeluPw(cDim, cDim));
    this.shareSpace4 = this.addParameter('share_space4', ones([1, cDim, 8, 8]));
    this.conv4 = this.addModule('conv4', dwGeluPw(cDim, cDim));
    this.norm1 = this.addModule('norm1', new GSALayerNorm({ normalizedShape: dimIn, eps: 1e-6, dataFormat: 'channels_first' }));
    this.norm2 = this.addModule('norm2', new GSALayerNorm({ normalizedShape: dimIn, eps: 1e-6, dataFormat: 'channels_first' }));
    this.ldw = this.addModule('ldw', dwGeluPw(dimIn, dimOut));
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.dimIn) {
      throw new RangeError(`GSA: expected input [B, ${this.dimIn}, H, W], got ${fmtShape(x.shape)}`);
    }
    x = this.norm1.forward(x);
    let [x1, x2, x3, x4] = x.chunk(4, 1);
    const size: [number, number] = [x1.shape[2], x1.shape[3]];
    const gate = (s: Tensor) => interpolate(s, { size, mode: 'bilinear', alignCorners: true });
    x1 = x1.mul(this.conv1.forward(gate(this.shareSpace1)));
    x2 = x2.mul(this.conv2.forward(gate(this.shareSpace2)));
    x3 = x3.mul(this.conv3.forward(gate(this.shareSpace3)));
    x4 = x4.mul(this.conv4.forward(gate(this.shareSpace4)));
    x = cat([x2, x4, x1, x3], 1);
    x = this.norm2.forward(x);
    x = this.ldw.forward(x);
    return x;
  }
}

export const GSASpec = blockSpec('GSA', ['dim_in', 'dim_out'], (kw) => new GSA({
  dimIn: kw.required<number>('dim_in'),
  dimOut: kw.required<number>('dim_out'),
}));

export const LayerNormSpec = blockSpec('LayerNorm', ['normalized_shape', 'eps', 'data_format'], (kw) => new GSALayerNorm({
  normalizedShape: kw.required<number>('normalized_shape'),
  eps: kw.get('eps', 1e-6),
  dataFormat: kw.get<GSALayerNormDataFormat>('data_format', 'channels_last'),
}));
