/**
 * Gated axial attention: MedT `AxialAttention_dynamic` (Valanarasu, Oza,
 * Hacihaliloglu & Patel, "Medical Transformer: Gated Axial-Attention for
 * Medical Image Segmentation", MICCAI 2021). Reference:
 * jeya-maria-jose/Medical-Transformer lib/models/axialnet.py::AxialAttention_dynamic.
 *
 * AxialAttention (see AxialAttention.ts) with four learned scalar gates that
 * say how much to trust each relative-position term (paper eq. 4, 5):
 *   s_ij = BN(q_i·k_j) + BN(G_Q · q_i·r^q_ij) + BN(G_K · k_j·r^k_ji)
 *   a_ij = softmax_j(s_ij)
 *   y_i  = Σ_s BN1d([G_V1 · Σ_j a_ij v_j ; G_V2 · Σ_j a_ij r^v_ij])_s
 * with G_Q = f_qr = 0.1, G_K = f_kr = 0.1, G_V1 = f_sv = 1.0, G_V2 = f_sve = 0.1 at init.
 *
 * Shapes: [B, in_planes, H, W] → [B, out_planes, H, W] (→ [B, out_planes, ⌊H/s⌋, ⌊W/s⌋] with stride s > 1).
 * Constraints as AxialAttention: in_planes % groups = 0, out_planes % groups = 0, group_planes even,
 * kernel_size equal to the attended length (H, or W when width = true).
 *
 * The gates: upstream creates them with requires_grad=False and MedT's train.py unfreezes every
 * parameter at epoch 10 (issues #18, #70). Here they are TRAINABLE by default (`gatesTrainable: true`,
 * createBlock kwarg `gates_trainable`); pass false to freeze them as upstream does, and call
 * `setGatesTrainable(true)` when the schedule says so. Other quirks are AxialAttention's (blocks.md §C.5):
 * `bias` unused, stride pools both H and W, BN on the logits, PyTorch's interleaved BN channel layouts.
 */
import { full, randn } from '../../creation.js';
import { cat } from '../../ops/view.js';
import { einsum } from '../../ops/einsum.js';
import type { Tensor } from '../../tensor.js';
import { normal_ } from '../init.js';
import { Conv1d } from '../layers/conv.js';
import { BatchNorm1d, BatchNorm2d } from '../layers/norm.js';
import { AvgPool2d } from '../layers/pooling.js';
import { Module } from '../module.js';
import { type AxialAttentionOptions, axialFlattenIndex, axialKwargs, axialOptions, checkAxialInput } from './AxialAttention.js';
import { blockSpec } from './spec.js';

export interface AxialAttentionDynamicOptions extends AxialAttentionOptions {
  /** Whether f_qr, f_kr, f_sve, f_sv get gradients. Default true (upstream: false until epoch 10). */
  gatesTrainable?: boolean;
}

export class AxialAttentionDynamic extends Module {
  readonly inPlanes: number;
  readonly outPlanes: number;
  readonly groups: number;
  readonly groupPlanes: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly bias: boolean;
  readonly width: boolean;
  private readonly options: Required<AxialAttentionOptions>;

  readonly qkvTransform: Conv1d;
  readonly bnQkv: BatchNorm1d;
  readonly bnSimilarity: BatchNorm2d;
  readonly bnOutput: BatchNorm1d;
  readonly fQr: Tensor;
  readonly fKr: Tensor;
  readonly fSve: Tensor;
  readonly fSv: Tensor;
  readonly relative: Tensor;
  readonly pooling: AvgPool2d | null = null;

