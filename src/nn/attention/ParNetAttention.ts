/** Placeholder: ParNetAttention is being written. */
import { blockSpec } from './spec.js';
export const ParNetAttentionSpec = blockSpec('ParNetAttention', ['channel'], () => { throw new Error('ParNetAttention: not implemented yet'); });
