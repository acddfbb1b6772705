/** Scalar math used by the js kernels, each next to its formula. */

/** erf(x) to float64 precision (W. J. Cody's rational approximations, via the complementary function). */
export function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse (1e-7) for float64 gradient checks,
  // so use the series for small |x| and a continued fraction for large |x|.
  if (x === Infinity || x === -Infinity) return Math.sign(x); // the continued fraction below gives NaN at ±∞
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc via Lentz's continued fraction: erfc x = e^{-x^2}/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  const x2 = ax * ax;
  let f = ax, c = ax, d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d; d = 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-x2) / Math.sqrt(Math.PI) / f;
  const r = 1 - erfc;
  return x < 0 ? -r : r;
}

export const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** softplus(x) = log(1 + e^x), computed without overflow. */
export const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
/** GELU, exact form: x * Phi(x) = x/2 (1 + erf(x / sqrt 2)). */
export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
/** GELU, tanh form: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