  constructor(opts: AxialAttentionDynamicOptions) {
    super();
    const o = (this.options = axialOptions('AxialAttention_dynamic', opts));
    const gatesTrainable = opts.gatesTrainable ?? true;
    this.inPlanes = o.inPlanes;
    this.outPlanes = o.outPlanes;
    this.groups = o.groups;
    this.groupPlanes = o.outPlanes / o.groups;
    this.kernelSize = o.kernelSize;
    this.stride = o.stride;
    this.bias = o.bias;
    this.width = o.width;

    // Multi-head self attention
    this.qkvTransform = this.addModule('qkv_transform', new Conv1d(this.inPlanes, this.outPlanes * 2, 1, { stride: 1, padding: 0, bias: false }));
    this.bnQkv = this.addModule('bn_qkv', new BatchNorm1d(this.outPlanes * 2));
    this.bnSimilarity = this.addModule('bn_similarity', new BatchNorm2d(this.groups * 3));
    this.bnOutput = this.addModule('bn_output', new BatchNorm1d(this.outPlanes * 2));

    // Priority on encoding: the initial gate values
    this.fQr = this.addParameter('f_qr', full([], 0.1), gatesTrainable);
    this.fKr = this.addParameter('f_kr', full([], 0.1), gatesTrainable);
    this.fSve = this.addParameter('f_sve', full([], 0.1), gatesTrainable);
    this.fSv = this.addParameter('f_sv', full([], 1.0), gatesTrainable);

    // Position embedding
    this.relative = this.addParameter('relative', randn([this.groupPlanes * 2, this.kernelSize * 2 - 1]));
    this.addBuffer('flatten_index', axialFlattenIndex(this.kernelSize));
    if (this.stride > 1) this.pooling = this.addModule('pooling', new AvgPool2d(this.stride, { stride: this.stride }));

    this.resetParameters();
  }

  get flattenIndex(): Tensor {
    return this.getBuffer('flatten_index')!;
  }

  /** The four gates, in registration order: f_qr, f_kr, f_sve, f_sv. */
  gates(): Tensor[] {
    return [this.fQr, this.fKr, this.fSve, this.fSv];
  }

  /** Freeze (false) or unfreeze (true) the gates, like MedT's train.py at epoch 10. */
  setGatesTrainable(on: boolean): this {
    for (const g of this.gates()) g.requiresGrad = on;
    return this;
  }

  forward(x: Tensor): Tensor {
    checkAxialInput('AxialAttention_dynamic', x, this.options);
    const gp = this.groupPlanes;
    x = this.width ? x.permute(0, 2, 1, 3) : x.permute(0, 3, 1, 2); // N, W, C, H
    const [N, W, C, H] = x.shape;
    x = x.contiguous().view(N * W, C, H);

    // Transformations
    const qkv = this.bnQkv.forward(this.qkvTransform.forward(x));
    const [q, k, v] = qkv.reshape(N * W, this.groups, gp * 2, H).split([gp / 2, gp / 2, gp], 2);

    // Calculate position embedding
    const allEmbeddings = this.relative.indexSelect(1, this.flattenIndex).view(gp * 2, this.kernelSize, this.kernelSize);
    const [qEmbedding, kEmbedding, vEmbedding] = allEmbeddings.split([gp / 2, gp / 2, gp], 0);
    let qr = einsum('bgci,cij->bgij', q, qEmbedding);
    let kr = einsum('bgci,cij->bgij', k, kEmbedding).transpose(2, 3);
    const qk = einsum('bgci, bgcj->bgij', q, k);

    // multiply by factors
    qr = qr.mul(this.fQr);
    kr = kr.mul(this.fKr);

    let stackedSimilarity = cat([qk, qr, kr], 1);
    stackedSimilarity = this.bnSimilarity.forward(stackedSimilarity).view(N * W, 3, this.groups, H, H).sum(1);
    // (N, groups, H, H, W)
    const similarity = stackedSimilarity.softmax(3);
    let sv = einsum('bgij,bgcj->bgci', similarity, v);
    let sve = einsum('bgij,cij->bgci', similarity, vEmbedding);

    // multiply by factors
    sv = sv.mul(this.fSv);
    sve = sve.mul(this.fSve);

    const stackedOutput = cat([sv, sve], -1).view(N * W, this.outPlanes * 2, H);
    let output = this.bnOutput.forward(stackedOutput).view(N, W, this.outPlanes, 2, H).sum(-2);

    output = this.width ? output.permute(0, 2, 1, 3) : output.permute(0, 2, 3, 1);

    if (this.pooling) output = this.pooling.forward(output);

    return output;
  }

  /** MedT's init: W_qkv ~ N(0, 1/in_planes), relative ~ N(0, 1/group_planes) (std = √ of those). */
  resetParameters(): void {
    normal_(this.qkvTransform.weight, 0, Math.sqrt(1 / this.inPlanes));
    normal_(this.relative, 0, Math.sqrt(1 / this.groupPlanes));
  }
}

export const AxialAttentionDynamicSpec = blockSpec(
  'AxialAttention_dynamic',
  ['in_planes', 'out_planes', 'groups', 'kernel_size', 'stride', 'bias', 'width', 'gates_trainable'],
  (kw) => new AxialAttentionDynamic({ ...axialKwargs(kw), gatesTrainable: kw.get('gates_trainable', true) }),
);
