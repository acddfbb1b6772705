/** Small helpers shared by the layers. */
import { zeros } from '../../creation.js';
import type { Tensor } from '../../tensor.js';

/** Storage for a parameter that an initialiser fills right after (PyTorch's torch.empty). */
export function empty(shape: readonly number[]): Tensor {
  return zeros(shape);
}

export type IntOrPair = number | readonly [number, number];

export function pair(v: IntOrPair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}
