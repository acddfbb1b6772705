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
import { full } from '../../creation.js';
import type { Tensor } from '../../tensor.js';
import { AxialAttention, type AxialAttentionOptions, type AxialGates, axialKwargs } from './AxialAttention.js';
import { blockSpec } from './spec.js';

export interface AxialAttentionDynamicOptions extends AxialAttentionOptions {
  /** Whether f_qr, f_kr, f_sve, f_sv get gradients. Default true (upstream: false until epoch 10). */
  gatesTrainable?: boolean;
}

/** AxialAttention whose forward multiplies qr, kr, sv and sve by the gates (the base class's `gate` hook). */
export class AxialAttentionDynamic extends AxialAttention {
  constructor(opts: AxialAttentionDynamicOptions) {
    super(opts, 'AxialAttention_dynamic');
  }

  /** Priority on encoding: the initial gate values, registered after bn_output as in the reference. */
  protected override addGates(opts: AxialAttentionDynamicOptions): AxialGates {
    const trainable = opts.gatesTrainable ?? true;
    return {
      qr: this.addParameter('f_qr', full([], 0.1), trainable),
      kr: this.addParameter('f_kr', full([], 0.1), trainable),
      sve: this.addParameter('f_sve', full([], 0.1), trainable),
      sv: this.addParameter('f_sv', full([], 1.0), trainable),
    };
  }

  get fQr(): Tensor { return this.gate!.qr; }
  get fKr(): Tensor { return this.gate!.kr; }
  get fSve(): Tensor { return this.gate!.sve; }
  get fSv(): Tensor { return this.gate!.sv; }

  /** The four gates, in registration order: f_qr, f_kr, f_sve, f_sv. */
  gates(): Tensor[] {
    return [this.fQr, this.fKr, this.fSve, this.fSv];
  }

  /** Freeze (false) or unfreeze (true) the gates, like MedT's train.py at epoch 10. */
  setGatesTrainable(on: boolean): this {
    for (const g of this.gates()) g.requiresGrad = on;
    return this;
  }
}

export const AxialAttentionDynamicSpec = blockSpec(
  'AxialAttention_dynamic',
  ['in_planes', 'out_planes', 'groups', 'kernel_size', 'stride', 'bias', 'width', 'gates_trainable'],
  (kw) => new AxialAttentionDynamic({ ...axialKwargs(kw), gatesTrainable: kw.get('gates_trainable', true) }),
);
