/**
 * Position-sensitive axial attention: MedT `AxialAttention` (Valanarasu, Oza,
 * Hacihaliloglu & Patel, "Medical Transformer: Gated Axial-Attention for
 * Medical Image Segmentation", MICCAI 2021; the axial layer of Wang et al.,
 * Axial-DeepLab, ECCV 2020). Reference: jeya-maria-jose/Medical-Transformer
 * lib/models/axialnet.py::AxialAttention (+ lib/models/utils.py::qkv_transform).
 *
 * Self-attention along one axis (H, or W with `width`), in G groups of
 * gp = out_planes / G channels, with learned relative embeddings r^q, r^k, r^v
 * (r[c, i, j] = relative[c, i − j + K − 1]):
 *   q, k, v = split(BN1d(W_qkv x))                 (gp/2, gp/2, gp channels per group)
 *   s_ij    = BN(q_i·k_j) + BN(q_i·r^q_ij) + BN(k_j·r^k_ji)   (one BN2d over the 3·G logit maps)
 *   a_ij    = softmax_j(s_ij)
 *   y_i     = Σ_s BN1d([Σ_j a_ij v_j ; Σ_j a_ij r^v_ij])_s  (sv and sve normalised per channel, then added)
 * then AvgPool2d(stride) when stride > 1.
 *
 * Shapes: [B, in_planes, H, W] → [B, out_planes, H, W] (→ [B, out_planes, ⌊H/s⌋, ⌊W/s⌋] with stride s > 1).
 * Constraints: in_planes % groups = 0, out_planes % groups = 0, group_planes even, and kernel_size equal
 * to the attended length (H, or W when width = true): the relative table is K×K.
 *
 * Quirks kept from the reference (blocks.md §C.5): `bias` is accepted and unused; stride > 1 pools both
 * H and W, not only the attended axis; BN on the similarity logits makes train and eval outputs differ
 * a lot; the BN channel layouts follow PyTorch's cat-then-view memory order (BN2d channels are
 * [qk groups | qr groups | kr groups]; BN1d output channel 2·(g·gp + c) + s with s ∈ {sv, sve}
 * interleaved); `relative` is gathered with repeated indices, so its gradient accumulates.
 */
import { arange, randn } from '../../creation.js';
import { cat } from '../../ops/view.js';
import { einsum } from '../../ops/einsum.js';
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { normal_ } from '../init.js';
import { Conv1d } from '../layers/conv.js';
import { BatchNorm1d, BatchNorm2d } from '../layers/norm.js';
import { AvgPool2d } from '../layers/pooling.js';
import { Module } from '../module.js';
import { blockSpec, type Kwargs } from './spec.js';

export interface AxialAttentionOptions {
  inPlanes: number;
  outPlanes: number;
  /** Attention groups (heads). Default 8. */
  groups?: number;
  /** The attended length (H, or W with `width`); the relative table is K×K. Default 56. */
  kernelSize?: number;
  /** > 1 applies AvgPool2d(stride) to the output (both H and W). Default 1. */
  stride?: number;
  /** Accepted for compatibility with the reference; unused there too. Default false. */
  bias?: boolean;
  /** Attend along W instead of H. Default false. */
  width?: boolean;
}

