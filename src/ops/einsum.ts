/** Placeholder: einsum is being written. */
import type { Tensor } from '../tensor.js';
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  throw new Error(`einsum: not implemented yet (${equation}, ${operands.length} operands)`);
}
