/**
 * S²-MLPv2 attention (Yu, Li, Cai, Sun & Li, "S²-MLPv2: Improved Spatial-Shift MLP Architecture
 * for Vision", arXiv 2108.01072, 2021), as in External-Attention-pytorch S2Attention.py.
 *
 *   S2Attention, x [B,C,H,W] -> [B,C,H,W] (any C, H, W ≥ 1):
 *     t = mlp1(x as [B,H,W,C]) = [t1 | t2 | t3], each C wide
 *     x1 = shift1(t1),  x2 = shift2(t2),  x3 = t3
 *     y  = mlp2(SplitAttention([x1, x2, x3]))  back to [B,C,H,W]
 *   shift1 moves its four channel quarters [0,C/4), [C/4,C/2), [C/2,3C/4), [3C/4,C) (floor division,
 *   as in the reference) by +1 along H, −1 along H, +1 along W, −1 along W; the border row or column
 *   keeps its own value: out[i] = t[max(i−1, 0)] or out[i] = t[min(i+1, n−1)].
 *   shift2 is shift1 with H and W swapped.
 *
 *   SplitAttention(channel, k), x [B,k,H,W,C] -> [B,H,W,C] (C = channel):
 *     a = Σ_k Σ_hw x_k,   â = W2 GELU(W1 a) as [B,k,C],   ā = softmax over k,   out = Σ_k ā_k ⊙ x_k
 *
 * Fixed upstream quirks (blocks.md C.1, C.2):
 *   - upstream S2Attention builds `SplitAttention()` with its default 512 channels, so it only works
 *     for channels = 512; here it gets `channels`.
 *   - upstream shifts with overlapping in-place slice assignments, which smear on CPU (the +1 quarters
 *     come out with every row equal to row 0); here the shifts are clean out-of-place shifts built
 *     from narrow + cat (their backward is the matching scatter-add).
 *   - the reference's `b, c, w, h = x.size()` really reads [B,C,H,W]; the names are swapped, harmlessly.
 */
import { cat, stack } from '../../ops/view.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { Linear } from '../layers/linear.js';
import { GELU, Softmax } from '../layers/activation.js';
import { blockSpec } from './spec.js';

