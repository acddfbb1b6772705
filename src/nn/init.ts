/**
 * Initialisers with PyTorch's formulas (torch.nn.init), drawing from the
 * seeded generator. They write in place, outside autograd, and return the
 * tensor. The distributions match PyTorch; the exact numbers do not (the
 * random streams differ), so weights that must match are loaded.
 */
import { noGrad } from '../autograd.js';
import { rand, randn } from '../creation.js';
import type { Generator } from '../random.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** fan_in = size(1)·receptive field, fan_out = size(0)·receptive field (weights are [out, in, *kernel]). */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new RangeError(`init: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions ${fmtShape(t.shape)}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': { const a = param ?? 0.01; return Math.sqrt(2 / (1 + a * a)); }
    case 'selu': return 3 / 4;
  }
}

export function uniform_(t: Tensor, a = 0, b = 1, generator?: Generator): Tensor {
  return noGrad(() => t.copy_(rand(t.shape, { generator, backend: t.backend, dtype: t.dtype }).mul(b - a).add(a)));
}

export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  return noGrad(() => t.copy_(randn(t.shape, { generator, backend: t.backend, dtype: t.dtype }).mul(std).add(mean)));
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.copy_(t.zerosLike().add(value)));
}
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export interface KaimingOptions {
  /** The negative slope of the rectifier after this layer (leaky_relu only). */
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

function kaimingStd(t: Tensor, { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' }: KaimingOptions): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return calculateGain(nonlinearity, a) / Math.sqrt(mode === 'fan_in' ? fanIn : fanOut);
}

/** U(−bound, bound), bound = gain·√(3 / fan) (He et al., 2015). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform_(t, -bound, bound, opts.generator);
}

/** N(0, std²), std = gain / √fan. */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, opts), opts.generator);
}

/** U(−a, a), a = gain·√(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010). */
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, generator);
}

/**
 * The default of torch.nn.Linear and ConvNd: W ~ kaiming_uniform(a = √5), which is
 * U(±1/√fan_in), and b ~ U(±1/√fan_in).
 */
export function linearOrConvDefault_(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
