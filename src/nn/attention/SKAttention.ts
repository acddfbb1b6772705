/** Placeholder: SKAttention is being written. */
import { blockSpec } from './spec.js';
export const SKAttentionSpec = blockSpec('SKAttention', ['channel', 'kernels', 'reduction', 'group', 'L'], () => { throw new Error('SKAttention: not implemented yet'); });
