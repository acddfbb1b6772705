/**
 * SimAM: a simple, parameter-free attention module (Yang, Zhang, Li & Xie, ICML 2021, PMLR v139).
 * Reference: External-Attention-pytorch SimAM.py, seed constructor `SimAM(e_lambda=1e-4)`.
 *
 * Per (sample, channel), with n = H·W − 1 and the mean μ over H×W:
 *   d = (x − μ)²,   e = d / (4 (Σ_hw d / n + λ)) + 1/2,   y = x ⊙ sigmoid(e)
 * (e is the inverse of the minimal neuron energy of the paper).
 *
 * [B, C, H, W] → [B, C, H, W]; no parameters. Needs H·W > 1: the reference divides by
 * n = H·W − 1 and returns NaN on 1×1 maps (blocks.md C.14); here that is an error.
 */
import { fmtShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { Sigmoid } from '../layers/activation.js';
import { Module } from '../module.js';
import { blockSpec } from './spec.js';

export interface SimAMOptions {
  /** λ, the regulariser added to the variance (default 1e-4). */
  eLambda?: number;
}

export class SimAM extends Module {
  readonly eLambda: number;
  readonly activaton: Sigmoid;

  constructor({ eLambda = 1e-4 }: SimAMOptions = {}) {
    super();
    if (typeof eLambda !== 'number' || !Number.isFinite(eLambda)) {
      throw new RangeError(`SimAM: e_lambda must be a finite number, got ${String(eLambda)}`);
    }
    this.activaton = this.addModule('activaton', new Sigmoid()); // sic: the reference's attribute name
    this.eLambda = eLambda;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new RangeError(`SimAM: expected input [B, C, H, W], got ${fmtShape(x.shape)}`);
    const [, , h, w] = x.shape;
    if (h * w < 2) throw new RangeError(`SimAM: needs H*W > 1 (it divides by n = H*W - 1), got input ${fmtShape(x.shape)}`);
    const n = w * h - 1;
    const xMinusMuSquare = x.sub(x.mean([2, 3], true)).pow(2);
    const y = xMinusMuSquare.div(xMinusMuSquare.sum([2, 3], true).div(n).add(this.eLambda).mul(4)).add(0.5);
    return x.mul(this.activaton.forward(y));
  }
}

export const SimAMSpec = blockSpec('SimAM', ['e_lambda'], (kw) => new SimAM({ eLambda: kw.get('e_lambda', 1e-4) }));
