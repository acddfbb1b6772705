/** Placeholder: ShuffleAttention is being written. */
import { blockSpec } from './spec.js';
export const ShuffleAttentionSpec = blockSpec('ShuffleAttention', ['channel', 'reduction', 'G'], () => { throw new Error('ShuffleAttention: not implemented yet'); });
