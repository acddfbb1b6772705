/** Placeholder: ECAAttention is being written. */
import { blockSpec } from './spec.js';
export const ECAAttentionSpec = blockSpec('ECAAttention', ['kernel_size'], () => { throw new Error('ECAAttention: not implemented yet'); });
