/**
 * MobileViT block (Mehta & Rastegari, "MobileViT: Light-weight, General-purpose, and Mobile-friendly
 * Vision Transformer", ICLR 2022; arXiv 2110.02178, 2021), as in External-Attention-pytorch
 * MobileViTAttention.py.
 *
 *   local:   y = conv1x1(conv_kxk(x))                              [B,C,H,W] -> [B,D,H,W]
 *   unfold:  y -> tokens [B, P, N, D],  P = ph·pw offsets inside a patch, N = nh·nw patches;
 *            token (p = i·pw + j, n = a·nw + b) is the pixel (a·ph + i, b·pw + j)
 *   global:  depth × { y = y + MHSA(LN(y));  y = y + W2 SiLU(W1 LN(y) + b1) + b2 }
 *            MHSA over the N patches that share one offset p:
 *            softmax(q kᵀ / √head_dim) v per head, heads merged, then to_out (a Linear;
 *            the identity when heads = 1 and head_dim = dim)
 *   fold:    tokens -> [B,D,H,W];   fuse: out = conv_kxk(cat[x, conv1x1(y)])      -> [B,C,H,W]
 *
 * Input [B, in_channel, H, W] -> [B, in_channel, H, W]; H and W must be multiples of
 * patch_size, and kernel_size must be odd (padding k//2 keeps H×W only then).
 *
 * Quirks (blocks.md C.13): upstream hard-codes the transformer (depth 3, heads 8, head_dim 64,
 * mlp_dim 1024) whatever `dim` is; here they are options with those defaults. The dead
 * `y = x.clone()` is dropped. The einops rearranges are reshape/permute in einops' element order.
 */
import { cat } from '../../ops/view.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import { Conv2d } from '../layers/conv.js';
import { Linear, Identity } from '../layers/linear.js';
import { LayerNorm } from '../layers/norm.js';
import { Dropout, SiLU, Softmax } from '../layers/activation.js';
import { ModuleList, Sequential, type TensorModule } from '../layers/container.js';
import { blockSpec } from './spec.js';

