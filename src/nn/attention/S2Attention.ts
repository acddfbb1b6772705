/** Placeholder: S2Attention is being written. */
import { blockSpec } from './spec.js';
export const S2AttentionSpec = blockSpec('S2Attention', ['channels'], () => { throw new Error('S2Attention: not implemented yet'); });
export const SplitAttentionSpec = blockSpec('SplitAttention', ['channel', 'k'], () => { throw new Error('SplitAttention: not implemented yet'); });
