/**
 * Triplet Attention (Misra, Nalamada, Arasanipalai & Hou, "Rotate to Attend: Convolutional Triplet
 * Attention Module", WACV 2021). Reference: External-Attention-pytorch TripletAttention.py
 * (seed 002 §12).
 *
 * One attention gate per pair of axes; each gate sees the tensor rotated so that the pair is last:
 *   Z(t)    = cat[max_1 t, mean_1 t]                           (ZPool over dim 1 → 2 channels)
 *   gate(t) = t ⊙ sigmoid(BN(conv7×7(Z(t))))                    (2 → 1 channels, pad 3, no bias)
 *   y = 1/3 · ( gate_hw(x) + P⁻¹ gate_cw(P x) + Q⁻¹ gate_hc(Q x) ),   P = permute(0,2,1,3), Q = permute(0,3,2,1)
 * With no_spatial the hw gate is dropped and the two others are averaged (×1/2).
 *
 * [B, C, H, W] → [B, C, H, W]. Kept from the reference (blocks.md C.9): each BatchNorm2d(1) has
 * eps 1e-5 and momentum 0.01 (running stats move 10× slower than the default); `torch.sigmoid_`
 * (in place on the BN output) is an ordinary sigmoid here.
 */
import { cat } from '../../ops/view.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { ReLU } from '../layers/activation.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/norm.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export interface BasicConvOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
  relu?: boolean;
  bn?: boolean;
  bias?: boolean;
}

/** conv → optional BatchNorm2d (eps 1e-5, momentum 0.01) → optional ReLU. */
export class BasicConv extends Module {
  readonly outChannels: number;
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d | null;
  readonly relu: ReLU | null;

  constructor(inPlanes: number, outPlanes: number, kernelSize: number,
    { stride = 1, padding = 0, dilation = 1, groups = 1, relu = true, bn = true, bias = false }: BasicConvOptions = {}) {
    super();
    this.outChannels = outPlanes;
    this.conv = this.addModule('conv', new Conv2d(inPlanes, outPlanes, kernelSize, { stride, padding, dilation, groups, bias }));
    this.bn = bn ? this.addModule('bn', new BatchNorm2d(outPlanes, { eps: 1e-5, momentum: 0.01, affine: true })) : null;
    this.relu = relu ? this.addModule('relu', new ReLU()) : null;
  }

  forward(x: Tensor): Tensor {
    x = this.conv.forward(x);
    if (this.bn !== null) x = this.bn.forward(x);
    if (this.relu !== null) x = this.relu.forward(x);
    return x;
  }
}

/** [B, C, H, W] → [B, 2, H, W]: the max and the mean over dim 1. */
export class ZPool extends Module {
  forward(x: Tensor): Tensor {
    return cat([x.max(1).values.unsqueeze(1), x.mean(1).unsqueeze(1)], 1);
  }
}

export class AttentionGate extends Module {
  readonly compress: ZPool;
  readonly conv: BasicConv;

  constructor() {
    super();
    const kernelSize = 7;
    this.compress = this.addModule('compress', new ZPool());
    this.conv = this.addModule('conv', new BasicConv(2, 1, kernelSize, { stride: 1, padding: (kernelSize - 1) / 2, relu: false }));
  }

  forward(x: Tensor): Tensor {
    const xCompress = this.compress.forward(x);
    const xOut = this.conv.forward(xCompress);
    const scale = xOut.sigmoid(); // torch.sigmoid_ upstream
    return x.mul(scale);
  }
}

export interface TripletAttentionOptions {
  /** Drop the spatial (H, W) gate and average the two others (default false). */
  noSpatial?: boolean;
}

export class TripletAttention extends Module {
  readonly cw: AttentionGate;
  readonly hc: AttentionGate;
  readonly noSpatial: boolean;
  readonly hw: AttentionGate | null;

  constructor({ noSpatial = false }: TripletAttentionOptions = {}) {
    super();
    if (typeof noSpatial !== 'boolean') throw new TypeError(`TripletAttention: no_spatial must be a boolean, got ${String(noSpatial)}`);
    this.cw = this.addModule('cw', new AttentionGate());
    this.hc = this.addModule('hc', new AttentionGate());
    this.noSpatial = noSpatial;
    this.hw = noSpatial ? null : this.addModule('hw', new AttentionGate());
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new RangeError(`TripletAttention: expected input [B, C, H, W], got ${fmtShape(x.shape)}`);
    const xPerm1 = x.permute(0, 2, 1, 3).contiguous();
    const xOut1 = this.cw.forward(xPerm1);
    const xOut11 = xOut1.permute(0, 2, 1, 3).contiguous();
    const xPerm2 = x.permute(0, 3, 2, 1).contiguous();
    const xOut2 = this.hc.forward(xPerm2);
    const xOut21 = xOut2.permute(0, 3, 2, 1).contiguous();
    let xOut: Tensor;
    if (this.hw !== null) {
      xOut = this.hw.forward(x);
      xOut = xOut.add(xOut11).add(xOut21).mul(1 / 3);
    } else {
      xOut = xOut11.add(xOut21).mul(1 / 2);
    }
    return xOut;
  }
}

export const TripletAttentionSpec = blockSpec('TripletAttention', ['no_spatial'], (kw) => new TripletAttention({ noSpatial: kw.get('no_spatial', false) }));