function positiveInt(block: string, name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${block}: ${name} must be a positive integer, got ${v}`);
  return v;
}

// ---- the einops rearranges, as reshape/permute --------------------------------------------------

/** `b p n (h d) -> b p h n d`: (h d) with h the slower index, then (b p n h d) -> (b p h n d). */
function splitHeads(t: Tensor, h: number): Tensor {
  const [b, p, n, hd] = t.shape;
  return t.reshape(b, p, n, h, hd / h).permute(0, 1, 3, 2, 4);
}

/** `b p h n d -> b p n (h d)`: the inverse of splitHeads. */
function mergeHeads(t: Tensor): Tensor {
  const [b, p, h, n, d] = t.shape;
  return t.permute(0, 1, 3, 2, 4).reshape(b, p, n, h * d);
}

/** `bs dim (nh ph) (nw pw) -> bs (ph pw) (nh nw) dim`. */
function patchify(y: Tensor, ph: number, pw: number): Tensor {
  const [bs, dim, h, w] = y.shape;
  const nh = h / ph, nw = w / pw;
  return y.reshape(bs, dim, nh, ph, nw, pw).permute(0, 3, 5, 2, 4, 1).reshape(bs, ph * pw, nh * nw, dim);
}

/** `bs (ph pw) (nh nw) dim -> bs dim (nh ph) (nw pw)`: the inverse of patchify. */
function unpatchify(y: Tensor, ph: number, pw: number, nh: number, nw: number): Tensor {
  const bs = y.shape[0];
  const dim = y.shape[y.ndim - 1];
  return y.reshape(bs, ph, pw, nh, nw, dim).permute(0, 5, 3, 1, 4, 2).reshape(bs, dim, nh * ph, nw * pw);
}

// ---- the transformer ---------------------------------------------------------------------------

/** fn(LN(x)). */
export class PreNorm extends Module {
  readonly ln: LayerNorm;
  readonly fn: TensorModule;
  constructor(dim: number, fn: TensorModule) {
    super();
    this.ln = this.addModule('ln', new LayerNorm(dim));
    this.fn = this.addModule('fn', fn);
  }
  forward(x: Tensor): Tensor {
    return this.fn.forward(this.ln.forward(x));
  }
}

/** Linear(dim → mlp_dim) → SiLU → Dropout → Linear(mlp_dim → dim) → Dropout. */
export class FeedForward extends Module {
  readonly net: Sequential;
  constructor(dim: number, mlpDim: number, dropout: number) {
    super();
    this.net = this.addModule('net', new Sequential(
      new Linear(dim, mlpDim),
      new SiLU(),
      new Dropout(dropout),
      new Linear(mlpDim, dim),
      new Dropout(dropout),
    ));
  }
  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}

/** Multi-head self-attention over dim −2 of [B, P, N, dim]; to_out is the identity when heads = 1 and head_dim = dim. */
export class Attention extends Module {
  readonly heads: number;
  readonly scale: number;
  readonly attend: Softmax;
  readonly toQkv: Linear;
  readonly toOut: TensorModule;
  constructor(dim: number, heads: number, headDim: number, dropout: number) {
    super();
    const innerDim = heads * headDim;
    const projectOut = !(heads === 1 && headDim === dim);

    this.heads = heads;
    this.scale = headDim ** -0.5;

    this.attend = this.addModule('attend', new Softmax(-1));
    this.toQkv = this.addModule('to_qkv', new Linear(dim, innerDim * 3, false));

    this.toOut = this.addModule('to_out', projectOut
      ? new Sequential(new Linear(innerDim, dim), new Dropout(dropout))
      : new Identity());
  }
  forward(x: Tensor): Tensor {
    const [q, k, v] = this.toQkv.forward(x).chunk(3, -1).map((t) => splitHeads(t, this.heads));
    const dots = q.matmul(k.transpose(-1, -2)).mul(this.scale);
    const attn = this.attend.forward(dots);
    let out = attn.matmul(v);
    out = mergeHeads(out);
    return this.toOut.forward(out);
  }
}

/** depth × [PreNorm(Attention), PreNorm(FeedForward)], each with a residual. */
export class Transformer extends Module {
  readonly layers: ModuleList<ModuleList<PreNorm>>;
  constructor(dim: number, depth: number, heads: number, headDim: number, mlpDim: number, dropout = 0) {
    super();
    this.layers = this.addModule('layers', new ModuleList<ModuleList<PreNorm>>());
    for (let i = 0; i < depth; i++) {
      this.layers.append(new ModuleList([
        new PreNorm(dim, new Attention(dim, heads, headDim, dropout)),
        new PreNorm(dim, new FeedForward(dim, mlpDim, dropout)),
      ]));
    }
  }
  forward(x: Tensor): Tensor {
    let out = x;
    for (const [att, ffn] of this.layers) {
      out = out.add(att.forward(out));
      out = out.add(ffn.forward(out));
    }
    return out;
  }
}

// ---- the block -----------------------------------------------------------------------------------

export interface MobileViTAttentionOptions {
  /** Input and output channels (default 3). */
  inChannel?: number;
  /** Transformer width (default 512). */
  dim?: number;
  /** Kernel of the local and fusion convolutions, odd (default 3). */
  kernelSize?: number;
  /** Patch height and width (default 7). */
  patchSize?: number;
  /** Transformer layers (default 3; hard-coded upstream). */
  depth?: number;
  /** Attention heads (default 8; hard-coded upstream). */
  heads?: number;
  /** Width of one head (default 64; hard-coded upstream). */
  headDim?: number;
  /** Hidden width of the feed-forward (default 1024; hard-coded upstream). */
  mlpDim?: number;
}

export class MobileViTAttention extends Module {
  readonly inChannel: number;
  readonly ph: number;
  readonly pw: number;
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly trans: Transformer;
  readonly conv3: Conv2d;
  readonly conv4: Conv2d;

  constructor(opts: MobileViTAttentionOptions = {}) {
    super();
    const B = 'MobileViTAttention';
    const inChannel = positiveInt(B, 'in_channel', opts.inChannel ?? 3);
    const dim = positiveInt(B, 'dim', opts.dim ?? 512);
    const kernelSize = positiveInt(B, 'kernel_size', opts.kernelSize ?? 3);
    const patchSize = positiveInt(B, 'patch_size', opts.patchSize ?? 7);
    const depth = positiveInt(B, 'depth', opts.depth ?? 3);
    const heads = positiveInt(B, 'heads', opts.heads ?? 8);
    const headDim = positiveInt(B, 'head_dim', opts.headDim ?? 64);
    const mlpDim = positiveInt(B, 'mlp_dim', opts.mlpDim ?? 1024);
    if (kernelSize % 2 === 0) {
      throw new RangeError(`${B}: kernel_size must be odd (padding kernel_size//2 keeps H×W only for odd kernels), got ${kernelSize}`);
    }
    this.inChannel = inChannel;

    [this.ph, this.pw] = [patchSize, patchSize];
    this.conv1 = this.addModule('conv1', new Conv2d(inChannel, inChannel, kernelSize, { padding: Math.floor(kernelSize / 2) }));
    this.conv2 = this.addModule('conv2', new Conv2d(inChannel, dim, 1));

    this.trans = this.addModule('trans', new Transformer(dim, depth, heads, headDim, mlpDim));

    this.conv3 = this.addModule('conv3', new Conv2d(dim, inChannel, 1));
    this.conv4 = this.addModule('conv4', new Conv2d(2 * inChannel, inChannel, kernelSize, { padding: Math.floor(kernelSize / 2) }));
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    // Local Representation
    let y = this.conv2.forward(this.conv1.forward(x)); // bs,dim,h,w

    // Global Representation
    const [, , h, w] = y.shape;
    y = patchify(y, this.ph, this.pw); // bs,ph*pw,nh*nw,dim
    y = this.trans.forward(y);
    y = unpatchify(y, this.ph, this.pw, h / this.ph, w / this.pw); // bs,dim,h,w

    // Fusion
    y = this.conv3.forward(y); // bs,in_channel,h,w
    y = cat([x, y], 1); // bs,2*in_channel,h,w
    y = this.conv4.forward(y); // bs,in_channel,h,w

    return y;
  }

  private checkInput(x: Tensor): void {
    const B = 'MobileViTAttention';
    if (x.ndim !== 4) throw new RangeError(`${B}: expected input [B,C,H,W], got ${fmtShape(x.shape)}`);
    const [, c, h, w] = x.shape;
    if (c !== this.inChannel) throw new RangeError(`${B}: input ${fmtShape(x.shape)} has ${c} channels, expected in_channel ${this.inChannel}`);
    if (h % this.ph !== 0 || w % this.pw !== 0) {
      throw new RangeError(`${B}: H and W (${h}x${w}) must be multiples of patch_size ${this.ph} (input ${fmtShape(x.shape)})`);
    }
  }
}

export const MobileViTAttentionSpec = blockSpec(
  'MobileViTAttention',
  ['in_channel', 'dim', 'kernel_size', 'patch_size', 'depth', 'heads', 'head_dim', 'mlp_dim'],
  (kw) => new MobileViTAttention({
    inChannel: kw.get('in_channel', 3),
    dim: kw.get('dim', 512),
    kernelSize: kw.get('kernel_size', 3),
    patchSize: kw.get('patch_size', 7),
    depth: kw.get('depth', 3),
    heads: kw.get('heads', 8),
    headDim: kw.get('head_dim', 64),
    mlpDim: kw.get('mlp_dim', 1024),
  }),
);