function positiveInt(block: string, name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${block}: ${name} must be a positive integer, got ${v}`);
  return v;
}

// ---- the spatial shifts ----------------------------------------------------------------------------

/** out[i] = x[max(i − 1, 0)] along `dim`: shift by +1, the first row kept. */
function shiftFwd(x: Tensor, dim: number): Tensor {
  const n = x.shape[dim];
  return cat([x.narrow(dim, 0, 1), x.narrow(dim, 0, n - 1)], dim);
}

/** out[i] = x[min(i + 1, n − 1)] along `dim`: shift by −1, the last row kept. */
function shiftBwd(x: Tensor, dim: number): Tensor {
  const n = x.shape[dim];
  return cat([x.narrow(dim, 1, n - 1), x.narrow(dim, n - 1, 1)], dim);
}

/** The four channel quarters of x [..., C]: [0, C/4), [C/4, C/2), [C/2, 3C/4), [3C/4, C), floor division. */
function quarters(x: Tensor): Tensor[] {
  const c = x.shape[x.ndim - 1];
  const at = [0, Math.floor(c / 4), Math.floor(c / 2), Math.floor((c * 3) / 4), c];
  return [0, 1, 2, 3].map((i) => x.narrow(-1, at[i], at[i + 1] - at[i]));
}

function checkShiftInput(name: string, x: Tensor): void {
  if (x.ndim !== 4 || x.numel === 0) throw new RangeError(`${name}: expected a non-empty input [B,H,W,C], got ${fmtShape(x.shape)}`);
}

/**
 * x [B,H,W,C] (channels last): quarter 0 shifts +1 along H, quarter 1 −1 along H,
 * quarter 2 +1 along W, quarter 3 −1 along W; the border row / column keeps its value. Out of place.
 */
export function spatialShift1(x: Tensor): Tensor {
  checkShiftInput('spatialShift1', x);
  const q = quarters(x);
  return cat([shiftFwd(q[0], 1), shiftBwd(q[1], 1), shiftFwd(q[2], 2), shiftBwd(q[3], 2)], -1);
}

/** As spatialShift1 with H and W swapped: quarter 0 +1 along W, 1 −1 along W, 2 +1 along H, 3 −1 along H. */
export function spatialShift2(x: Tensor): Tensor {
  checkShiftInput('spatialShift2', x);
  const q = quarters(x);
  return cat([shiftFwd(q[0], 2), shiftBwd(q[1], 2), shiftFwd(q[2], 1), shiftBwd(q[3], 1)], -1);
}

// ---- SplitAttention ----------------------------------------------------------------------------------

export interface SplitAttentionOptions {
  /** Channels C of each branch (default 512). */
  channel?: number;
  /** Number of branches k (default 3). */
  k?: number;
}

export class SplitAttention extends Module {
  readonly channel: number;
  readonly k: number;
  readonly mlp1: Linear;
  readonly gelu: GELU;
  readonly mlp2: Linear;
  readonly softmax: Softmax;

  constructor(opts: SplitAttentionOptions = {}) {
    super();
    this.channel = positiveInt('SplitAttention', 'channel', opts.channel ?? 512);
    this.k = positiveInt('SplitAttention', 'k', opts.k ?? 3);
    this.mlp1 = this.addModule('mlp1', new Linear(this.channel, this.channel, false));
    this.gelu = this.addModule('gelu', new GELU());
    this.mlp2 = this.addModule('mlp2', new Linear(this.channel, this.channel * this.k, false));
    this.softmax = this.addModule('softmax', new Softmax(1));
  }

  forward(xAll: Tensor): Tensor {
    this.checkInput(xAll);
    const [b, k, h, w, c] = xAll.shape;
    xAll = xAll.reshape(b, k, h * w, c); // bs,k,n,c
    const a = xAll.sum(1).sum(1); // bs,c
    let hatA = this.mlp2.forward(this.gelu.forward(this.mlp1.forward(a))); // bs,kc
    hatA = hatA.reshape(b, this.k, c); // bs,k,c
    const barA = this.softmax.forward(hatA); // bs,k,c
    const attention = barA.unsqueeze(-2); // bs,k,1,c
    const out = attention.mul(xAll); // bs,k,n,c
    return out.sum(1).reshape(b, h, w, c);
  }

  private checkInput(x: Tensor): void {
    const B = 'SplitAttention';
    if (x.ndim !== 5) throw new RangeError(`${B}: expected input [B,k,H,W,C], got ${fmtShape(x.shape)}`);
    if (x.shape[1] !== this.k) throw new RangeError(`${B}: input ${fmtShape(x.shape)} has ${x.shape[1]} branches in dim 1, expected k=${this.k}`);
    if (x.shape[4] !== this.channel) throw new RangeError(`${B}: input ${fmtShape(x.shape)} has ${x.shape[4]} channels in dim 4, expected channel=${this.channel}`);
  }
}

// ---- S2Attention -------------------------------------------------------------------------------------

export interface S2AttentionOptions {
  /** Input and output channels C (default 512). */
  channels?: number;
}

export class S2Attention extends Module {
  readonly channels: number;
  readonly mlp1: Linear;
  readonly mlp2: Linear;
  readonly splitAttention: SplitAttention;

  constructor(opts: S2AttentionOptions = {}) {
    super();
    const channels = (this.channels = positiveInt('S2Attention', 'channels', opts.channels ?? 512));
    this.mlp1 = this.addModule('mlp1', new Linear(channels, channels * 3));
    this.mlp2 = this.addModule('mlp2', new Linear(channels, channels));
    this.splitAttention = this.addModule('split_attention', new SplitAttention({ channel: channels })); // upstream: SplitAttention() (always 512)
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const c = x.shape[1];
    x = x.permute(0, 2, 3, 1);
    x = this.mlp1.forward(x);
    const x1 = spatialShift1(x.narrow(3, 0, c));
    const x2 = spatialShift2(x.narrow(3, c, c));
    const x3 = x.narrow(3, c * 2, c);
    const xAll = stack([x1, x2, x3], 1);
    const a = this.splitAttention.forward(xAll);
    x = this.mlp2.forward(a);
    x = x.permute(0, 3, 1, 2);
    return x;
  }

  private checkInput(x: Tensor): void {
    const B = 'S2Attention';
    if (x.ndim !== 4) throw new RangeError(`${B}: expected input [B,C,H,W], got ${fmtShape(x.shape)}`);
    if (x.shape[1] !== this.channels) throw new RangeError(`${B}: input ${fmtShape(x.shape)} has ${x.shape[1]} channels, expected channels=${this.channels}`);
    if (x.numel === 0) throw new RangeError(`${B}: input ${fmtShape(x.shape)} is empty; B, H and W must be at least 1`);
  }
}

export const S2AttentionSpec = blockSpec('S2Attention', ['channels'], (kw) => new S2Attention({
  channels: kw.get('channels', 512),
}));

export const SplitAttentionSpec = blockSpec('SplitAttention', ['channel', 'k'], (kw) => new SplitAttention({
  channel: kw.get('channel', 512),
  k: kw.get('k', 3),
}));