/** The constructor arguments of the MedT axial blocks, validated (shared by AxialAttention_dynamic). */
export function axialOptions(block: string, o: AxialAttentionOptions): Required<AxialAttentionOptions> {
  const { inPlanes, outPlanes, groups = 8, kernelSize = 56, stride = 1, bias = false, width = false } = o;
  const positive = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${block}: ${name} must be a positive integer, got ${v}`);
  };
  positive('in_planes', inPlanes);
  positive('out_planes', outPlanes);
  positive('groups', groups);
  positive('kernel_size', kernelSize);
  positive('stride', stride);
  if (inPlanes % groups !== 0) throw new RangeError(`${block}: in_planes ${inPlanes} must be divisible by groups ${groups}`);
  if (outPlanes % groups !== 0) throw new RangeError(`${block}: out_planes ${outPlanes} must be divisible by groups ${groups}`);
  const groupPlanes = outPlanes / groups;
  if (groupPlanes % 2 !== 0) {
    throw new RangeError(`${block}: group_planes = out_planes / groups = ${outPlanes} / ${groups} = ${groupPlanes} must be even (q and k take group_planes / 2 channels each)`);
  }
  return { inPlanes, outPlanes, groups, kernelSize, stride, bias, width };
}

/** relative_index[i, j] = i − j + K − 1 (key_index − query_index + K − 1), flattened: entry (i, j) of the K×K table reads relative[:, i − j + K − 1]. */
export function axialFlattenIndex(kernelSize: number): Tensor {
  const queryIndex = arange(kernelSize, undefined, 1, { dtype: 'int32' }).unsqueeze(0);
  const keyIndex = arange(kernelSize, undefined, 1, { dtype: 'int32' }).unsqueeze(1);
  const relativeIndex = keyIndex.sub(queryIndex).add(kernelSize - 1);
  return relativeIndex.view(-1);
}

/** Input checks of the MedT axial blocks: [B, in_planes, H, W] with kernel_size equal to the attended length. */
export function checkAxialInput(block: string, x: Tensor, o: Required<AxialAttentionOptions>): void {
  if (x.ndim !== 4) throw new RangeError(`${block}: expected a 4-D input [B, C, H, W], got ${fmtShape(x.shape)}`);
  if (x.shape[1] !== o.inPlanes) throw new RangeError(`${block}: input ${fmtShape(x.shape)} has ${x.shape[1]} channels, in_planes is ${o.inPlanes}`);
  const [axis, length] = o.width ? ['W', x.shape[3]] : ['H', x.shape[2]];
  if (length !== o.kernelSize) {
    throw new RangeError(`${block}: kernel_size ${o.kernelSize} must equal the attended length ${axis} = ${length} of input ${fmtShape(x.shape)}`);
  }
}

/** The gated variant's four scalar gates (AxialAttention_dynamic). */
export interface AxialGates {
  qr: Tensor;
  kr: Tensor;
  sve: Tensor;
  sv: Tensor;
}

export class AxialAttention extends Module {
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
  readonly relative: Tensor;
  readonly pooling: AvgPool2d | null = null;
  /** Gates on the qr, kr, sve and sv terms: none here; AxialAttention_dynamic adds them. */
  protected readonly gate: AxialGates | null;

  constructor(opts: AxialAttentionOptions, protected readonly blockName = 'AxialAttention') {
    super();
    const o = (this.options = axialOptions(blockName, opts));
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

    // the gated variant registers its gates here, in the reference's attribute order
    this.gate = this.addGates(opts);

    // Position embedding
    this.relative = this.addParameter('relative', randn([this.groupPlanes * 2, this.kernelSize * 2 - 1]));
    this.addBuffer('flatten_index', axialFlattenIndex(this.kernelSize));
    if (this.stride > 1) this.pooling = this.addModule('pooling', new AvgPool2d(this.stride, { stride: this.stride }));

    this.resetParameters();
  }

  get flattenIndex(): Tensor {
    return this.getBuffer('flatten_index')!;
  }

  /** Hook for AxialAttention_dynamic (called from the constructor, before `relative`). */
  protected addGates(_opts: AxialAttentionOptions): AxialGates | null {
    return null;
  }

  forward(x: Tensor): Tensor {
    checkAxialInput(this.blockName, x, this.options);
    const gate = this.gate;
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

    if (gate) {
      // multiply by factors (gated variant)
      qr = qr.mul(gate.qr);
      kr = kr.mul(gate.kr);
    }

    let stackedSimilarity = cat([qk, qr, kr], 1);
    stackedSimilarity = this.bnSimilarity.forward(stackedSimilarity).view(N * W, 3, this.groups, H, H).sum(1);
    // (N, groups, H, H, W)
    const similarity = stackedSimilarity.softmax(3);
    let sv = einsum('bgij,bgcj->bgci', similarity, v);
    let sve = einsum('bgij,cij->bgci', similarity, vEmbedding);

    if (gate) {
      // multiply by factors (gated variant)
      sv = sv.mul(gate.sv);
      sve = sve.mul(gate.sve);
    }
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

/** Python-spelled keyword arguments, shared with AxialAttention_dynamic. */
export function axialKwargs(kw: Kwargs): AxialAttentionOptions {
  return {
    inPlanes: kw.required<number>('in_planes'),
    outPlanes: kw.required<number>('out_planes'),
    groups: kw.get('groups', 8),
    kernelSize: kw.get('kernel_size', 56),
    stride: kw.get('stride', 1),
    bias: kw.get('bias', false),
    width: kw.get('width', false),
  };
}

export const AxialAttentionSpec = blockSpec(
  'AxialAttention',
  ['in_planes', 'out_planes', 'groups', 'kernel_size', 'stride', 'bias', 'width'],
  (kw) => new AxialAttention(axialKwargs(kw)),
);
