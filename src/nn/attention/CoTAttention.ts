/** Placeholder: CoTAttention is being written. */
import { blockSpec } from './spec.js';
export const CoTAttentionSpec = blockSpec('CoTAttention', ['dim', 'kernel_size'], () => { throw new Error('CoTAttention: not implemented yet'); });
