/**
 * Elementwise ops with broadcasting, and the activations. Each op is its
 * forward kernel call plus its backward, written with other ops.
 * Broadcasting's backward comes for free: operands are expanded by `expand`,
 * whose backward sums the gradient back down to the operand's shape.
 */
import { record } from '../autograd.js';
import type { BinaryOp, UnaryOp } from '../backends/backend.js';
import { isFloating } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { castIfNeeded, fromStorage, operands, scalarTensor } from './core.js';
import { expand } from './view.js';

type UnaryBackward = (g: Tensor, x: Tensor, out: Tensor) => Tensor | null;

/** Math that only makes sense on floats promotes integer input to float32, as PyTorch does. */
function asFloat(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : castIfNeeded(x, 'float32');
}

function unary(op: UnaryOp, x: Tensor, backward: UnaryBackward | null, args?: readonly number[]): Tensor {
  const out = fromStorage(x.backend.unary(op, x, args), x.shape);
  return backward ? record(out, op, [x], (g) => [backward(g, x, out)]) : out;
}

type BinaryBackward = (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null];

/** Broadcast both operands (as views), run the kernel, record the backward. */
function binary(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar, backward: BinaryBackward | null): Tensor {
  const [x, y] = operands(op, a, b);
  const shape = broadcastShapes(op, x.shape, y.shape);
  const xe = expand(x, shape), ye = expand(y, shape);
  const out = fromStorage(x.backend.binary(op, xe, ye), shape);
  return backward ? record(out, op, [xe, ye], (g) => backward(g, xe, ye, out)) : out;
}

// ---- arithmetic ----------------------------------------------------------------------

/** a + alpha·b */
export function add(a: TensorOrScalar, b: TensorOrScalar, alpha = 1): Tensor {
  if (alpha !== 1) return add(a, b instanceof Tensor ? mul(b, alpha) : +b * alpha);
  return binary('add', a, b, (g) => [g, g]);
}

/** a − alpha·b */
export function sub(a: TensorOrScalar, b: TensorOrScalar, alpha = 1): Tensor {
  if (alpha !== 1) return sub(a, b instanceof Tensor ? mul(b, alpha) : +b * alpha);
  return binary('sub', a, b, (g) => [g, neg(g)]);
}

/** d(ab) = b da + a db */
export function mul(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('mul', a, b, (g, x, y) => [g.mul(y), g.mul(x)]);
}

/** True division (integers divide to float32, like PyTorch). d(a/b) = da/b − a db/b² */
export function div(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const [x, y] = operands('div', a, b);
  const fx = asFloat(x), fy = asFloat(y);
  return binary('div', fx, fy, (g, p, q, out) => [g.div(q), g.mul(out).div(q).neg()]);
}

/**
 * a^b.  d/da = b a^(b−1) (taken as 0 where b = 0, as PyTorch does, so 0^0 has no 0·∞ = NaN);
 * d/db = a^b ln a  (taken as 0 where a = 0 and b ≥ 0, as PyTorch does,
 * so 0^positive has a finite gradient).
 */
export function pow(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor && typeof b === 'number') {
    const x = asFloat(a);
    if (b === 2) return square(x);
    return unary('pow_scalar', x, (g) => (b === 0 ? g.mul(0) : g.mul(x.pow(b - 1)).mul(b)), [b]);
  }
  const [x, y] = operands('pow', a, b);
  return binary('pow', asFloat(x), asFloat(y), (g, p, q, out) => [
    where(q.eq(0), 0, g.mul(q).mul(p.pow(q.sub(1)))),
    where(p.eq(0).logicalAnd(q.ge(0)), 0, g.mul(out).mul(p.log())),
  ]);
}

/** Elementwise max; at ties the gradient is split evenly, as PyTorch does. */
export function maximum(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('maximum', a, b, (g, x, y) => tieSplit(g, x.gt(y), x.eq(y)));
}

export function minimum(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('minimum', a, b, (g, x, y) => tieSplit(g, x.lt(y), x.eq(y)));
}

function tieSplit(g: Tensor, firstWins: Tensor, tie: Tensor): [Tensor, Tensor] {
  const half = g.mul(0.5);
  return [where(tie, half, where(firstWins, g, 0)), where(tie, half, where(firstWins, 0, g))];
}

export const neg = (x: Tensor): Tensor => unary('neg', x, (g) => g.neg());
/** d|x| = sign(x) (0 at 0) */
export const abs = (x: Tensor): Tensor => unary('abs', x, (g, x) => g.mul(x.sign()));
export const sign = (x: Tensor): Tensor => unary('sign', x, (g) => g.mul(0));
export const exp = (x: Tensor): Tensor => unary('exp', asFloat(x), (g, _x, out) => g.mul(out));
export const log = (x: Tensor): Tensor => unary('log', asFloat(x), (g, x) => g.div(x));
/** d√x = 1 / (2√x) */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', asFloat(x), (g, _x, out) => g.div(out.mul(2)));
/** d x^(−1/2) = −½ x^(−3/2) = −½ out³ */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', asFloat(x), (g, _x, out) => g.mul(out.pow(3)).mul(-0.5));
export const square = (x: Tensor): Tensor => unary('square', x, (g, x) => g.mul(x).mul(2));
/** d(1/x) = −1/x² */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', asFloat(x), (g, _x, out) => g.mul(out.square()).neg());
export const sin = (x: Tensor): Tensor => unary('sin', asFloat(x), (g, x) => g.mul(x.cos()));
export const cos = (x: Tensor): Tensor => unary('cos', asFloat(x), (g, x) => g.mul(x.sin()).neg());
/** d erf(x) = 2/√π e^(−x²) */
export const erf = (x: Tensor): Tensor => unary('erf', asFloat(x), (g, x) => g.mul(x.square().neg().exp()).mul(2 / Math.sqrt(Math.PI)));

