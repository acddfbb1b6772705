/**
 * Dropout: in training, zero each element with probability p and scale the
 * rest by 1/(1 − p) so the expectation is unchanged; in eval, the identity.
 * The mask comes from the seeded generator, so runs repeat.
 */
import { rand } from '../creation.js';
import type { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';

export function dropout(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = rand(x.shape, { backend: x.backend, generator, dtype: x.dtype }).ge(p);
  return x.mul(keep.to(x.dtype)).mul(1 / (1 - p));
}
