/**
 * Selective Kernel attention, External-Attention-pytorch's version (Li, Wang, Hu & Yang, "Selective
 * Kernel Networks", CVPR 2019; EAP model/attention/SKAttention.py).
 *
 * K branches with kernel sizes k_1..k_K (split), a squeeze of their sum (fuse), and a softmax over the
 * branches per channel (select):
 *   U_i = ReLU(BN(conv_{k_i}(x)))                 conv: C → C, padding k_i//2, `group` groups, bias
 *   s   = mean_hw(Σ_i U_i)        [B,C]           z = fc(s)   [B,d],  d = max(L, C // reduction)
 *   a_i = softmax_i(fc_i(z))      [B,C] each      (softmax over the K stacked branches, dim 0)
 *   out = Σ_i a_i · U_i
 *
 * [B,C,H,W] → [B,C,H,W] for odd kernels (an even k grows H and W by 1, so all kernels must share
 * one parity); needs C % group = 0.
 * Quirks (blocks.md C.11), kept: the squeeze FC has no BN (the SK paper has one); the softmax is over
 * the stacked branch dim 0. Branch modules are keyed `convs.<i>.conv / .bn / .relu` like the
 * reference's OrderedDict Sequential.
 */
import { stack } from '../../ops/view.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { BatchNorm2d, Conv2d, Linear, ModuleList, ReLU, Softmax } from '../layers/index.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export interface SKAttentionOptions {
  /** Channels C. Default 512. */
  channel?: number;
  /** Kernel sizes of the branches. Default [1, 3, 5, 7]. */
  kernels?: readonly number[];
  /** d = max(L, C // reduction). Default 16. */
  reduction?: number;
  /** Groups of every branch conv (C % group = 0). Default 1. */
  group?: number;
  /** Lower bound of d. Default 32. */
  L?: number;
}

/** One branch, `nn.Sequential(OrderedDict([('conv', ...), ('bn', ...), ('relu', ...)]))`. */
class SKBranch extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly relu: ReLU;
  constructor(channel: number, k: number, group: number) {
    super();
    this.conv = this.addModule('conv', new Conv2d(channel, channel, k, { padding: Math.floor(k / 2), groups: group }));
    this.bn = this.addModule('bn', new BatchNorm2d(channel));
    this.relu = this.addModule('relu', new ReLU());
  }
  forward(x: Tensor): Tensor {
    return this.relu.forward(this.bn.forward(this.conv.forward(x)));
  }
}

export class SKAttention extends Module {
  readonly channel: number;
  readonly d: number;
  readonly convs: ModuleList<SKBranch>;
  readonly fc: Linear;
  readonly fcs: ModuleList<Linear>;
  readonly softmax: Softmax;

  constructor({ channel = 512, kernels = [1, 3, 5, 7], reduction = 16, group = 1, L = 32 }: SKAttentionOptions = {}) {
    super();
    const name = 'SKAttention';
    if (!Number.isInteger(channel) || channel <= 0) throw new RangeError(`${name}: channel must be a positive integer, got ${channel}`);
    if (kernels.length === 0) throw new RangeError(`${name}: kernels must hold at least one kernel size`);
    if (kernels.some((k) => !Number.isInteger(k) || k <= 0)) throw new RangeError(`${name}: kernel sizes must be positive integers, got [${kernels.join(', ')}]`);
    if (kernels.some((k) => k % 2 !== kernels[0] % 2)) {
      throw new RangeError(`${name}: kernels [${kernels.join(', ')}] give branch outputs of different sizes (padding k//2 keeps H×W for odd k, adds 1 for even k)`);
    }
    if (!Number.isInteger(group) || group <= 0 || channel % group !== 0) throw new RangeError(`${name}: channel ${channel} must be divisible by group ${group}`);
    if (!Number.isInteger(reduction) || reduction <= 0) throw new RangeError(`${name}: reduction must be a positive integer, got ${reduction}`);
    this.channel = channel;
    this.d = Math.max(L, Math.floor(channel / reduction));
    if (!(this.d > 0)) throw new RangeError(`${name}: d = max(L, channel // reduction) = ${this.d} must be positive`);
    this.convs = this.addModule('convs', new ModuleList<SKBranch>());
    for (const k of kernels) this.convs.append(new SKBranch(channel, k, group));
    this.fc = this.addModule('fc', new Linear(channel, this.d));
    this.fcs = this.addModule('fcs', new ModuleList<Linear>());
    for (let i = 0; i < kernels.length; i++) this.fcs.append(new Linear(this.d, channel));
    this.softmax = this.addModule('softmax', new Softmax(0));
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.channel) {
      throw new RangeError(`SKAttention: expected input [B,${this.channel},H,W], got ${fmtShape(x.shape)}`);
    }
    const [bs, c] = x.shape;
    // split
    const convOuts = [...this.convs].map((conv) => conv.forward(x));
    const feats = stack(convOuts, 0); // k,bs,channel,h,w

    // fuse
    const U = convOuts.slice(1).reduce((acc, o) => acc.add(o), convOuts[0]); // bs,c,h,w

    // reduction channel
    const S = U.mean(-1).mean(-1); // bs,c
    const Z = this.fc.forward(S); // bs,d

    // calculate attention weight
    const weights = [...this.fcs].map((fc) => fc.forward(Z).view(bs, c, 1, 1)); // bs,channel,1,1 each
    let attentionWeights = stack(weights, 0); // k,bs,channel,1,1
    attentionWeights = this.softmax.forward(attentionWeights); // k,bs,channel,1,1

    // fuse
    return attentionWeights.mul(feats).sum(0);
  }
}

export const SKAttentionSpec = blockSpec('SKAttention', ['channel', 'kernels', 'reduction', 'group', 'L'], (kw) =>
  new SKAttention({
    channel: kw.get('channel', 512),
    kernels: kw.get<readonly number[]>('kernels', [1, 3, 5, 7]),
    reduction: kw.get('reduction', 16),
    group: kw.get('group', 1),
    L: kw.get('L', 32),
  }));
