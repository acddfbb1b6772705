/**
 * MHSA: multi-head self-attention over all H·W positions with optional 2-D
 * relative-style position embeddings, the BoTNet layer (Srinivas et al.,
 * "Bottleneck Transformers for Visual Recognition", CVPR 2021) in the
 * multi-head form spread through YOLO-community code (single-head ancestor:
 * leaderj1001/BottleneckTransformers model.py::MHSA).
 *
 * Per head h (d = n_dims / heads channels), over the N = H·W flattened positions:
 *   q, k, v = W_q x + b_q, W_k x + b_k, W_v x + b_v          (1×1 convs)
 *   e_ij    = q_i·k_j  [+ r_i·q_j with pos_emb]              (no 1/√d scaling)
 *   r_p     = rel_h[:, p mod height] + rel_w[:, ⌊p / height⌋]  (grid width × height, P positions)
 *   y_i     = Σ_j softmax_j(e_ij) v_j
 *
 * Shapes: [B, n_dims, H, W] → [B, n_dims, H, W]. Constraints: n_dims % heads = 0; with pos_emb the grid
 * must cover the input, width·height = P ≥ H·W.
 *
 * Quirks kept from the reference (blocks.md §C.3): the position term is r_i·q_j (query taken at the key
 * position), not BoTNet's q_i·r_j; there is no 1/√d; the grid is fixed at construction and not aligned
 * with the image (the flat index p runs over rel_w as the slower index), and when P > N the FIRST N
 * flattened grid positions are kept (not a spatial crop); the reference names the input's H "width".
 */
import { randn } from '../../creation.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { Conv2d } from '../layers/conv.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export interface MHSAOptions {
  nDims: number;
  /** Position grid width (the slower flattened index). Default 14. */
  width?: number;
  /** Position grid height. Default 14. */
  height?: number;
  heads?: number;
  /** Add the r_i·q_j position term. Default false. */
  posEmb?: boolean;
}

export class MHSA extends Module {
  readonly nDims: number;
  readonly width: number;
  readonly height: number;
  readonly heads: number;
  readonly pos: boolean;
  readonly query: Conv2d;
  readonly key: Conv2d;
  readonly value: Conv2d;
  readonly relHWeight: Tensor | null = null;
  readonly relWWeight: Tensor | null = null;

  constructor({ nDims, width = 14, height = 14, heads = 4, posEmb = false }: MHSAOptions) {
    super();
    for (const [name, v] of [['n_dims', nDims], ['width', width], ['height', height], ['heads', heads]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`MHSA: ${name} must be a positive integer, got ${v}`);
    }
    if (nDims % heads !== 0) throw new RangeError(`MHSA: n_dims ${nDims} must be divisible by heads ${heads}`);
    this.nDims = nDims;
    this.width = width;
    this.height = height;
    this.heads = heads;

    this.query = this.addModule('query', new Conv2d(nDims, nDims, 1));
    this.key = this.addModule('key', new Conv2d(nDims, nDims, 1));
    this.value = this.addModule('value', new Conv2d(nDims, nDims, 1));
    this.pos = posEmb;
    if (this.pos) {
      this.relHWeight = this.addParameter('rel_h_weight', randn([1, heads, nDims / heads, 1, height]));
      this.relWWeight = this.addParameter('rel_w_weight', randn([1, heads, nDims / heads, width, 1]));
    }
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new RangeError(`MHSA: expected a 4-D input [B, C, H, W], got ${fmtShape(x.shape)}`);
    // the reference's names: "width" is really H and "height" W (blocks.md §C.3d)
    const [nBatch, C, width, height] = x.shape;
    if (C !== this.nDims) throw new RangeError(`MHSA: input ${fmtShape(x.shape)} has ${C} channels, n_dims is ${this.nDims}`);
    if (this.pos && this.width * this.height < width * height) {
      throw new RangeError(
        `MHSA: the pos_emb grid width·height = ${this.width}·${this.height} = ${this.width * this.height} is smaller than H·W = ${width}·${height} = ${width * height} of input ${fmtShape(x.shape)}`,
      );
    }
    const q = this.query.forward(x).view(nBatch, this.heads, C / this.heads, -1);
    const k = this.key.forward(x).view(nBatch, this.heads, C / this.heads, -1);
    const v = this.value.forward(x).view(nBatch, this.heads, C / this.heads, -1);
    const contentContent = q.permute(0, 1, 3, 2).matmul(k); // B, heads, N, N
    const c3 = contentContent.shape[2];
    let energy: Tensor;
    if (this.relHWeight && this.relWWeight) {
      let contentPosition = this.relHWeight.add(this.relWWeight).view(1, this.heads, C / this.heads, -1).permute(0, 1, 3, 2); // 1, heads, P, d
      contentPosition = contentPosition.matmul(q); // B, heads, P, N
      // keep the first N flattened grid positions when the grid is larger than the input
      if (contentPosition.shape[2] !== c3) contentPosition = contentPosition.narrow(2, 0, c3);
      energy = contentContent.add(contentPosition);
    } else {
      energy = contentContent;
    }
    const attention = energy.softmax(-1);
    const out = v.matmul(attention.permute(0, 1, 3, 2)); // B, heads, d, N
    return out.view(nBatch, C, width, height);
  }
}

export const MHSASpec = blockSpec('MHSA', ['n_dims', 'width', 'height', 'heads', 'pos_emb'], (kw) =>
  new MHSA({
    nDims: kw.required<number>('n_dims'),
    width: kw.get('width', 14),
    height: kw.get('height', 14),
    heads: kw.get('heads', 4),
    posEmb: kw.get('pos_emb', false),
  }),
);