/** Clamp to [min, max]; the gradient passes where min ≤ x ≤ max (PyTorch's rule, ends included). */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  if (min == null && max == null) throw new RangeError('clamp: at least one of min and max must be given');
  const lo = min ?? -Infinity, hi = max ?? Infinity;
  return unary('clamp', x, (g, x) => where(x.ge(lo).logicalAnd(x.le(hi)), g, 0), [lo, hi]);
}

// ---- selection --------------------------------------------------------------------------

/** cond ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const [x, y] = operands('where', a, b);
  const shape = broadcastShapes('where', cond.shape, x.shape, y.shape);
  const c = expand(castIfNeeded(cond, 'bool'), shape), xe = expand(x, shape), ye = expand(y, shape);
  const out = fromStorage(x.backend.where(c, xe, ye), shape);
  return record(out, 'where', [xe, ye], (g) => {
    const zero = scalarTensor(0, g.dtype, g.backend);
    return [where(c, g, zero), where(c, zero, g)];
  });
}

/** x with `value` where mask is true (mask broadcasts to x). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (mask.dtype !== 'bool') throw new TypeError(`masked_fill: the mask must be a bool tensor, got ${mask.dtype}`);
  broadcastShapes('masked_fill', x.shape, mask.shape); // the mask must fit x, not grow it
  const out = where(mask, scalarTensor(value, x.dtype, x.backend), x);
  if (out.ndim !== x.ndim || out.shape.some((d, i) => d !== x.shape[i])) {
    throw new RangeError(`masked_fill: mask ${JSON.stringify(mask.shape)} is larger than the input ${JSON.stringify(x.shape)}`);
  }
  return out;
}

// ---- comparisons and logic (bool results, no gradient) ------------------------------------

export const eq = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('eq', a, b, null);
export const ne = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('ne', a, b, null);
export const lt = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('lt', a, b, null);
export const le = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('le', a, b, null);
export const gt = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('gt', a, b, null);
export const ge = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('ge', a, b, null);
export const logicalAnd = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('logical_and', a, b, null);
export const logicalOr = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary('logical_or', a, b, null);
export const logicalNot = (x: Tensor): Tensor => unary('logical_not', castIfNeeded(x, 'bool'), null);

// ---- activations ----------------------------------------------------------------------------

/** max(x, 0); gradient 1 where x > 0 */
export const relu = (x: Tensor): Tensor => unary('relu', x, (g, x) => where(x.gt(0), g, 0));
/** min(max(x, 0), 6); gradient 1 on the open interval (0, 6) (PyTorch's hardtanh rule) */
export const relu6 = (x: Tensor): Tensor => unary('relu6', x, (g, x) => where(x.gt(0).logicalAnd(x.lt(6)), g, 0));
/** x > 0 ? x : slope·x */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor =>
  unary('leaky_relu', x, (g, x) => where(x.gt(0), g, g.mul(negativeSlope)), [negativeSlope]);
/** relu6(x + 3) / 6; gradient 1/6 on (−3, 3) */
export const hardsigmoid = (x: Tensor): Tensor =>
  unary('hardsigmoid', x, (g, x) => where(x.gt(-3).logicalAnd(x.lt(3)), g.div(6), 0));
/** x · relu6(x + 3) / 6; gradient 0 below −3, x/3 + ½ on [−3, 3], 1 above (PyTorch's piecewise rule) */
export const hardswish = (x: Tensor): Tensor =>
  unary('hardswish', x, (g, x) => where(x.lt(-3), 0, where(x.le(3), g.mul(x.div(3).add(0.5)), g)));
/** σ(x) = 1 / (1 + e^−x);  dσ = σ(1 − σ) */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', asFloat(x), (g, _x, s) => g.mul(s).mul(s.neg().add(1)));
/** d tanh = 1 − tanh² */
export const tanh = (x: Tensor): Tensor => unary('tanh', asFloat(x), (g, _x, t) => g.mul(t.square().neg().add(1)));

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GELU. Exact: x Φ(x), d = Φ(x) + x φ(x).
 * Tanh form: ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), d = ½(1 + tanh u) + ½x(1 − tanh² u) u'.
 */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  const xf = asFloat(x);
  if (approximate === 'tanh') {
    return unary('gelu_tanh', xf, (g, x) => {
      const u = x.pow(3).mul(0.044715).add(x).mul(SQRT_2_OVER_PI);
      const t = u.tanh();
      const du = x.square().mul(3 * 0.044715).add(1).mul(SQRT_2_OVER_PI);
      return g.mul(t.add(1).mul(0.5).add(x.mul(0.5).mul(t.square().neg().add(1)).mul(du)));
    });
  }
  if (approximate !== 'none') throw new RangeError(`gelu: approximate must be 'none' or 'tanh', got '${approximate}'`);
  return unary('gelu', xf, (g, x) => {
    const cdf = x.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
    const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
    return g.mul(cdf.add(x.mul(pdf)));
  });
}

/** x σ(x);  d = σ(x)(1 + x(1 − σ(x))) */
export const silu = (x: Tensor): Tensor =>
  unary('silu', asFloat(x), (g, x) => {
    const s = x.sigmoid();
    return g.mul(s.mul(x.mul(s.neg().add(1)).add(1)));
  });

/** log(1 + e^(βx)) / β, and x itself where βx > threshold (PyTorch's linear region); d = σ(βx) */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  const xf = asFloat(x);
  const bx = beta === 1 ? xf : xf.mul(beta);
  const soft = unary('softplus', bx, (g, z) => g.mul(z.sigmoid()));
  const smooth = beta === 1 ? soft : soft.div(beta);
  return where(bx.gt(threshold), xf, smooth);
}
